// The spot watcher against a real Spark worker: a standalone master and two workers on loopback
// (conf from the shared renderer, so decommissioning is on as on AWS), a job running on both, and
// the watcher of worker 1 polling a local IMDSv2 stand-in. When the stand-in serves an
// interruption notice, worker 1 is decommissioned (DECOMMISSIONED in the master's /json), its
// executor leaves gracefully, the job still finishes on worker 2, and the driver's event log —
// which burst collects from the master — names the decommissioned executor and its worker.
// Heavy: run through the shared lock (flock /tmp/burst-heavy.lock npm test -- test/e2e/spot-decommission.test.ts).

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { decommissionedExecutors } from "../../src/job/decommissions.ts";
import { ensureSpark } from "../../src/targets/local/spark.ts";
import type { SparkRuntime } from "../../src/targets/local/spark-runtime.ts";
import { run } from "../../src/util/exec.ts";
import { renderSparkDefaults } from "../../stacks/shared/spark-conf.ts";
import { type ImdsStandIn, startImdsStandIn } from "../helpers/imds.ts";
import { type StandaloneSpark, startStandaloneSpark } from "../helpers/standalone-spark.ts";
import { waitFor } from "../helpers/wait.ts";

const watcher = fileURLToPath(new URL("../../stacks/shared/node/spot-watch.sh", import.meta.url));
const log = (line: string) => {
  if (process.env.BURST_TEST_VERBOSE) process.stderr.write(`${line}\n`);
};

// Eight slow tasks over two one-core executors, a shuffle, then a sum: both executors hold
// shuffle output when worker 1 is told to leave. Before stopping, the driver waits (up to 3 min)
// for the decommissioned executor to finish migrating and leave, so its removal is in the log.
const JOB_PY = `
import os, sys, time
from pyspark.sql import SparkSession
markers = sys.argv[1]
spark = SparkSession.builder.appName("burst-spot-test").getOrCreate()
sc = spark.sparkContext
def slow(i):
    open(os.path.join(markers, "task-%d" % i), "w").close()
    time.sleep(4)
    return (i % 4, i)
pairs = sc.parallelize(range(8), 8).map(slow).reduceByKey(lambda a, b: a + b, 4)
print("BURST_SUM=%d" % sum(v for _, v in pairs.collect()))
executors = lambda: sc._jsc.sc().getExecutorMemoryStatus().size() - 1  # minus the driver
deadline = time.time() + 180
while executors() > 1 and time.time() < deadline:
    time.sleep(1)
print("BURST_EXECUTORS_LEFT=%d" % executors())
spark.stop()
`;

let spark: SparkRuntime;
let cluster: StandaloneSpark;
let imds: ImdsStandIn;
let work: string;
let eventLogDir: string;

before(async () => {
  spark = await ensureSpark("3.5.3", log);
  work = await mkdtemp(join(tmpdir(), "burst-spot-e2e-"));
  eventLogDir = join(work, "eventlog");
  await mkdir(eventLogDir);
  imds = await startImdsStandIn();
  cluster = await startStandaloneSpark({
    spark,
    workers: 2,
    workerCores: 1,
    // No S3 in this test: the endpoint is never contacted.
    sparkDefaults: renderSparkDefaults({
      s3: { endpoint: "http://127.0.0.1:9", pathStyle: true, region: "us-east-1" },
      eventLogDir,
    }),
    log,
  });
});

after(async () => {
  await cluster?.stop();
  await imds?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("spot interruption on a real Spark worker", () => {
  test("the notice decommissions the worker, the job finishes elsewhere, the event log records it", async () => {
    const [first, second] = cluster.workers;
    assert.ok(first && second);
    const state = join(work, "worker-1-state");
    const watching = run(
      watcher,
      ["--imds", imds.address, "--interval", "0.5", "--state-dir", state, "--worker-pid", String(first.pid)],
      { timeoutMs: 5 * 60_000, onLine: (line) => log(`watcher: ${line}`) },
    );

    const markers = join(work, "markers");
    await mkdir(markers);
    const jobFile = join(work, "job.py");
    await writeFile(jobFile, JOB_PY);
    const lines: string[] = [];
    const job = run(
      spark.sparkSubmit,
      ["--master", cluster.masterUrl, "--conf", "spark.ui.enabled=false", jobFile, markers],
      {
        env: cluster.env,
        cwd: work,
        timeoutMs: 5 * 60_000,
        onLine: (line) => {
          lines.push(line);
          log(`driver: ${line}`);
        },
      },
    );

    // Both executors are running tasks: the notice arrives mid-job.
    await waitFor("two tasks running", async () => (await readdir(markers)).length >= 2, 3 * 60_000);
    assert.equal((await cluster.masterJson()).workers.filter((w) => w.state === "ALIVE").length, 2);
    imds.interrupt({ action: "terminate", time: new Date(Date.now() + 120_000).toISOString() });

    const watched = await watching;
    assert.equal(watched.code, 0, watched.stderr);
    assert.ok(existsSync(join(state, "spot-interruption")), "the watcher recorded the notice");
    await waitFor(
      "worker 1 DECOMMISSIONED in the master's /json",
      async () =>
        (await cluster.masterJson()).workers.some((w) => w.port === first.port && w.state === "DECOMMISSIONED"),
      60_000,
    );
    const workers = (await cluster.masterJson()).workers;
    assert.equal(workers.find((w) => w.port === second.port)?.state, "ALIVE", "worker 2 keeps working");

    const result = await job;
    assert.equal(result.code, 0, lines.slice(-40).join("\n"));
    assert.ok(
      result.stdout.includes(`BURST_SUM=${[0, 1, 2, 3, 4, 5, 6, 7].reduce((a, b) => a + b, 0)}`),
      result.stdout,
    );

    // What burst's collect reads from the master's event log: the executor of worker 1, gracefully decommissioned.
    const decommissioned = await decommissionedExecutors(eventLogDir);
    assert.equal(decommissioned.length, 1, JSON.stringify(decommissioned));
    assert.equal(decommissioned[0]?.host, "127.0.0.1");
    assert.equal(decommissioned[0]?.workerUiPort, first.uiPort, "the executor ran on worker 1");
    assert.match(decommissioned[0]?.reason ?? "", /decommission/i);
    await writeFile(join(work, "done"), "");
    assert.ok((await readFile(join(state, "spot-interruption"), "utf8")).includes('"action":"terminate"'));
  });
});
