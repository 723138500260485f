// component: consul
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type ConsulAgent, startConsulAgent } from "../../scripts/servers/consul.ts";
import { BurstError } from "../../src/errors.ts";
import { desiredFromFiles } from "../../src/params/config-files.ts";
import { ConsulStore, FileStore, MAX_TXN_OPS, pushParams } from "../../src/params/index.ts";
import { planPush } from "../../src/params/push.ts";
import { type ConfigDir, copyOfRepoConfig, runScript, vpcFile } from "./fixtures.ts";

describe("config:push and config:show against a real Consul agent", () => {
  let consul: ConsulAgent;
  let prefixCount = 0;
  const freshPrefix = () => `push${++prefixCount}/`;
  const configs: ConfigDir[] = [];
  const newConfig = async () => {
    const config = await copyOfRepoConfig();
    configs.push(config);
    return config;
  };

  before(async () => {
    consul = await startConsulAgent();
  });
  after(async () => {
    await consul?.stop();
    await Promise.all(configs.map((config) => config.remove()));
  });

  it("round trip: push the files, then show them back from Consul with provenance and masked secrets", async () => {
    const config = await newConfig();
    const prefix = freshPrefix();
    const env = consul.env();
    const keys = (await desiredFromFiles(new FileStore(config.path))).size;
    assert.ok(keys >= 20, `the repo's config/ holds ${keys} keys`);
    const push = await runScript("config-push", ["--config-dir", config.path, "--prefix", prefix], env);
    assert.equal(push.code, 0, push.stderr);
    assert.equal(push.stdout.split("\n").filter((line) => line.startsWith(`  + ${prefix}`)).length, keys);
    assert.match(push.stdout, new RegExp(`\\+ ${prefix}aws/region = "eu-west-1"`));
    assert.match(push.stdout, new RegExp(`\\+ ${prefix}aws/sshWaitSeconds = "900"`), "a timeout is not a secret");
    assert.match(push.stdout, new RegExp(`${keys} change\\(s\\): ${keys} added, 0 changed, 0 removed; 0 unchanged`));
    assert.match(push.stdout, /applied in 1 transaction\(s\)/);
    assert.equal((await consul.kv(prefix)).get(`${prefix}aws/buckets`), "[]");
    assert.equal((await consul.kv(prefix)).get(`${prefix}defaults/results`), "s3://${results}/runs/");

    const again = await runScript("config-push", ["--config-dir", config.path, "--prefix", prefix], env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`no changes \\(${keys} keys up to date\\)`));

    await consul.api("PUT", `/kv/${prefix}notify/webhook`, "https://hooks.example.com/T000/B000/very-secret");
    const show = await runScript("config-show", ["--config-dir", config.path, "--prefix", prefix, "--json"], env);
    assert.equal(show.code, 0, show.stderr);
    const shown = JSON.parse(show.stdout) as {
      params: Array<{ key: string; value: unknown; source: string; where: string }>;
    };
    const row = (key: string) => shown.params.find((param) => param.key === key);
    assert.deepEqual(row("aws/region"), {
      key: "aws/region",
      value: "eu-west-1",
      source: "consul",
      where: `consul:${prefix}aws/region`,
    });
    assert.deepEqual(row("defaults/workers")?.value, 2);
    assert.deepEqual(row("local/resultsBucket")?.value, "burst-results");
    assert.equal(row("notify/webhook")?.value, "***");
    assert.doesNotMatch(show.stdout, /very-secret/);

    const table = await runScript(
      "config-show",
      ["--config-dir", config.path, "--prefix", prefix, "--target", "local"],
      {
        ...env,
        BURST_LOCAL_WORKER_MEMORY: "2g",
      },
    );
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /local\/workerMemory\s+2g\s+env\s+BURST_LOCAL_WORKER_MEMORY/);
    assert.match(table.stdout, /notify\/webhook\s+\*\*\*\s+consul/);
    assert.doesNotMatch(table.stdout, /aws\/region/, "--target local shows only what local uses");

    const aws = await runScript(
      "config-show",
      ["--config-dir", config.path, "--prefix", prefix, "--target", "aws"],
      env,
    );
    assert.equal(aws.code, 2, "the aws target needs the VPC outputs");
    assert.match(aws.stderr, /npm run vpc -- deploy/);
  });

  it("prints the diff, writes nothing on --dry-run, and prunes only keys the files own", async () => {
    const config = await newConfig();
    const prefix = freshPrefix();
    const env = consul.env();
    const args = ["--config-dir", config.path, "--prefix", prefix];
    assert.equal((await runScript("config-push", args, env)).code, 0);
    // Written by others: the VPC stack, an operator, and a key nobody owns any more.
    await consul.api("PUT", `/kv/${prefix}vpc/main/vpcId`, "vpc-0123456789abcdef0");
    await consul.api("PUT", `/kv/${prefix}notify/webhook`, "https://hooks.example.com/secret-path");
    await consul.api("PUT", `/kv/${prefix}old/setting`, "x");
    // Declared by the files: vpc/manual/ is theirs, stale keys under it go with --prune.
    await config.write("vpc.yml", vpcFile(1).replace("v0:", "manual:"));
    await consul.api("PUT", `/kv/${prefix}vpc/manual/legacyKey`, "y");
    await config.write("local.yml", "local:\n  workerCores: 4\n");

    const dryRun = await runScript("config-push", [...args, "--prune", "--dry-run"], env);
    assert.equal(dryRun.code, 0, dryRun.stderr);
    assert.match(dryRun.stdout, new RegExp(`~ ${prefix}local/workerCores: "1" -> "4"`));
    assert.match(dryRun.stdout, new RegExp(`- ${prefix}local/workerMemory \\(was "1g"\\)`));
    assert.match(dryRun.stdout, new RegExp(`- ${prefix}old/setting \\(was "x"\\)`));
    assert.match(dryRun.stdout, new RegExp(`- ${prefix}vpc/manual/legacyKey`));
    assert.match(dryRun.stdout, new RegExp(`\\+ ${prefix}vpc/manual/vpcId = "vpc-`));
    assert.match(
      dryRun.stdout,
      new RegExp(
        `left alone \\(written by the VPC stack or an operator, not by these files\\):\\n    ${prefix}notify/webhook\\n    ${prefix}vpc/main/vpcId`,
      ),
    );
    assert.doesNotMatch(dryRun.stdout, /secret-path/, "secrets are masked in diffs");
    assert.match(dryRun.stdout, /dry run: nothing written/);
    assert.equal((await consul.kv(prefix)).get(`${prefix}local/workerCores`), "1");

    const withoutPrune = await runScript("config-push", args, env);
    assert.equal(withoutPrune.code, 0, withoutPrune.stderr);
    assert.match(withoutPrune.stdout, /kept \(not in the files; --prune removes them\)/);
    assert.equal((await consul.kv(prefix)).get(`${prefix}old/setting`), "x");

    const pruned = await runScript("config-push", [...args, "--prune"], env);
    assert.equal(pruned.code, 0, pruned.stderr);
    const after = await consul.kv(prefix);
    assert.equal(after.get(`${prefix}local/workerCores`), "4");
    assert.equal(after.has(`${prefix}local/workerMemory`), false);
    assert.equal(after.has(`${prefix}old/setting`), false);
    assert.equal(after.has(`${prefix}vpc/manual/legacyKey`), false);
    assert.equal(after.get(`${prefix}vpc/main/vpcId`), "vpc-0123456789abcdef0");
    assert.equal(after.get(`${prefix}notify/webhook`), "https://hooks.example.com/secret-path");
  });

  it("refuses to push malformed files (exit 2) and leaves Consul untouched", async () => {
    const config = await newConfig();
    const prefix = freshPrefix();
    await config.write("aws.yml", "aws:\n  region: eu-west\nvpc-config:\n  cidr: 10.42.0.0/33\n");
    const push = await runScript("config-push", ["--config-dir", config.path, "--prefix", prefix], consul.env());
    assert.equal(push.code, 2);
    assert.match(push.stderr, /aws\/region: "eu-west" is not an AWS region/);
    assert.match(push.stderr, /vpc-config\/cidr: "10\.42\.0\.0\/33"/);
    assert.equal((await consul.kv(prefix)).size, 0);
    const badFlag = await runScript("config-push", ["--force"], consul.env());
    assert.equal(badFlag.code, 2);
  });

  it(`pushes more keys than one transaction allows (${MAX_TXN_OPS}) in several check-and-set transactions`, async () => {
    const config = await newConfig();
    await config.write("vpc.yml", vpcFile(40));
    const desired = await desiredFromFiles(new FileStore(config.path));
    assert.ok(desired.size >= 150, `${desired.size} keys`);
    const prefix = freshPrefix();
    const store = ConsulStore.fromEnv(consul.env());
    const first = await pushParams(store, prefix, desired, { prune: false, dryRun: false });
    assert.equal(first.applied, true);
    assert.equal(first.transactions, Math.ceil(desired.size / MAX_TXN_OPS));
    const stored = await consul.kv(prefix);
    assert.equal(stored.size, desired.size);
    for (const [key, value] of desired) assert.equal(stored.get(prefix + key), value, key);
    const second = await pushParams(store, prefix, desired, { prune: false, dryRun: false });
    assert.equal(second.plan.changes.length, 0);
    assert.equal(second.transactions, 0);
  });

  it("re-reads and re-plans when another writer changes a key between read and write", async () => {
    const prefix = freshPrefix();
    const store = ConsulStore.fromEnv(consul.env());
    const desired = new Map(Array.from({ length: 100 }, (_, i) => [`race/k${String(i).padStart(3, "0")}`, "ours"]));
    await pushParams(store, prefix, new Map([...desired].map(([key]) => [key, "before"])), {
      prune: false,
      dryRun: false,
    });

    const plans: number[] = [];
    const conflicts: string[][] = [];
    const result = await pushParams(store, prefix, desired, {
      prune: false,
      dryRun: false,
      onPlan: async (plan, attempt) => {
        plans.push(plan.changes.length);
        // Someone else writes right after our read: our check-and-set must notice.
        if (attempt === 1) await consul.api("PUT", `/kv/${prefix}race/k070`, "theirs");
      },
      onConflict: (keys) => conflicts.push([...keys]),
    });
    assert.equal(result.attempts, 2);
    assert.deepEqual(conflicts, [["race/k070"]]);
    // The first transaction (64 keys) committed; the second, holding k070, was rejected whole.
    assert.deepEqual(plans, [100, 36], "the second plan starts from what the first attempt committed");
    const stored = await consul.kv(prefix);
    for (const key of desired.keys()) assert.equal(stored.get(prefix + key), "ours");

    // With no retry allowed, the conflict is an error that says what happened.
    await assert.rejects(
      pushParams(store, prefix, new Map([["race/k001", "again"]]), {
        prune: false,
        dryRun: false,
        maxAttempts: 1,
        onPlan: () => consul.api("PUT", `/kv/${prefix}race/k001`, "theirs").then(() => undefined),
      }),
      (error: unknown) => {
        assert.ok(error instanceof BurstError);
        assert.equal(error.exitCode, 3);
        assert.match(error.message, /kept changing during the push.*another push or writer is running/);
        return true;
      },
    );
    assert.equal(
      (await consul.kv(prefix)).get(`${prefix}race/k001`),
      "theirs",
      "the other writer's value was not clobbered",
    );
  });

  it("two pushes racing over 150 keys never leave a mix of both", async (t) => {
    const store = ConsulStore.fromEnv(consul.env());
    const raceAttempts: number[] = [];
    const keys = Array.from({ length: 150 }, (_, i) => `race/k${String(i).padStart(3, "0")}`);
    for (let round = 0; round < 3; round++) {
      const prefix = freshPrefix();
      const wants = (value: string) => new Map(keys.map((key) => [key, value]));
      const outcomes = await Promise.allSettled([
        pushParams(store, prefix, wants("a"), { prune: false, dryRun: false }),
        pushParams(store, prefix, wants("b"), { prune: false, dryRun: false }),
      ]);
      for (const outcome of outcomes) {
        if (outcome.status === "rejected") assert.match(String(outcome.reason), /kept changing during the push/);
      }
      const completed = outcomes.filter((outcome) => outcome.status === "fulfilled");
      assert.ok(completed.length > 0, "at least one push completes");
      const values = new Set((await consul.kv(prefix)).values());
      assert.equal(values.size, 1, `round ${round}: final state mixes ${[...values].join(" and ")}`);
      const stats = completed.map((outcome) => outcome.value.attempts);
      raceAttempts.push(...stats);
    }
    t.diagnostic(`attempts of the completed pushes: ${raceAttempts.join(", ")}`);
  });

  it("plans: adds, changes, removals (with --prune) and kept keys, sorted", () => {
    const plan = planPush(
      new Map([
        ["b", "1"],
        ["a", "1"],
        ["gone", "x"],
        ["vpc/main/vpcId", "v"],
      ]),
      new Map([
        ["a", "2"],
        ["b", "1"],
        ["c", "3"],
      ]),
      true,
    );
    assert.deepEqual(plan.changes, [
      { kind: "change", key: "a", before: "1", after: "2" },
      { kind: "add", key: "c", after: "3" },
      { kind: "remove", key: "gone", before: "x" },
    ]);
    assert.deepEqual(plan.kept, []);
    assert.deepEqual(plan.protected, ["vpc/main/vpcId"]);
    const withoutPrune = planPush(
      new Map([
        ["gone", "x"],
        ["vpc/main/vpcId", "v"],
      ]),
      new Map(),
      false,
    );
    assert.deepEqual(withoutPrune.kept, ["gone"]);
    assert.deepEqual(withoutPrune.protected, ["vpc/main/vpcId"]);
    assert.equal(plan.unchanged, 1);
  });
});
