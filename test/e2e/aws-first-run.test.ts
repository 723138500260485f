// A first AWS run on a fresh account, as far as it goes here: the repository's config pushed as
// is, `npm run vpc -- deploy` against moto with the real provider (it creates the account's data
// and results buckets and publishes them to Consul), then the README's example dry-runs on aws
// without a file edited: its s3://${data}/ and s3://${results}/ become the account's own buckets.
// Only loopback is contacted (moto, Consul); the dry run provisions nothing.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ListBucketsCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { type ConsulAgent, startConsulAgent } from "../../scripts/servers/consul.ts";
import { type MotoServer, motoRegion, startMoto } from "../../scripts/servers/moto.ts";
import { runVpcScript } from "../../scripts/servers/vpc-script.ts";
import { run } from "../../src/util/exec.ts";
import { burst, repoRoot, tempBurstHome } from "../helpers/burst.ts";
import { realProviderInstallation } from "../helpers/terraform.ts";

/** The account moto answers as (its default). */
const account = "123456789012";
const example = join(repoRoot, "examples", "wordcount", "spark.yml");

/** Every terraform state file under a folder (.terraform/terraform.tfstate only records the backend). */
const tfstateFiles = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: "utf8" }).filter(
    (path) => path.endsWith(".tfstate") && !path.split("/").includes(".terraform"),
  );

describe("a fresh account: vpc deploy, then the README's example as written", () => {
  let moto: MotoServer;
  let consul: ConsulAgent;
  let env: Record<string, string>;
  let vpcWorkDir: string;

  before(async () => {
    realProviderInstallation(); // fails with directions when there is no provider mirror
    moto = await startMoto();
    consul = await startConsulAgent();
    vpcWorkDir = await mkdtemp(join(tmpdir(), "burst-first-run-"));
    env = { ...moto.env(), ...consul.env(), BURST_CALLER_CIDR: "127.0.0.1/32" };
  });

  after(async () => {
    await consul?.stop();
    await moto?.stop();
  });

  const vpc = (args: string[]) => runVpcScript(args, { cwd: vpcWorkDir, env, timeoutMs: 600_000 });

  test("the example's ${data} and ${results} are the buckets vpc deploy made; its dry run exits 0", async () => {
    const exampleBefore = readFileSync(example);
    const push = await run(process.execPath, ["--import", "tsx", join(repoRoot, "scripts", "config-push.ts")], {
      cwd: repoRoot,
      env: consul.env(),
    });
    assert.equal(push.code, 0, push.stderr);
    assert.equal(motoRegion, "eu-west-1", "config/aws.yml's region, unchanged");

    // Before the first deploy there is no state anywhere: plan runs against an empty one.
    const plan = await vpc(["plan"]);
    assert.equal(plan.code, 0, `${plan.stdout}\n${plan.stderr}`);
    assert.match(plan.stderr, /No state bucket burst-main-eu-west-1-state-\* yet: planning against an empty state/);
    assert.match(plan.stderr, /Plan: \d+ to add, 0 to change, 0 to destroy/);

    const deploy = await vpc(["deploy", "--yes"]);
    assert.equal(deploy.code, 0, `${deploy.stdout}\n${deploy.stderr}`);
    const published = await consul.kv("burst/vpc/main/");
    const data = `burst-main-data-${account}-${motoRegion}`;
    const results = `burst-main-results-${account}-${motoRegion}`;
    assert.equal(published.get("burst/vpc/main/dataBucket"), data);
    assert.equal(published.get("burst/vpc/main/resultsBucket"), results);
    const s3 = moto.s3();
    const owned = (await s3.send(new ListBucketsCommand({}))).Buckets?.map((bucket) => bucket.Name ?? "") ?? [];
    assert.ok(owned.includes(data) && owned.includes(results), `the account owns them: ${owned.join(", ")}`);
    // No aws/stateBucket in config/aws.yml: deploy made the account's state bucket, as cdk bootstrap does.
    const stateBuckets = owned.filter((name) => name.startsWith(`burst-main-${motoRegion}-state-`));
    assert.equal(stateBuckets.length, 1, owned.join(", "));
    const state = await s3.send(new ListObjectsV2Command({ Bucket: stateBuckets[0] }));
    assert.deepEqual(
      state.Contents?.map((object) => object.Key),
      ["vpc/main/terraform.tfstate"],
    );
    s3.destroy();
    assert.match(deploy.stderr, /Created the VPC's state bucket s3:\/\/burst-main-eu-west-1-state-[0-9a-f]{8}\//);
    assert.deepEqual(tfstateFiles(vpcWorkDir), [], "no state file in the working folder");

    // Nothing added by hand: every file nodes install ships with its digest (stacks/aws/artifacts/).
    const burstHome = await tempBurstHome();
    const dryRun = await burst([example, "--target", "aws", "--dry-run"], { burstHome, env });
    assert.equal(dryRun.code, 0, `${dryRun.stdout}\n${dryRun.stderr}`);
    const said = `${dryRun.stdout}\n${dryRun.stderr}`;
    assert.ok(said.includes(`s3://${results}/runs/`), said);
    assert.doesNotMatch(said, /burst-data|burst-results/);

    const validated = await burst(["validate", example, "--target", "aws"], { burstHome, env });
    assert.equal(validated.code, 0, validated.stderr);
    assert.ok(validated.stdout.includes(`s3a://${data}/wordcount/input/`), validated.stdout);
    assert.ok(validated.stdout.includes(`s3://${data}/wordcount/input/`), validated.stdout);
    assert.deepEqual(readFileSync(example), exampleBefore, "the example is run as written");

    // Empty, the buckets go with the VPC; a non-empty one would stay (no force_destroy).
    // destroy finds the same state bucket again by its name.
    const destroy = await vpc(["destroy", "--yes"]);
    assert.equal(destroy.code, 0, `${destroy.stdout}\n${destroy.stderr}`);
    assert.match(destroy.stdout, /VPC "main" destroyed/);
    const left = moto.s3();
    const remaining = (await left.send(new ListBucketsCommand({}))).Buckets?.map((bucket) => bucket.Name) ?? [];
    left.destroy();
    assert.ok(!remaining.includes(data) && !remaining.includes(results), remaining.join(", "));
  });
});
