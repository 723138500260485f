// Beyond one job, end to end on the local target: steps with retries and onError, environment
// overlays, job dependencies (pip, jars, Maven packages) and run notifications (legacy spec
// files: legacy.test.ts). The real CLI, terraform, Spark daemons, sshd and S3 server; nothing is mocked.
// Spark runs with one or two workers only where the behaviour under test needs Spark.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { createServer as createHttpServer, type IncomingMessage } from "node:http";
import { createServer as createTcpServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ensureSpark } from "../../src/targets/local/spark.ts";
import { run } from "../../src/util/exec.ts";
import {
  assertNoLeftovers,
  burst,
  makeRepo,
  parseEvents,
  repoRoot,
  runDirs,
  tempBurstHome,
  writeSpec,
} from "../helpers/burst.ts";
import { keys, objectText, withResults } from "../helpers/local-results.ts";
import { buildWheel } from "../helpers/wheel.ts";

type Event = Record<string, unknown>;

const exampleFile = (path: string) => readFileSync(join(repoRoot, "examples", path), "utf8");

/** The run's results prefix (bucket and key) from its `results` event. */
function resultsOf(events: readonly Event[]): { bucket: string; prefix: string } {
  const results = events.find((event) => event.type === "results");
  assert.ok(results, "a results event");
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(String(results.uri));
  assert.ok(match?.[1] && match[2] !== undefined, `results URI ${String(results.uri)}`);
  return { bucket: match[1], prefix: match[2] };
}

function runEnd(events: readonly Event[]): Event {
  const end = events.find((event) => event.type === "run-end");
  assert.ok(end, "a run-end event");
  return end;
}

const jobLines = (events: readonly Event[]) =>
  events.filter((event) => event.type === "job-log").map((event) => String(event.line));
const warnings = (events: readonly Event[]) =>
  events.filter((event) => event.type === "warning").map((event) => String(event.message));

/** A run folder's record says the cluster was destroyed, and nothing of the run is left. */
async function assertDestroyed(runDir: string): Promise<void> {
  const record = JSON.parse(await readFile(join(runDir, "run.json"), "utf8"));
  assert.equal(record.destroyed, true, `${runDir} was not destroyed`);
  await assertNoLeftovers(runDir);
}

/** The newest run folder of a BURST_HOME. */
async function lastRunDir(burstHome: string): Promise<string> {
  const dir = (await runDirs(burstHome)).sort().pop();
  assert.ok(dir, "a run folder");
  return dir;
}

/** A webhook receiver on 127.0.0.1: every POST body, parsed. */
async function webhookServer(): Promise<{ url: string; received: Event[]; close: () => Promise<void> }> {
  const received: Event[] = [];
  const server = createHttpServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({
        method: request.method,
        contentType: request.headers["content-type"],
        body: JSON.parse(Buffer.concat(chunks).toString("utf8")),
      });
      response.writeHead(200, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  assert.ok(address && typeof address === "object");
  return {
    url: `http://127.0.0.1:${address.port}/hooks/${randomBytes(8).toString("hex")}`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A port that accepts connections, reads requests and never answers: a hung webhook service. */
async function deadServer(): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let requests = 0;
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on("data", (chunk: Buffer) => {
      if (chunk.toString("latin1").startsWith("POST ")) requests++;
    });
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  assert.ok(address && typeof address === "object");
  return {
    url: `http://127.0.0.1:${address.port}/hooks/dead`,
    requests: () => requests,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A jar with a Spark SQL Java UDF, BurstUpper: text → "UPPER<text>". */
async function buildUdfJar(dir: string): Promise<void> {
  const spark = await ensureSpark("3.5.3", () => {});
  const src = join(dir, "src");
  await mkdir(join(src, "classes"), { recursive: true });
  await writeFile(
    join(src, "BurstUpper.java"),
    `import org.apache.spark.sql.api.java.UDF1;
public class BurstUpper implements UDF1<String, String> {
  @Override public String call(String text) { return "UPPER<" + text.toUpperCase() + ">"; }
}
`,
  );
  await run("javac", ["-cp", `${spark.sparkHome}/jars/*`, "-d", join(src, "classes"), join(src, "BurstUpper.java")], {
    check: true,
  });
  await mkdir(join(dir, "lib"), { recursive: true });
  await run("jar", ["cf", join(dir, "lib", "udfs.jar"), "-C", join(src, "classes"), "."], { check: true });
  await rm(src, { recursive: true, force: true });
}

async function commitAll(dir: string): Promise<void> {
  const git = (args: string[]) =>
    run("git", ["-c", "user.email=t@b", "-c", "user.name=t", ...args], { cwd: dir, check: true });
  await git(["add", "-A"]);
  await git(["commit", "--quiet", "-m", "built files"]);
}

describe("beyond one job, end to end on the local target", { concurrency: false }, () => {
  let burstHome: string;
  before(async () => {
    burstHome = await tempBurstHome();
  });

  test("a step that fails once succeeds on retry; each attempt's logs are kept; the webhook hears success", async () => {
    const marker = join(tmpdir(), `burst-flaky-${randomBytes(6).toString("hex")}`);
    const repo = await makeRepo({
      "flaky.sh":
        'if [ -e "$1" ]; then echo "attempt 2: marker found, succeeding"; exit 0; fi\n' +
        'touch "$1"\necho "attempt 1: no marker yet, failing"\nexit 7\n',
      "report.sh": 'mkdir -p report\necho "step $BURST_STEP of run $BURST_RUN_ID" | tee report/done.txt\n',
    });
    const spec = await writeSpec(`name: retried
code: { repo: ${repo.dir} }
steps:
  - { name: flaky, type: shell, entrypoint: flaky.sh, args: [${marker}], retries: 2 }
  - { name: report, type: shell, entrypoint: report.sh }
cluster: { workers: 0 }
outputs: [report]
results: s3://e2e-results/runs/
notify: { webhook: "\${PIPELINE_WEBHOOK}" }
`);
    const hook = await webhookServer();
    try {
      const result = await burst([spec, "--json"], { burstHome, env: { PIPELINE_WEBHOOK: hook.url } });
      const events = parseEvents(result.stdout);
      const end = runEnd(events);
      assert.equal(result.code, 0, `burst failed:\n${result.stderr}\n${JSON.stringify(end)}`);
      assert.equal(end.outcome, "succeeded");
      assert.ok(
        warnings(events).some((w) => w === 'step "flaky" exited with code 7; retry 1 of 2'),
        warnings(events).join("\n"),
      );
      const lines = jobLines(events);
      assert.ok(
        lines.indexOf("attempt 1: no marker yet, failing") < lines.indexOf("attempt 2: marker found, succeeding"),
      );
      const runId = String(end.runId);
      assert.ok(lines.includes(`step report of run ${runId}`), lines.join("\n"));

      const { bucket, prefix } = resultsOf(events);
      await withResults(burstHome, async (s3) => {
        const manifest = JSON.parse(await objectText(s3, bucket, `${prefix}manifest.json`));
        assert.equal(manifest.outcome, "succeeded");
        const [flaky, report] = manifest.steps;
        assert.equal(flaky.name, "flaky");
        assert.equal(flaky.outcome, "succeeded");
        assert.deepEqual(
          flaky.attempts.map((a: { folder: string; exitCode: number }) => [a.folder, a.exitCode]),
          [
            ["flaky/attempt-1", 7],
            ["flaky/attempt-2", 0],
          ],
        );
        assert.equal(report.name, "report");
        assert.equal(report.attempts.length, 1);
        assert.equal(manifest.onError, undefined);
        assert.match(await objectText(s3, bucket, `${prefix}logs/flaky/attempt-1/stdout.log`), /^attempt 1: no marker/);
        assert.match(await objectText(s3, bucket, `${prefix}logs/flaky/attempt-2/stdout.log`), /^attempt 2: marker/);
        assert.deepEqual(
          (await keys(s3, bucket, `${prefix}logs/`)).filter((key) => key.endsWith("stdout.log")),
          [
            `${prefix}logs/flaky/attempt-1/stdout.log`,
            `${prefix}logs/flaky/attempt-2/stdout.log`,
            `${prefix}logs/report/attempt-1/stdout.log`,
          ],
        );
        assert.equal(await objectText(s3, bucket, `${prefix}outputs/report/done.txt`), `step report of run ${runId}\n`);
      });

      assert.equal(hook.received.length, 1, "one notification");
      const [notification] = hook.received;
      assert.equal(notification?.method, "POST");
      assert.equal(notification?.contentType, "application/json");
      const body = notification?.body as Event;
      assert.equal(body.runId, runId);
      assert.equal(body.name, "retried");
      assert.equal(body.outcome, "succeeded");
      assert.equal(body.exitCode, 0);
      assert.equal(body.results, `s3://${bucket}/${prefix}`);
      assert.match(String(body.text), new RegExp(`burst retried \\(${runId}\\) succeeded in \\d+s on local`));
      // The webhook URL is a secret: it never appears in the run's output.
      assert.ok(!`${result.stdout}${result.stderr}`.includes(hook.url), "the webhook URL was printed");
    } finally {
      await hook.close();
      await rm(marker, { force: true });
    }
    await assertDestroyed(await lastRunDir(burstHome));
  });

  test("a step that fails for good runs onError, exits 1; a dead webhook does not hold up teardown", async () => {
    const repo = await makeRepo({
      "doomed.sh": 'echo "doomed: try $BURST_STEP"\necho "no such table: sales" >&2\nexit 5\n',
      "never.sh": 'echo "this step must not run"\n',
      // The onError script of examples/pipeline, as it is.
      "on-error.sh": exampleFile("pipeline/job/on-error.sh"),
    });
    const dead = await deadServer();
    try {
      const spec = await writeSpec(`name: doomed
code: { repo: ${repo.dir} }
steps:
  - { name: doomed, type: shell, entrypoint: doomed.sh, retries: 1 }
  - { name: never, type: shell, entrypoint: never.sh }
onError: { type: shell, entrypoint: on-error.sh }
cluster: { workers: 0 }
outputs: [pipeline-report]
results: s3://e2e-results/runs/
notify: { webhook: "${dead.url}", on: [failure] }
`);
      const began = Date.now();
      const result = await burst([spec, "--json"], { burstHome });
      const events = parseEvents(result.stdout);
      const end = runEnd(events);
      assert.equal(result.code, 1, `expected exit 1:\n${result.stderr}\n${JSON.stringify(end)}`);
      assert.equal(end.outcome, "failed");
      assert.match(String(end.message), /step "doomed" exited with code 5 \(after 2 attempts\)/);
      const runId = String(end.runId);
      const lines = jobLines(events);
      assert.ok(!lines.includes("this step must not run"), "a step after the failed one ran");
      assert.ok(lines.includes(`run ${runId} failed; partial output may remain under s3://burst-data/pipeline/`));
      assert.ok(warnings(events).includes('running onError step "on-error"'), warnings(events).join("\n"));

      // Teardown came first; the notification was tried after it, within its bound, and given up.
      const at = (event: Event | undefined) => Date.parse(String(event?.ts));
      const destroyed = events.find((event) => event.type === "phase-end" && event.phase === "destroy");
      assert.equal(destroyed?.ok, true);
      const undelivered = events.find(
        (event) => event.type === "warning" && /^notification not delivered: /.test(String(event.message)),
      );
      assert.ok(undelivered, `a warning that the notification was not delivered:\n${warnings(events).join("\n")}`);
      assert.ok(events.indexOf(destroyed as Event) < events.indexOf(undelivered), "the cluster was destroyed first");
      assert.match(String(undelivered.message), /webhook failed after 3 attempt\(s\)/);
      assert.ok(!String(undelivered.message).includes(dead.url), "the warning names the secret URL");
      const notifySeconds = (at(end) - at(destroyed)) / 1000;
      assert.ok(notifySeconds < 25, `the notification held the run for ${notifySeconds}s after destroy`);
      assert.ok(Date.now() - began < 120_000, "the whole run took over 2 minutes");
      assert.equal(dead.requests(), 3, "each of the 3 attempts posted to the dead webhook");

      const { bucket, prefix } = resultsOf(events);
      await withResults(burstHome, async (s3) => {
        const manifest = JSON.parse(await objectText(s3, bucket, `${prefix}manifest.json`));
        assert.equal(manifest.outcome, "failed");
        assert.equal(manifest.exitCode, 1);
        assert.deepEqual(
          manifest.steps.map((step: { name: string; outcome: string }) => [step.name, step.outcome]),
          [["doomed", "failed"]],
        );
        assert.deepEqual(
          manifest.steps[0].attempts.map((a: { exitCode: number }) => a.exitCode),
          [5, 5],
        );
        assert.equal(manifest.onError.name, "on-error");
        assert.equal(manifest.onError.outcome, "succeeded");
        assert.equal(manifest.onError.attempts[0].folder, "on-error/attempt-1");
        assert.match(await objectText(s3, bucket, `${prefix}logs/doomed/attempt-2/stderr.log`), /no such table: sales/);
        const onErrorLog = await objectText(s3, bucket, `${prefix}logs/on-error/attempt-1/stdout.log`);
        assert.equal(onErrorLog, `run ${runId} failed; partial output may remain under s3://burst-data/pipeline/\n`);
        assert.equal(await objectText(s3, bucket, `${prefix}outputs/pipeline-report/failed.txt`), onErrorLog);
      });
    } finally {
      await dead.close();
    }
    await assertDestroyed(await lastRunDir(burstHome));
  });

  test("--env merges an overlay (inline, then the file beside the spec) into a real run", async () => {
    const repo = await makeRepo({
      "show.py": `import sys
from pyspark.sql import SparkSession

spark = SparkSession.builder.getOrCreate()
conf = spark.sparkContext.getConf()
print("args: " + " ".join(sys.argv[1:]))
print("conf kept: " + conf.get("spark.burst.kept", "unset"))
print("conf size: " + conf.get("spark.burst.size", "unset"))
# spark.cores.max with minRegisteredResourcesRatio 1.0: the context waited for every executor.
print(f"executors: {spark.sparkContext._jsc.sc().getExecutorMemoryStatus().size() - 1}")
spark.stop()
`,
    });
    const spec = await writeSpec(
      `name: sized
code: { repo: ${repo.dir} }
job:
  type: pyspark
  entrypoint: show.py
  args: [small-in, small-out, extra]
  conf:
    spark.burst.kept: from-spec
    spark.burst.size: small
    spark.cores.max: "1"
    spark.scheduler.minRegisteredResourcesRatio: "1.0"
cluster: { workers: 1, ttlMinutes: 30 }
results: s3://e2e-results/runs/
tags: { team: data }
environments:
  big:
    cluster: { workers: 2 }
    job:
      args: [big-in, big-out]
      conf: { spark.burst.size: inline-big, spark.cores.max: "2" }
`,
      { "spark.big.yml": "job:\n  conf:\n    spark.burst.size: file-big\ntags:\n  size: big\n" },
    );
    const result = await burst([spec, "--env", "big", "--json"], { burstHome });
    const events = parseEvents(result.stdout);
    const end = runEnd(events);
    assert.equal(result.code, 0, `burst failed:\n${result.stderr}\n${JSON.stringify(end)}`);
    const lines = jobLines(events);
    // Lists replace; mappings merge key by key; the file overlay wins over the inline one.
    assert.ok(lines.includes("args: big-in big-out"), lines.join("\n"));
    assert.ok(lines.includes("conf kept: from-spec"));
    assert.ok(lines.includes("conf size: file-big"));
    assert.ok(lines.includes("executors: 2"), "both workers of the overlay ran executors");

    const { bucket, prefix } = resultsOf(events);
    await withResults(burstHome, async (s3) => {
      const manifest = JSON.parse(await objectText(s3, bucket, `${prefix}manifest.json`));
      assert.equal(manifest.spec.environment, "big");
      assert.deepEqual(
        manifest.spec.overlays.map((overlay: { file: string }) => overlay.file.split("/").pop()),
        ["spark.big.yml"],
      );
      assert.match(manifest.spec.overlays[0].sha256, /^[0-9a-f]{64}$/);
      assert.equal(manifest.cluster.workers, 2);
      assert.deepEqual(manifest.cluster.nodeIds, ["master", "worker-1", "worker-2"]);
      assert.match(manifest.spec.resolved, /team: data/);
      assert.match(manifest.spec.resolved, /size: big/);
      assert.match(manifest.spec.resolved, /ttlMinutes: 30/);
    });
    await assertDestroyed(await lastRunDir(burstHome));
  });

  test("requirements, jars and Maven packages reach the driver and the executors", async () => {
    const repo = await makeRepo({
      "requirements.txt": "--find-links wheels\nburstdemo==0.1.0\nsix==1.16.0\n",
      "jobs/deps.py": `from pyspark.sql import SparkSession
from pyspark.sql.types import StringType

import burstdemo
import six


def in_executor(rows):
    import os

    import burstdemo
    import six

    for row in rows:
        yield f"{burstdemo.shout('row ' + str(row))} six={six.__version__} from={os.path.dirname(os.path.abspath(burstdemo.__file__))}"


spark = SparkSession.builder.getOrCreate()
print(f"driver: {burstdemo.shout('hello')} six={six.__version__}")
for line in spark.sparkContext.parallelize(range(2), 2).mapPartitions(in_executor).collect():
    print(f"executor: {line}")
spark.udf.registerJavaFunction("burst_upper", "BurstUpper", StringType())
for row in spark.range(2).selectExpr("burst_upper(concat('id', cast(id as string))) AS v").collect():
    print(f"jar udf: {row.v}")
print("package: " + spark._jvm.org.joda.time.LocalDate(2024, 2, 28).plusDays(1).toString())
spark.stop()
`,
    });
    await buildWheel(join(repo.dir, "wheels"));
    await buildUdfJar(repo.dir);
    await commitAll(repo.dir);
    const spec = await writeSpec(`name: deps
code: { repo: ${repo.dir}, subdirectory: jobs }
job: { type: pyspark, entrypoint: deps.py }
dependencies:
  requirements: requirements.txt
  jars: [lib/udfs.jar]
  packages: [joda-time:joda-time:2.12.7]
cluster: { workers: 1 }
results: s3://e2e-results/runs/
`);
    const result = await burst([spec, "--json"], { burstHome });
    const events = parseEvents(result.stdout);
    const end = runEnd(events);
    assert.equal(result.code, 0, `burst failed:\n${result.stderr}\n${JSON.stringify(end)}`);
    const lines = jobLines(events);
    const runDir = await lastRunDir(burstHome);
    assert.ok(lines.includes("driver: HELLO! six=1.16.0"), lines.join("\n"));
    // Executors import the requirements from the archive unpacked in their own working folder
    // (as on a worker node that has no copy of the master's), not from the master's folder.
    const executorLines = lines.filter((line) => line.startsWith("executor: ")).sort();
    assert.equal(executorLines.length, 2, lines.join("\n"));
    for (const [row, line] of executorLines.entries()) {
      const match = new RegExp(`^executor: ROW ${row}! six=1\\.16\\.0 from=(.+)$`).exec(line);
      assert.ok(match?.[1], line);
      assert.ok(match[1].startsWith(join(runDir, "nodes", "worker-1", "work")), line);
      assert.ok(match[1].endsWith("/burst-pydeps/burstdemo"), line);
    }
    assert.deepEqual(
      lines.filter((line) => line.startsWith("jar udf: ")),
      ["jar udf: UPPER<ID0>", "jar udf: UPPER<ID1>"],
    );
    assert.ok(lines.includes("package: 2024-02-29"), lines.join("\n"));
    await assertDestroyed(runDir);
  });

  after(async () => {
    for (const runDir of await runDirs(burstHome)) await assertNoLeftovers(runDir);
    await unlink(join(burstHome, "cache")); // the shared runtime cache: only the link goes
    await rm(burstHome, { recursive: true, force: true });
  });
});
