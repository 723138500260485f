// Output correctness on the local target's real parts: Spark (standalone master + worker, so
// executors are their own JVMs) writes to s3a:// on versitygw through the S3A magic committer
// configured by the shared spark-defaults renderer. An executor killed while its tasks write
// leaves nothing visible under the destination; a committed write is complete and exact.
// Heavy: run through the shared lock (flock /tmp/burst-heavy.lock npm test -- test/e2e/committer.test.ts).

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
} from "@aws-sdk/client-s3";
import { type S3Server, startS3Server } from "../../scripts/servers/s3server.ts";
import { ensureSpark } from "../../src/targets/local/spark.ts";
import type { SparkRuntime } from "../../src/targets/local/spark-runtime.ts";
import { run } from "../../src/util/exec.ts";
import { renderSparkDefaults } from "../../stacks/shared/spark-conf.ts";
import { type StandaloneSpark, startStandaloneSpark } from "../helpers/standalone-spark.ts";
import { waitFor } from "../helpers/wait.ts";

const SPARK_VERSION = "3.5.3";
const ROWS_PER_PARTITION = 1000;
const PARTITIONS = 4;
const log = (line: string) => {
  if (process.env.BURST_TEST_VERBOSE) process.stderr.write(`${line}\n`);
};

// Partitions 0 and 1 write and commit at once; 2 and 3 (scheduled only when a core frees up, the
// worker has 2) announce themselves in MARKERS and then write slowly, so the test kills the
// executor after two tasks committed and while two are writing.
const WRITE_PY = `
import os, sys, time
from pyspark.sql import SparkSession

dst, markers, slow_seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
spark = SparkSession.builder.appName("burst-committer-test").getOrCreate()

def rows(index, it):
    if index >= 2:
        open(os.path.join(markers, "writing-%d" % index), "w").close()
    for i in range(${ROWS_PER_PARTITION}):
        if index >= 2 and i == 10:
            time.sleep(slow_seconds)
        yield (index, i)

rdd = spark.sparkContext.parallelize([], ${PARTITIONS}).mapPartitionsWithIndex(rows)
df = spark.createDataFrame(rdd, "part int, i int")
df.write.mode("overwrite").parquet(dst)
spark.stop()
`;

const READ_PY = `
import sys
from pyspark.sql import SparkSession
spark = SparkSession.builder.appName("burst-committer-read").getOrCreate()
df = spark.read.parquet(sys.argv[1])
print("BURST_ROWS=%d DISTINCT=%d" % (df.count(), df.distinct().count()))
spark.stop()
`;

let spark: SparkRuntime;
let s3: S3Server;
let cluster: StandaloneSpark;
let work: string;
const bucket = "burst-committer";

before(async () => {
  spark = await ensureSpark(SPARK_VERSION, log);
  const committerJar = (await readdir(join(spark.sparkHome, "jars"))).find((f) =>
    f.startsWith("spark-hadoop-cloud_2.12-"),
  );
  assert.ok(
    committerJar ?? spark.extraJars.some((j) => j.includes("spark-hadoop-cloud")),
    "spark-hadoop-cloud is installed by ensureSpark (scripts/setup.sh warms it)",
  );
  s3 = await startS3Server({ log });
  await s3.client().send(new CreateBucketCommand({ Bucket: bucket }));
  work = await mkdtemp(join(tmpdir(), "burst-committer-"));
  const extraClassPath = spark.extraJars.join(":");
  cluster = await startStandaloneSpark({
    spark,
    sparkDefaults: renderSparkDefaults({
      s3: { endpoint: s3.endpoint, pathStyle: true, region: s3.region },
      eventLogDir: work,
      extra: {
        "spark.eventLog.enabled": "false",
        ...(extraClassPath
          ? { "spark.driver.extraClassPath": extraClassPath, "spark.executor.extraClassPath": extraClassPath }
          : {}),
      },
    }),
    env: {
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
    },
    log,
  });
});

after(async () => {
  await cluster?.stop();
  await s3?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

async function keysUnder(prefix: string): Promise<string[]> {
  const listed = await s3.client().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => o.Key ?? "");
}

async function pendingUploadsUnder(prefix: string): Promise<string[]> {
  const listed = await s3.client().send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
  return (listed.Uploads ?? []).map((u) => u.Key ?? "");
}

/** Executor JVMs of this test's worker: their command line names the worker's own RPC port. */
async function executorPids(): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    const args = cmdline.split("\0");
    if (
      args.includes("org.apache.spark.executor.CoarseGrainedExecutorBackend") &&
      args.includes(`spark://Worker@127.0.0.1:${cluster.workerPort}`)
    )
      pids.push(Number(entry));
  }
  return pids;
}

async function submit(script: string, args: string[], conf: Record<string, string> = {}) {
  const file = join(work, `job-${Date.now()}.py`);
  await writeFile(file, script);
  const lines: string[] = [];
  const confArgs = Object.entries({ "spark.ui.enabled": "false", ...conf }).flatMap(([k, v]) => [
    "--conf",
    `${k}=${v}`,
  ]);
  return run(spark.sparkSubmit, ["--master", cluster.masterUrl, ...confArgs, file, ...args], {
    env: cluster.env,
    cwd: work,
    timeoutMs: 6 * 60_000,
    onLine: (line) => {
      lines.push(line);
      log(`driver: ${line}`);
    },
  }).then((r) => ({ ...r, lines }));
}

/** Start the slow write, kill the executor once two tasks committed and two are writing; the run's result. */
async function writeAndKillExecutor(name: string, conf: Record<string, string>) {
  const markers = await mkdtemp(join(work, `${name}-markers-`));
  const dst = `s3a://${bucket}/${name}/`;
  const job = submit(WRITE_PY, [dst, markers, "20"], conf);
  await waitFor(
    "tasks 2 and 3 to start writing",
    () => existsSync(join(markers, "writing-2")) && existsSync(join(markers, "writing-3")),
    4 * 60_000,
  );
  // Tasks 0 and 1 committed: their data exist as pending uploads (listed in a .pendingset), not as objects.
  const before = await keysUnder(`${name}/`);
  assert.ok(
    before.some((k) => k.endsWith(".pendingset")),
    `committed tasks' pendingsets under __magic: ${before.join(", ")}`,
  );
  assert.deepEqual(
    before.filter((k) => /\/part-[^/]*$/.test(k) && !k.includes("__magic")),
    [],
    "no part file is visible before the job commits",
  );
  assert.ok((await pendingUploadsUnder(`${name}/`)).length >= 2, "the S3 server lists pending multipart uploads");
  const pids = await executorPids();
  assert.equal(pids.length, 1, `one executor JVM of this test's worker: ${pids.join(", ")}`);
  process.kill(pids[0] as number, "SIGKILL");
  return { result: await job, dst };
}

describe("s3a output through the magic committer (versitygw, standalone Spark)", () => {
  test("an executor killed mid-write with no retries: the job fails and the destination shows no data", async () => {
    const { result } = await writeAndKillExecutor("killed", { "spark.task.maxFailures": "1" });
    assert.notEqual(result.code, 0, "the job fails: its executor died and no retry is allowed");
    const keys = await keysUnder("killed/");
    assert.deepEqual(
      keys.filter((k) => !k.endsWith("/")),
      [],
      `nothing but directory markers under the destination: ${keys.join(", ")}`,
    );
    assert.deepEqual(await pendingUploadsUnder("killed/"), [], "job abort cancelled every pending upload");
  });

  test("an executor killed mid-write with retries: the job commits every row exactly once", async () => {
    const { result, dst } = await writeAndKillExecutor("retried", {});
    assert.equal(result.code, 0, result.lines.slice(-40).join("\n"));
    const keys = await keysUnder("retried/");
    assert.ok(keys.includes("retried/_SUCCESS"), keys.join(", "));
    assert.ok(!keys.some((k) => k.includes("__magic")), `no magic paths left: ${keys.join(", ")}`);
    const body = await s3.client().send(new GetObjectCommand({ Bucket: bucket, Key: "retried/_SUCCESS" }));
    const success = JSON.parse((await body.Body?.transformToString()) || "{}") as {
      committer?: string;
      filenames?: string[];
    };
    assert.equal(success.committer, "magic", "the _SUCCESS manifest names the magic committer");
    assert.equal(success.filenames?.length, PARTITIONS);
    const read = await submit(READ_PY, [dst]);
    assert.equal(read.code, 0, read.lines.slice(-40).join("\n"));
    const total = PARTITIONS * ROWS_PER_PARTITION;
    assert.ok(read.stdout.includes(`BURST_ROWS=${total} DISTINCT=${total}`), read.stdout);
  });
});
