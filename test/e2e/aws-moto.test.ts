// The AWS target applied for real (rung 3 of docs/aws.md): the real hashicorp/aws provider from
// the local mirror, against a real moto_server, with parameters from a real Consul agent.
//   - `npm run vpc -- plan|deploy|outputs|destroy` with its state in an S3 bucket on moto, locked
//     by S3's lock file, and its outputs published to Consul;
//   - `npm run vpc -- stage`: a test-made tarball and the real s3a jars, checked against their
//     pins, into the VPC's artifacts bucket, read back; a second stage uploads nothing;
//   - `burst --target aws --yes` from those parameters: params → synth → real apply → the wait
//     for the master's host key, which never comes (moto boots nothing) → exit 3 → destroy;
//     SIGINT during apply; --keep then `burst down`; kill -9, then `gc`. (Apply failing halfway
//     cannot be provoked in moto: see docs/aws.md.)
// moto's instances never boot and the addresses it hands out belong to no machine: nothing here
// (neither the test nor burst) opens a connection to them. Only loopback is contacted: moto,
// Consul and the Spark-less CLI. What only a real account shows is listed in docs/aws.md.

import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  DescribeFleetsCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeInternetGatewaysCommand,
  DescribeKeyPairsCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  type EC2Client,
} from "@aws-sdk/client-ec2";
import { ListInstanceProfilesCommand, ListRolesCommand } from "@aws-sdk/client-iam";
import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  GetPublicAccessBlockCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
} from "@aws-sdk/client-s3";
import { type ConsulAgent, startConsulAgent } from "../../scripts/servers/consul.ts";
import { type MotoServer, motoRegion, startMoto } from "../../scripts/servers/moto.ts";
import { runVpcScript } from "../../scripts/servers/vpc-script.ts";
import { hostArchitecture, wheelhouseDir, wheelhouseFiles } from "../../scripts/setup/node-wheelhouse.ts";
import { cacheRoot } from "../../src/home.ts";
import { run } from "../../src/util/exec.ts";
import { nodeArtifacts } from "../../stacks/aws/artifacts.ts";
import { masterAddressIn, masterAddressSeed } from "../../stacks/aws/master-address.ts";
import { tagKeys } from "../../stacks/aws/tags.ts";
import { burst, makeRepo, repoRoot, runDirs, startBurst, tempBurstHome, writeSpec } from "../helpers/burst.ts";
import { burstInTerminal } from "../helpers/terminal.ts";
import { realProviderInstallation } from "../helpers/terraform.ts";

const stateBucket = "burst-tfstate";
const sshWaitSeconds = 10;
/** A stand-in for Spark's 400 MB tarball: bytes this test made, pinned by their SHA-512 below. */

describe("the aws target applied with the real provider against moto", () => {
  let moto: MotoServer;
  let consul: ConsulAgent;
  let ec2: EC2Client;
  let burstHome: string;
  let vpcWorkDir: string;
  let spec: string;
  let repoDir: string;
  let env: Record<string, string>;
  let sources: string;

  before(async () => {
    realProviderInstallation(); // fails with directions when there is no provider mirror
    moto = await startMoto();
    consul = await startConsulAgent();
    ec2 = moto.client();
    burstHome = await tempBurstHome();
    vpcWorkDir = await mkdtemp(join(tmpdir(), "burst-vpc-"));
    env = {
      ...moto.env(),
      ...consul.env(),
      // The caller's public address is looked up on the internet by default; here it is given.
      BURST_CALLER_CIDR: "127.0.0.1/32",
    };
    const s3 = moto.s3();
    // The spec's results bucket exists, as the preflight checks before apply (HeadBucket).
    for (const bucket of [stateBucket, "burst-results"]) {
      await s3.send(
        new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: motoRegion } }),
      );
    }
    s3.destroy();
    const push = await run(process.execPath, ["--import", "tsx", join(repoRoot, "scripts", "config-push.ts")], {
      cwd: repoRoot,
      env: consul.env(),
    });
    assert.equal(push.code, 0, push.stderr);
    // What ops set for this region: an image moto knows, remote state, a short host-key wait.
    const images = await ec2.send(new DescribeImagesCommand({ Filters: [{ Name: "name", Values: ["*xenial*"] }] }));
    const image = images.Images?.[0]?.ImageId;
    assert.ok(image, "moto ships an Ubuntu image");
    await consul.api("PUT", "/kv/burst/aws/region", motoRegion);
    await consul.api("PUT", "/kv/burst/aws/baseAmi", image);
    await consul.api("PUT", "/kv/burst/aws/stateBucket", stateBucket);
    await consul.api("PUT", "/kv/burst/aws/sshWaitSeconds", String(sshWaitSeconds));
    // The tarball's SHA-512 as ops pin it (config/aws.yml ships none: see docs/operations.md).
    sources = await mkdtemp(join(tmpdir(), "burst-stage-"));
    const repo = await makeRepo({ "main.py": "print('hi')\n" });
    repoDir = repo.dir;
    spec = await writeSpec(`name: moto-run
code: { repo: ${repo.dir} }
job: { type: pyspark, entrypoint: main.py }
cluster: { workers: 2, worker: { instanceType: m5.large, spot: true } }
results: s3://burst-results/runs/
`);
  });

  after(async () => {
    ec2?.destroy();
    await consul?.stop();
    await moto?.stop();
  });

  const vpc = (args: string[]) => runVpcScript(args, { cwd: vpcWorkDir, env, timeoutMs: 600_000 });

  test("npm run vpc: plan, deploy (state in S3 with a lock file, outputs to Consul), outputs", async () => {
    const plan = await vpc(["plan"]);
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stderr, /Plan: \d+ to add, 0 to change, 0 to destroy/);

    const deploy = await vpc(["deploy", "--yes"]);
    assert.equal(deploy.code, 0, `${deploy.stdout}\n${deploy.stderr}`);
    assert.match(deploy.stdout, /create aws_vpc\./);
    assert.match(deploy.stdout, /VPC outputs written to Consul under burst\/vpc\/main\//);

    const published = await consul.kv("burst/vpc/main/");
    const vpcId = published.get("burst/vpc/main/vpcId") ?? "";
    const vpcs = await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }));
    assert.equal(vpcs.Vpcs?.length, 1, "the VPC id in Consul is a VPC moto holds");
    const subnets = JSON.parse(published.get("burst/vpc/main/subnetIds") ?? "[]") as string[];
    assert.equal(subnets.length, 2, "one subnet per AZ (config/aws.yml azCount: 2)");

    const state = await listObjects(moto, stateBucket);
    assert.deepEqual(state, ["vpc/main/terraform.tfstate"], "state in the bucket, and its lock released");
    assert.ok(!existsSync(join(vpcWorkDir, "cdktf.out/stacks/vpc/terraform.tfstate")), "no local state");

    const outputs = await vpc(["outputs"]);
    assert.equal(outputs.code, 0, outputs.stderr);
    assert.equal((JSON.parse(outputs.stdout) as Record<string, unknown>).vpcId, vpcId);
  });

  test("npm run vpc -- stage: PyPI's pyspark and wheels and the real s3a jars, checked, into the artifacts bucket; again: nothing re-uploaded", async () => {
    const published = await consul.kv("burst/vpc/main/");
    const bucket = published.get("burst/vpc/main/artifactsBucket") ?? "";
    assert.match(bucket, /^burst-main-artifacts-/, "the bucket's name is a VPC output in Consul");
    const s3 = moto.s3();
    try {
      // Private, encrypted, readable only through the VPC's S3 gateway endpoint.
      const vpcId = published.get("burst/vpc/main/vpcId") ?? "";
      const endpoints = await ec2.send(
        new DescribeVpcEndpointsCommand({ Filters: [{ Name: "vpc-id", Values: [vpcId] }] }),
      );
      const endpointId = endpoints.VpcEndpoints?.[0]?.VpcEndpointId;
      assert.ok(endpointId);
      const policy = JSON.parse((await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy ?? "{}");
      assert.deepEqual(
        policy.Statement.map((statement: Json) => [statement.Action, statement.Condition]),
        [["s3:GetObject", { StringEquals: { "aws:SourceVpce": endpointId } }]],
      );
      const block = await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }));
      assert.equal(block.PublicAccessBlockConfiguration?.BlockPublicPolicy, true);
      const encryption = await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
      assert.equal(
        encryption.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm,
        "AES256",
      );

      // The jars come from the burst cache (Maven Central's bytes, their SHA-512s pinned in jars.txt),
      // the Python files from setup-tests' cache of PyPI's (their SHA-256s in python.txt): Spark 3.5.3's.
      const staged = nodeArtifacts("3.5.3", { mavenRepo: "", architecture: hostArchitecture() });
      const jars = staged
        .filter((artifact) => artifact.kind === "jar")
        .map((artifact) => join(cacheRoot(), "maven", artifact.key.replace(/^maven2\//, "")));
      for (const jar of jars) assert.ok(existsSync(jar), `${jar} is missing: run bash scripts/setup.sh`);
      for (const { path } of wheelhouseFiles("3.5.3"))
        assert.ok(existsSync(path), `${path}: bash scripts/setup-tests.sh`);
      const from = [wheelhouseDir(), ...jars].flatMap((source) => ["--from", source]);
      const stage = (args: string[]) => vpc(["stage", "--arch", hostArchitecture(), ...args, ...from]);
      const first = await stage([]);
      assert.equal(first.code, 0, `${first.stdout}\n${first.stderr}`);
      assert.match(first.stdout, new RegExp(`Staged: ${staged.length} uploaded, 0 already there`));
      const pyspark = staged.find((artifact) => artifact.fileName === "pyspark-3.5.3.tar.gz");
      assert.ok(pyspark);
      const stored = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: pyspark.key }));
      const hash = createHash("sha256");
      for await (const chunk of stored.Body as AsyncIterable<Uint8Array>) hash.update(chunk);
      assert.equal(hash.digest("hex"), pyspark.digest.hex, "the bytes read back are PyPI's");
      for (const artifact of staged) {
        const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: artifact.key }));
        assert.equal(head.Metadata?.[artifact.digest.algorithm], artifact.digest.hex, artifact.key);
      }

      const again = await stage([]);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, new RegExp(`Staged: 0 uploaded, ${staged.length} already there`));

      // A file that is not the one PyPI publishes is refused before any upload (exit 2).
      await mkdir(join(sources, "bad"));
      await writeFile(join(sources, "bad", "pyspark-3.5.2.tar.gz"), randomBytes(1024));
      const bad = await stage(["--spark", "3.5.2", "--from", join(sources, "bad")]);
      assert.equal(bad.code, 2, `${bad.stdout}\n${bad.stderr}`);
      assert.match(
        bad.stderr,
        /pyspark-3\.5\.2\.tar\.gz: its SHA256 is [0-9a-f]{64}, the pinned one [0-9a-f]{64}; nothing was uploaded/,
      );
      assert.ok(!(await listObjects(moto, bucket)).includes("pypi/pyspark-3.5.2.tar.gz"));

      // A version burst does not support, or an architecture it has no wheels for: refused before terraform runs.
      const unknown = await vpc(["stage", "--spark", "3.4.0"]);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /--spark 3\.4\.0 is not a Spark version burst supports/);
      const arch = await vpc(["stage", "--arch", "sparc"]);
      assert.equal(arch.code, 2);
      assert.match(arch.stderr, /--arch sparc is not an architecture burst has wheels for/);
    } finally {
      s3.destroy();
    }
  });

  test("burst --target aws: real apply, then the host-key wait fails (exit 3, phase named) and destroy leaves nothing", async () => {
    const result = await burst([spec, "--target", "aws", "--yes"], { burstHome, env });
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /ok apply/);
    assert.match(result.stderr, /FAILED wait-ready/);
    assert.match(result.stderr, new RegExp(`did not print its SSH host key to its console within ${sshWaitSeconds} s`));
    assert.match(result.stderr, /ok destroy/);
    // The preflight ran before apply, one line per check (docs/aws.md, "Preflight").
    const said = result.stderr + result.stdout;
    assert.match(said, /preflight: bucket burst-results: ok/);
    assert.match(said, /preflight: instance types m5\.xlarge, m5\.large offered in the VPC's AZs: ok/);
    assert.match(said, /preflight: EC2 DryRun of a worker \(m5\.large, spot, run-tagged\): ok \(allowed\)/);
    const runId = onlyRunId(await runDirs(burstHome));
    await assertNothingLeft(ec2, runId);
    const record = JSON.parse(readFileSync(join(burstHome, "runs", runId, "run.json"), "utf8")) as Json;
    assert.equal(record.destroyed, true);
    // Where it ran, recorded from the stack's outputs right after apply.
    assert.match(record.placement?.subnetId ?? "", /^subnet-/);
    assert.match(record.placement?.availabilityZone ?? "", new RegExp(`^${motoRegion}[a-z]$`));
    assert.match(result.stderr + result.stdout, /cluster placed in \S+ \(subnet subnet-/);
  });

  /** An aws burst that gets `signal` `delayMs` after it prints a line matching `when`. */
  const signalBurst = async (home: string, when: RegExp, signal: NodeJS.Signals, delayMs: number) => {
    let sent = false;
    const cli = startBurst([spec, "--target", "aws", "--yes"], {
      burstHome: home,
      env,
      onLine: (line) => {
        if (sent || !when.test(line.trim())) return;
        sent = true;
        setTimeout(() => cli.child.kill(signal), delayMs);
      },
    });
    const result = await cli.done;
    assert.ok(sent, `the run printed ${when}`);
    return result;
  };

  test("SIGINT during apply: apply finishes, then destroy; exit 130, nothing left", async () => {
    const home = await tempBurstHome();
    // terraform is applying 3 s after synth ends (init takes about 1 s).
    const result = await signalBurst(home, /^ok synth/, "SIGINT", 3000);
    assert.equal(result.code, 130, result.stderr);
    assert.match(result.stderr, /letting apply finish, then destroying/);
    assert.match(result.stderr, /ok destroy/);
    await assertNothingLeft(ec2, onlyRunId(await runDirs(home)));
  });

  test("--keep leaves the cluster up; `burst down` destroys it", async () => {
    const home = await tempBurstHome();
    const kept = await burst([spec, "--target", "aws", "--yes", "--keep"], { burstHome: home, env });
    assert.equal(kept.code, 3, kept.stderr);
    assert.match(kept.stderr, /cluster kept \(--keep\)/);
    const runId = onlyRunId(await runDirs(home));
    assert.ok((await liveInstances(ec2, runId)).length === 3, "master and two workers still up");
    await assertEveryLookupFinds(ec2, runId);
    await assertRunIsolatedInOneZone(ec2, home, runId);

    const down = await burst(["down", runId], { burstHome: home, env });
    assert.equal(down.code, 0, down.stderr);
    await assertNothingLeft(ec2, runId);
  });

  test("maxCostUsd below the estimate: exit 2 naming the key and the estimate, nothing provisioned, no run folder", async () => {
    const home = await tempBurstHome();
    const capped = await writeSpec(`name: moto-capped
code: { repo: ${repoDir} }
job: { type: pyspark, entrypoint: main.py }
cluster: { workers: 2, worker: { instanceType: m5.large, spot: true } }
results: s3://burst-results/runs/
maxCostUsd: 0.01
`);
    const before = await allLiveInstances(ec2);
    const result = await burst([capped, "--target", "aws", "--yes"], { burstHome: home, env });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /maxCostUsd: estimated cost \$\d+\.\d\d is above maxCostUsd \$0\.01/);
    assert.ok(
      result.stderr.includes(`${capped}:6:`),
      `the refusal names the spec's line of maxCostUsd\n${result.stderr}`,
    );
    assert.match(result.stderr, /use fewer or smaller nodes, or raise maxCostUsd/);
    assert.doesNotMatch(result.stderr, /^(ok|FAILED) apply/m, "apply never started");
    assert.deepEqual(await runDirs(home), [], "no run folder");
    assert.deepEqual(await allLiveInstances(ec2), before, "no instance was launched");
  });

  test("a spec naming a bucket the run cannot reach: exit 2 before apply, naming the bucket and the reason, nothing launched", async () => {
    const home = await tempBurstHome();
    const unreachable = await writeSpec(`name: moto-nowhere
code: { repo: ${repoDir} }
job: { type: pyspark, entrypoint: main.py }
cluster: { workers: 2, worker: { instanceType: m5.large, spot: true } }
results: s3://acme-nowhere/runs/
`);
    const before = await allLiveInstances(ec2);
    const result = await burst([unreachable, "--target", "aws", "--yes"], { burstHome: home, env });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /the run cannot reach bucket acme-nowhere: it does not exist/);
    assert.match(result.stderr, /preflight: bucket acme-nowhere: REFUSED \(it does not exist\)/);
    assert.doesNotMatch(result.stderr, /^(ok|FAILED) apply/m, "apply never started");
    assert.deepEqual(await allLiveInstances(ec2), before, "no instance was launched");
  });

  test("the confirmation prompt on a real terminal: no and Ctrl-C provision nothing (exit 130), yes launches", async () => {
    const before = await allLiveInstances(ec2);
    for (const [keys, says] of [
      ["n\r", /launch declined at the prompt; nothing was provisioned/],
      ["\x03", /interrupted by Ctrl-C at the prompt; nothing was provisioned/],
    ] as const) {
      const home = await tempBurstHome();
      const terminal = burstInTerminal([spec, "--target", "aws"], { burstHome: home, env });
      await terminal.waitFor(/Launch 3 nodes on aws \(estimated \$\d+\.\d\d\)\? \[y\/N\] /);
      terminal.type(keys);
      assert.equal(await terminal.exited, 130, terminal.output());
      assert.match(terminal.plainOutput(), says);
      assert.doesNotMatch(terminal.plainOutput(), /^(✔|✖) apply/m, "apply never started");
      const [runDir] = await runDirs(home);
      assert.ok(runDir, "synth made the run's folder");
      assert.equal(existsSync(join(runDir, "stack", "stacks", "cluster", "terraform.tfstate")), false, "no state");
      assert.deepEqual(await allLiveInstances(ec2), before, "no instance was launched");
    }
    // Yes: the launch goes ahead (and, as above, ends at the host-key wait, then destroys).
    const home = await tempBurstHome();
    const terminal = burstInTerminal([spec, "--target", "aws"], { burstHome: home, env });
    await terminal.waitFor(/\[y\/N\] /);
    terminal.type("y\r");
    assert.equal(await terminal.exited, 3, terminal.output());
    assert.match(terminal.plainOutput(), /^✔ apply/m);
    assert.match(terminal.plainOutput(), /^✔ destroy/m);
    await assertNothingLeft(ec2, onlyRunId(await runDirs(home)));
  });

  test("kill -9 of the CLI right after apply, then `burst gc`: the real provider's leftovers are found and removed", async () => {
    const home = await tempBurstHome();
    await signalBurst(home, /^ok apply/, "SIGKILL", 0);
    const runId = onlyRunId(await runDirs(home));
    assert.equal((await liveInstances(ec2, runId)).length, 3, "the cluster outlived its CLI");
    await assertEveryLookupFinds(ec2, runId);

    const gc = await burst(["gc"], { burstHome: home, env });
    assert.equal(gc.code, 0, `${gc.stdout}\n${gc.stderr}`);
    await assertNothingLeft(ec2, runId);
  });

  test("npm run vpc -- destroy: no VPC, subnet, gateway, route table, endpoint, group, role or profile left", async () => {
    const published = await consul.kv("burst/vpc/main/");
    const vpcId = published.get("burst/vpc/main/vpcId") ?? "";
    const artifactsBucket = published.get("burst/vpc/main/artifactsBucket") ?? "";
    const destroy = await vpc(["destroy", "--yes"]);
    assert.equal(destroy.code, 0, `${destroy.stdout}\n${destroy.stderr}`);
    const s3 = moto.s3();
    try {
      const buckets = (await s3.send(new ListBucketsCommand({}))).Buckets ?? [];
      assert.ok(!buckets.some((bucket) => bucket.Name === artifactsBucket), "the staged artifacts bucket is gone");
    } finally {
      s3.destroy();
    }
    const filter = [{ Name: "vpc-id", Values: [vpcId] }];
    assert.deepEqual((await ec2.send(new DescribeVpcsCommand({ Filters: filter }))).Vpcs, []);
    assert.deepEqual((await ec2.send(new DescribeSubnetsCommand({ Filters: filter }))).Subnets, []);
    assert.deepEqual((await ec2.send(new DescribeRouteTablesCommand({ Filters: filter }))).RouteTables, []);
    assert.deepEqual((await ec2.send(new DescribeSecurityGroupsCommand({ Filters: filter }))).SecurityGroups, []);
    const endpoints = (await ec2.send(new DescribeVpcEndpointsCommand({ Filters: filter }))).VpcEndpoints ?? [];
    // AWS, like moto, lists a deleted endpoint for a while: nothing else may remain.
    assert.deepEqual(
      endpoints.filter((endpoint) => endpoint.State?.toLowerCase() !== "deleted"),
      [],
    );
    const gateways = await ec2.send(
      new DescribeInternetGatewaysCommand({ Filters: [{ Name: "attachment.vpc-id", Values: [vpcId] }] }),
    );
    assert.deepEqual(gateways.InternetGateways, []);
    const iam = moto.iam();
    try {
      const roles = (await iam.send(new ListRolesCommand({}))).Roles ?? [];
      assert.deepEqual(
        roles.filter((role) => role.RoleName?.startsWith("burst-")),
        [],
      );
      const profiles = (await iam.send(new ListInstanceProfilesCommand({}))).InstanceProfiles ?? [];
      assert.deepEqual(
        profiles.filter((profile) => profile.InstanceProfileName?.startsWith("burst-")),
        [],
      );
    } finally {
      iam.destroy();
    }
    assert.deepEqual(await listObjects(moto, stateBucket), ["vpc/main/terraform.tfstate"], "no lock left");
  });
});

// biome-ignore lint/suspicious/noExplicitAny: run.json is checked field by field.
type Json = any;

function onlyRunId(dirs: string[]): string {
  assert.equal(dirs.length, 1, `one run expected, found ${dirs.join(", ")}`);
  return dirs[0]?.split("/").pop() ?? "";
}

async function listObjects(moto: MotoServer, bucket: string): Promise<string[]> {
  const s3 = moto.s3();
  try {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    return (listed.Contents ?? []).map((object) => object.Key ?? "").sort();
  } finally {
    s3.destroy();
  }
}

const runFilter = (runId: string) => [{ Name: `tag:${tagKeys.runId}`, Values: [runId] }];

/**
 * What the real provider applied for one run: a members group whose only ingress rule admits
 * itself, every node in it, no VPC-wide rule between nodes, and every node in the one subnet
 * and AZ that run.json records.
 */
async function assertRunIsolatedInOneZone(ec2: EC2Client, home: string, runId: string): Promise<void> {
  const groups = (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: runFilter(runId) }))).SecurityGroups;
  const members = (groups ?? []).filter((group) => group.GroupName?.endsWith("-members"));
  assert.equal(members.length, 1, "one members group for the run");
  const membersId = members[0]?.GroupId ?? "";
  const rules = (
    await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: "group-id", Values: [membersId] }] }))
  ).SecurityGroupRules;
  const ingress = (rules ?? []).filter((rule) => !rule.IsEgress);
  assert.deepEqual(
    ingress.map((rule) => [rule.IpProtocol, rule.ReferencedGroupInfo?.GroupId, rule.CidrIpv4]),
    [["-1", membersId, undefined]],
    "the members group admits only itself",
  );
  const vpcGroups = await ec2.send(
    new DescribeSecurityGroupsCommand({ Filters: [{ Name: "group-name", Values: ["burst-main-cluster"] }] }),
  );
  const baselineId = vpcGroups.SecurityGroups?.[0]?.GroupId ?? "";
  assert.ok(baselineId, "the VPC's baseline group exists");
  const baselineRules = (
    await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: "group-id", Values: [baselineId] }] }))
  ).SecurityGroupRules;
  assert.deepEqual(
    (baselineRules ?? []).filter((rule) => !rule.IsEgress && rule.ReferencedGroupInfo?.GroupId),
    [],
    "the VPC-wide baseline grants nothing between nodes",
  );

  const record = JSON.parse(readFileSync(join(home, "runs", runId, "run.json"), "utf8")) as Json;
  const answer = await ec2.send(new DescribeInstancesCommand({ Filters: runFilter(runId) }));
  const instances = (answer.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []);
  assert.equal(instances.length, 3);
  const workerTemplate = await ec2.send(
    new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: `burst-${runId}-worker`, Versions: ["$Latest"] }),
  );
  assert.ok(
    workerTemplate.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.SecurityGroupIds?.includes(membersId),
    "workers launch into the members group",
  );
  // moto's DescribeInstances lists no groups on these instances (its fleet reads template groups
  // from "GroupSet", and RunInstances' VPC groups stay off the instance), so membership is
  // checked in the template here and in the synthesized stack (spark-cluster-stack.test.ts).
  for (const instance of instances) {
    assert.equal(instance.SubnetId, record.placement?.subnetId, `${instance.InstanceId} is in the recorded subnet`);
    assert.equal(instance.Placement?.AvailabilityZone, record.placement?.availabilityZone);
  }
  // The address terraform gave the master is one the CLI computes before apply to check it is
  // free (the same formula in TS): the run's first pick, or a later one when that was held.
  const master = instances.find((instance) =>
    instance.Tags?.some((tag) => tag.Key === tagKeys.role && tag.Value === "master"),
  );
  const subnet = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [record.placement?.subnetId] }));
  const cidr = subnet.Subnets?.[0]?.CidrBlock ?? "";
  const picks = [0, 1, 2].map((attempt) => masterAddressIn(cidr, masterAddressSeed(runId, attempt)));
  assert.ok(picks.includes(master?.PrivateIpAddress ?? ""), `master at ${master?.PrivateIpAddress}, picks ${picks}`);
}

async function liveInstances(ec2: EC2Client, runId: string): Promise<string[]> {
  const answer = await ec2.send(new DescribeInstancesCommand({ Filters: runFilter(runId) }));
  return (answer.Reservations ?? [])
    .flatMap((reservation) => reservation.Instances ?? [])
    .filter((instance) => instance.State?.Name !== "terminated")
    .map((instance) => instance.InstanceId ?? "");
}

async function allLiveInstances(ec2: EC2Client): Promise<string[]> {
  const answer = await ec2.send(new DescribeInstancesCommand({}));
  return (answer.Reservations ?? [])
    .flatMap((reservation) => reservation.Instances ?? [])
    .filter((instance) => instance.State?.Name !== "terminated")
    .map((instance) => instance.InstanceId ?? "")
    .sort();
}

/**
 * Nothing of the run billing or lingering: no instance that is not terminated, no active fleet,
 * Elastic IP, key pair, launch template or security group of the run. moto keeps a terminated
 * instance's interfaces attached (AWS deletes them with the instance), so interfaces are checked
 * for what AWS would bill or keep: none may be detached and left over.
 */
/** What of the run EC2 still lists, by the run's tag: what destroy must leave empty (the run stack has no Elastic IP). */
async function runResources(ec2: EC2Client, runId: string): Promise<Record<string, readonly unknown[]>> {
  const fleets = (await ec2.send(new DescribeFleetsCommand({}))).Fleets ?? [];
  const ours = fleets.filter((fleet) => fleet.Tags?.some((tag) => tag.Key === tagKeys.runId && tag.Value === runId));
  const filter = runFilter(runId);
  return {
    instances: await liveInstances(ec2, runId),
    "active fleets": ours
      .filter((fleet) => !String(fleet.FleetState).startsWith("deleted"))
      .map((fleet) => fleet.FleetId),
    "key pairs": (await ec2.send(new DescribeKeyPairsCommand({ Filters: filter }))).KeyPairs ?? [],
    "launch templates": (await ec2.send(new DescribeLaunchTemplatesCommand({ Filters: filter }))).LaunchTemplates ?? [],
    "security groups": (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: filter }))).SecurityGroups ?? [],
  };
}

/** While the run is up, every lookup of assertNothingLeft finds its part: an empty answer there means gone, not unseen. */
async function assertEveryLookupFinds(ec2: EC2Client, runId: string): Promise<void> {
  for (const [what, found] of Object.entries(await runResources(ec2, runId))) {
    assert.ok(found.length > 0, `the lookup for the run's ${what} finds nothing while the cluster is up`);
  }
}

async function assertNothingLeft(ec2: EC2Client, runId: string): Promise<void> {
  for (const [what, found] of Object.entries(await runResources(ec2, runId))) {
    assert.deepEqual(found, [], `${what} of the run still there`);
  }
  const interfaces = (await ec2.send(new DescribeNetworkInterfacesCommand({}))).NetworkInterfaces ?? [];
  assert.deepEqual(
    interfaces
      .filter((networkInterface) => networkInterface.Status === "available")
      .map((eni) => eni.NetworkInterfaceId),
    [],
    "a detached interface is left over",
  );
}
