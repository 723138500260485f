// After an aws run, on the AWS twin (scripts/servers/twin/: moto, the real hashicorp/aws provider,
// every instance a Debian 12 container booting its own user data with systemd as PID 1): a failed
// run's cluster kept with --keep-on-failure, whose nodes' own systemd timers power them off at the
// keep's deadline (long before the spec's TTL); `burst ssh` on its master; `burst down` then
// writing the actual cost into the manifest in S3; and `burst ui` fetching the run's event log
// from S3 once its local copy is gone. Run only under `flock /tmp/burst-twin.lock`.

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { DescribeInstancesCommand, type Instance } from "@aws-sdk/client-ec2";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { motoRegion } from "../../scripts/servers/moto.ts";
import { startTwin, type Twin } from "../../scripts/servers/twin/twin.ts";
import { tagKeys } from "../../stacks/aws/tags.ts";
import { burst, makeRepo, repoRoot, runDirs, startBurst, tempBurstHome, writeSpec } from "../helpers/burst.ts";
import { waitFor } from "../helpers/wait.ts";

const minutes = (n: number) => n * 60_000;
const guardModule = fileURLToPath(new URL("../helpers/net-guard.mjs", import.meta.url));
const resultsBucket = `burst-main-results-123456789012-${motoRegion}`;
// A Spark job that runs one action and then fails: it leaves an event log and exit code 3.
const failing = `from pyspark.sql import SparkSession
spark = SparkSession.builder.appName("fails-after-a-count").getOrCreate()
print("counted", spark.range(1000).count())
raise SystemExit(3)
`;

describe("after an aws run, on the twin", { timeout: minutes(45), concurrency: false }, () => {
  let twin: Twin;
  let s3: S3Client;
  let guardLog: string;
  let home: string;
  let runId = "";

  before(async () => {
    twin = await startTwin({ log: (line) => console.log(line) });
    s3 = twin.moto.s3();
    guardLog = join(await mkdtemp(join(tmpdir(), "burst-guard-")), "refused.log");
    home = await tempBurstHome();
  });

  after(async () => {
    s3?.destroy();
    await twin?.stop();
  });

  const cliEnv = () => ({
    ...twin.env(),
    NODE_OPTIONS: `--import=${guardModule}`,
    BURST_NET_GUARD_LOG: guardLog,
    BURST_NET_GUARD_ALLOW: `${twin.vpcCidr.split(".").slice(0, 2).join(".")}.`,
  });

  const nodesOf = async (id: string): Promise<Instance[]> => {
    const ec2 = twin.ec2();
    try {
      const answer = await ec2.send(
        new DescribeInstancesCommand({ Filters: [{ Name: `tag:${tagKeys.runId}`, Values: [id] }] }),
      );
      return (answer.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []);
    } finally {
      ec2.destroy();
    }
  };

  test("--keep-on-failure keeps the failed cluster; every node's systemd powers it off at the keep's deadline, not at the spec's TTL", async () => {
    const repo = await makeRepo({ "fail.py": failing });
    const spec = await writeSpec(`name: twin-kept
code: { repo: ${repo.dir} }
job: { type: pyspark, entrypoint: fail.py }
cluster: { workers: 1, ttlMinutes: 60 }
results: s3://\${results}/runs/
`);
    const result = await burst([spec, "--target", "aws", "--yes", "--keep-on-failure=2m"], {
      burstHome: home,
      env: cliEnv(),
      timeoutMs: minutes(20),
    });
    assert.equal(result.code, 1, result.stderr.slice(-6000));
    const runDir = (await runDirs(home)).sort().pop() ?? "";
    const record = JSON.parse(await readFile(join(runDir, "run.json"), "utf8"));
    runId = record.runId;
    assert.equal(record.kept, true);
    assert.equal(record.destroyed, false);
    const keptUntil = Date.parse(record.expiresAt);
    const secondsLeft = (keptUntil - Date.now()) / 1000;
    assert.ok(secondsLeft > 0 && secondsLeft <= 120, `kept until ${record.expiresAt}, ${secondsLeft} s from now`);
    assert.match(result.stderr, /cluster kept after the failure until /);
    assert.doesNotMatch(result.stderr, /not reached/, "every node's end was set");

    // On each node (the master and the worker): a timer on the TTL guard's poweroff, at the deadline.
    const nodes = await nodesOf(runId);
    assert.equal(nodes.length, 2, "a master and a worker");
    for (const node of nodes) {
      const machine = twin.machines.byId(node.InstanceId ?? "");
      assert.ok(machine, `${node.InstanceId} is a twin container`);
      const timer = machine.container.exec(
        "systemctl show -p Unit -p TimersCalendar burst-keep.timer; cat /etc/systemd/system/burst-keep.deadline",
      );
      assert.equal(timer.code, 0, timer.stdout);
      assert.match(timer.stdout, /Unit=burst-ttl\.service/, node.InstanceId);
      assert.ok(timer.stdout.trim().endsWith(String(Math.floor(keptUntil / 1000))), timer.stdout);
    }

    // Only ever earlier: the same script with a later deadline leaves the node's end where it is.
    const master = nodes.find((node) => node.Tags?.some((tag) => tag.Key === tagKeys.role && tag.Value === "master"));
    const later = master && twin.machines.byId(master.InstanceId ?? "");
    assert.ok(later, "the master's container");
    const script = readFileSync(join(repoRoot, "stacks", "aws", "bootstrap", "end-by.sh"), "utf8");
    const again = later.container.exec(
      `bash -s -- ${Math.floor(keptUntil / 1000) + 3600} <<'END_BY'\n${script}\nEND_BY\ncat /etc/systemd/system/burst-keep.deadline`,
    );
    assert.equal(again.code, 0, again.stdout);
    assert.match(again.stdout, /this node already ends at/);
    assert.ok(again.stdout.trim().endsWith(String(Math.floor(keptUntil / 1000))), again.stdout);

    // `burst ssh` reaches the kept master with the run's key and pinned host key.
    const ssh = await burst(["ssh", runId, "--", "echo on-master; systemctl is-active burst-keep.timer"], {
      burstHome: home,
      env: cliEnv(),
    });
    assert.equal(ssh.code, 0, ssh.stderr);
    assert.match(ssh.stdout, /on-master\nactive\n/);

    // Nobody ends it: each node's own timer powers it off at the deadline; the twin then terminates it.
    let endedAt = 0;
    await waitFor(
      "the kept cluster's nodes to power off",
      async () => {
        const live = (await nodesOf(runId)).filter((node) => node.State?.Name !== "terminated");
        endedAt = Date.now();
        return live.length === 0;
      },
      keptUntil - Date.now() + minutes(3),
      2_000,
    );
    const late = (endedAt - keptUntil) / 1000;
    assert.ok(late >= -1, `the cluster ended ${-late} s before its keep deadline`);
    console.log(`the kept cluster was gone ${late.toFixed(1)} s after its keep deadline`);
    for (const node of nodes) {
      assert.equal(twin.machines.byId(node.InstanceId ?? "")?.ended, "powered off (terminated in moto)");
    }
    const listed = await burst(["list"], { burstHome: home, env: cliEnv() });
    assert.match(listed.stdout, new RegExp(`${runId}.* failed +expired `));

    // What is left is terraform state: down clears it, and the manifest in S3 gets the actual cost.
    const down = await burst(["down", runId], { burstHome: home, env: cliEnv(), timeoutMs: minutes(10) });
    assert.equal(down.code, 0, `${down.stdout}\n${down.stderr}`);
    const object = await s3.send(
      new GetObjectCommand({ Bucket: resultsBucket, Key: `runs/twin-kept/${runId}/manifest.json` }),
    );
    const manifest = JSON.parse((await object.Body?.transformToString()) ?? "{}");
    assert.equal(manifest.outcome, "failed");
    assert.equal(typeof manifest.actualCost?.totalUsd, "number", JSON.stringify(manifest.actualCost));
    assert.equal(manifest.actualCost.nodes.length, 2);
    await twin.machines.settled(minutes(2));
    assert.equal(existsSync(guardLog) ? readFileSync(guardLog, "utf8") : "", "", "the CLI contacted only the twin");
  });

  test("burst ui of that run, its local copy removed: the event log comes back from S3 and the History Server lists the job", async () => {
    assert.ok(runId, "the --keep-on-failure test ran first");
    await rm(join(home, "runs", runId, "results"), { recursive: true });
    let stderr = "";
    let announced: { url: string; applications: { runId: string; name: string; completed: boolean }[] } | undefined;
    const ui = startBurst(["ui", runId, "--json"], {
      burstHome: home,
      env: cliEnv(),
      onLine: (line, stream) => {
        if (stream === "stdout" && line.includes('"type":"ui"')) announced = JSON.parse(line);
        if (stream === "stderr") stderr += `${line}\n`;
      },
    });
    try {
      await waitFor("burst ui to print its URL", () => announced !== undefined, minutes(3));
      assert.ok(
        stderr.includes(
          `run ${runId}: event log fetched from s3://${resultsBucket}/runs/twin-kept/${runId}/logs/eventlog/`,
        ),
        stderr,
      );
      assert.deepEqual(
        announced?.applications.map((app) => [app.runId, app.name, app.completed]),
        [[runId, "fails-after-a-count", true]],
      );
    } finally {
      ui.child.kill("SIGINT");
    }
    const ended = await ui.done;
    assert.equal(ended.code, 0, ended.stderr);
  });
});
