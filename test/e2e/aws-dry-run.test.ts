// The AWS target's acceptance path that can run here: parameters pushed to a real Consul agent
// (config:push, then the VPC outputs the VPC stack would publish), then `--target aws --dry-run`
// plans the cluster and its cost from them. AWS itself is never called: the dry run provisions
// nothing, and the caller CIDR is a documented placeholder until launch.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type ConsulAgent, startConsulAgent } from "../../scripts/servers/consul.ts";
import { ConsulStore, writeParams } from "../../src/params/index.ts";
import { vpcOutputEntries } from "../../src/targets/aws/params.ts";
import { run } from "../../src/util/exec.ts";
import { burst, makeRepo, repoRoot, runDirs, tempBurstHome, writeSpec } from "../helpers/burst.ts";

describe("aws dry run from Consul parameters", () => {
  let consul: ConsulAgent;
  let burstHome: string;
  before(async () => {
    consul = await startConsulAgent();
    burstHome = await tempBurstHome();
  });
  after(async () => {
    await consul.stop();
  });

  test("config:push, then the dry run plans the cluster and its cost from Consul, provisioning nothing", async () => {
    const push = await run(process.execPath, ["--import", "tsx", join(repoRoot, "scripts", "config-push.ts")], {
      cwd: repoRoot,
      env: consul.env(),
    });
    assert.equal(push.code, 0, push.stderr);
    await writeParams(
      ConsulStore.fromEnv(consul.env()),
      vpcOutputEntries("main", {
        vpcId: "vpc-0123456789abcdef0",
        subnetIds: ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
        securityGroupId: "sg-0123456789abcdef0",
        instanceProfileName: "burst-node",
        artifactsBucket: "burst-main-artifacts-20250101000000000000000001",
      }),
    );
    // Ops change a default in one place; every burst picks it up.
    await consul.api("PUT", "/kv/burst/aws/region", "us-east-1");

    const repo = await makeRepo({ "main.py": "print('hi')\n" });
    const spec = await writeSpec(`name: aws-plan
code: { repo: ${repo.dir} }
job: { type: pyspark, entrypoint: main.py, timeoutMinutes: 30 }
cluster: { workers: 4, worker: { instanceType: m5.xlarge, spot: true } }
results: s3://burst-results/runs/
`);
    // Nothing pinned by hand: config/aws.yml as shipped is enough (every digest ships in stacks/aws/artifacts/).
    const result = await burst([spec, "--target", "aws", "--dry-run"], { burstHome, env: consul.env() });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /target: aws/);
    assert.match(result.stdout, /target aws in us-east-1/, "the region came from Consul");
    assert.match(result.stdout, /subnet-0aaaaaaaaaaaaaaa1/, "the VPC outputs came from Consul");
    assert.match(
      result.stdout,
      /pyspark 3\.5\.3, numpy\/pandas\/pyarrow and the s3a jars from s3:\/\/burst-main-artifacts-20250101000000000000000001\//,
    );
    assert.match(result.stdout, /estimated cost: \$\d+\.\d\d/);
    assert.match(result.stdout, /m5\.xlarge/);
    assert.deepEqual(await runDirs(burstHome), [], "a dry run creates no run");
  });

  test("maxCostUsd with an unpriced instance type refuses the launch (exit 2), naming the type, provisioning nothing", async () => {
    const repo = await makeRepo({ "main.py": "print('hi')\n" });
    const spec = await writeSpec(`name: aws-unpriced
code: { repo: ${repo.dir} }
job: { type: pyspark, entrypoint: main.py, timeoutMinutes: 30 }
cluster: { workers: 2, worker: { instanceType: x2iezn.2xlarge } }
results: s3://burst-results/runs/
maxCostUsd: 100
`);
    const home = await tempBurstHome();
    // A real launch, not a dry run: the refusal must come before terraform runs.
    const result = await burst([spec, "--target", "aws"], {
      burstHome: home,
      env: { ...consul.env(), BURST_CALLER_CIDR: "192.0.2.10/32" },
    });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /maxCostUsd is set, but this run's cost cannot be estimated/);
    assert.ok(
      result.stderr.includes(`${spec}:6:`),
      `the refusal names the spec's line of maxCostUsd\n${result.stderr}`,
    );
    assert.match(result.stderr, /no price for instance type x2iezn\.2xlarge/);
    const runs = await runDirs(home);
    for (const runDir of runs) {
      assert.ok(!existsSync(join(runDir, "stack")), `${runDir}: no stack was synthesized`);
      assert.ok(!existsSync(join(runDir, "terraform.log")), `${runDir}: terraform never ran`);
    }
    const dry = await burst([spec, "--target", "aws", "--dry-run"], { burstHome: home, env: consul.env() });
    assert.equal(dry.code, 2, dry.stderr);
    assert.match(dry.stdout, /estimated cost: unknown/);
    assert.match(dry.stderr, /x2iezn\.2xlarge/);
  });

  test("in a region without prices the plan says the cost is unknown, and maxCostUsd refuses it (exit 2)", async () => {
    await consul.api("PUT", "/kv/burst/aws/region", "ap-south-1");
    try {
      const repo = await makeRepo({ "main.py": "print('hi')\n" });
      const body = `code: { repo: ${repo.dir} }
job: { type: pyspark, entrypoint: main.py, timeoutMinutes: 30 }
cluster: { workers: 2, worker: { instanceType: m5.xlarge } }
results: s3://burst-results/runs/
`;
      const plain = await burst([await writeSpec(`name: aws-region\n${body}`), "--target", "aws", "--dry-run"], {
        burstHome,
        env: consul.env(),
      });
      assert.equal(plain.code, 0, plain.stderr);
      assert.match(plain.stdout, /cost: unknown: .*no prices for region ap-south-1/);
      assert.match(plain.stdout, /estimated cost: unknown/);
      assert.doesNotMatch(plain.stdout, /on-demand m5\.xlarge: \$/, "no other region's prices are borrowed");
      const capped = await burst(
        [await writeSpec(`name: aws-region\nmaxCostUsd: 100\n${body}`), "--target", "aws", "--dry-run"],
        { burstHome, env: consul.env() },
      );
      assert.equal(capped.code, 2, capped.stderr);
      assert.match(capped.stderr, /no prices for region ap-south-1/);
    } finally {
      await consul.api("PUT", "/kv/burst/aws/region", "us-east-1");
    }
  });

  test("without the VPC outputs the aws target says which command produces them (exit 2)", async () => {
    await consul.api("DELETE", "/kv/burst/vpc?recurse=true");
    const repo = await makeRepo({ "main.py": "print('hi')\n" });
    const spec = await writeSpec(`name: aws-plan
code: { repo: ${repo.dir} }
job: { type: pyspark, entrypoint: main.py }
`);
    const result = await burst([spec, "--target", "aws", "--dry-run"], { burstHome, env: consul.env() });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /npm run vpc -- deploy/);
  });
});
