// The fault matrix under a real PySpark job on 1 master + 2 workers, injected while both
// executors are busy (each holds a task that waits for the test): SIGINT and SIGTERM to the CLI,
// an exception raised on the executors, a worker daemon killed, the master daemon killed, the
// SSH link dropped. After each: the documented exit code, the job's logs saved, and no JVM,
// sshd, S3 server, port or state lock of the run left (processes found by the run's markers).
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { eventLogsIn } from "../../src/job/decommissions.ts";
import { run } from "../../src/util/exec.ts";
import {
  assertNoLeftovers,
  eventTexts,
  makeRepo,
  parseEvents,
  runDirs,
  runEndOf,
  startBurst,
  tempBurstHome,
  writeSpec,
} from "../helpers/burst.ts";

// Two tasks, one per executor (each worker has one core). Each marks that it runs, then waits
// until the test releases it (at most 4 minutes). FAIL_TASKS=1 raises on the executors instead.
const job = `import os, time
from pyspark.sql import SparkSession
marks = os.environ["MARKS"]
fail = os.environ.get("FAIL_TASKS") == "1"
spark = SparkSession.builder.getOrCreate()

def task(i):
    import os, time
    if fail:
        raise RuntimeError(f"executor-side failure in task {i}")
    open(os.path.join(marks, f"running-{i}-{os.getpid()}"), "w").close()
    deadline = time.time() + 240
    while not os.path.exists(os.path.join(marks, "release")) and time.time() < deadline:
        time.sleep(0.2)
    return i

print("busy stage starting", flush=True)
total = spark.sparkContext.parallelize(range(2), 2).map(task).sum()
print(f"busy stage done: {total}", flush=True)
spark.stop()
`;

interface Busy {
  /** The CLI's pid. */
  readonly pid: number;
  readonly runDir: string;
}

interface SparkCase {
  readonly name: string;
  /** Injected once both executors hold a task (or, with FAIL_TASKS, once the stage starts). */
  readonly fault: (busy: Busy) => Promise<void>;
  readonly failTasks?: boolean;
  /**
   * Keep the tasks blocked after the fault (released only once the CLI has exited): a signal's
   * case asserts the job was stopped mid-stage, which a release right after the signal would race.
   */
  readonly holdTasks?: boolean;
}

interface SparkOutcome {
  readonly code: number | null;
  readonly stderr: string;
  readonly events: Record<string, unknown>[];
  readonly runDir: string;
  readonly home: string;
  readonly injected: boolean;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Tasks running now (their marks), excluding the release file. */
const runningTasks = (marks: string) => readdirSync(marks).filter((name) => name.startsWith("running-"));

async function sparkCase(options: SparkCase): Promise<SparkOutcome> {
  const home = await tempBurstHome();
  const marks = await mkdtemp(join(tmpdir(), "burst-spark-faults-"));
  const repo = await makeRepo({ "busy.py": job });
  const spec = await writeSpec(`name: ${options.name}
code: { repo: ${repo.dir} }
job:
  type: pyspark
  entrypoint: busy.py
  env: { MARKS: ${marks}, FAIL_TASKS: "${options.failTasks ? 1 : 0}" }
cluster: { workers: 2 }
results: s3://spark-faults/runs/
`);
  let injecting = false;
  let injected = false;
  let faultError: unknown;
  const inject = async () => {
    const [runDir] = await runDirs(home);
    if (!runDir) throw new Error("no run folder");
    if (!options.failTasks) {
      // Both executors busy: one task each.
      const deadline = Date.now() + 180_000;
      while (runningTasks(marks).length < 2) {
        if (Date.now() > deadline) throw new Error(`the tasks did not both start: ${runningTasks(marks).join(", ")}`);
        await pause(200);
      }
    }
    await options.fault({ pid: child.pid ?? 0, runDir });
    injected = true;
  };
  const child = startBurst([spec, "--json"], {
    burstHome: home,
    timeoutMs: 480_000,
    onLine: (line, stream) => {
      if (stream !== "stdout" || injecting || !line.includes('"line":"busy stage starting"')) return;
      injecting = true;
      void inject()
        .catch((error: unknown) => {
          faultError = error;
        })
        .finally(() => (options.holdTasks ? undefined : writeFile(join(marks, "release"), "")));
    },
  });
  const result = await child.done;
  if (options.holdTasks) await writeFile(join(marks, "release"), "");
  assert.equal(faultError, undefined, `the fault was injected: ${String(faultError)}\n${result.stderr.slice(-2000)}`);
  const [runDir = ""] = await runDirs(home);
  return { code: result.code, stderr: result.stderr, events: parseEvents(result.stdout), runDir, home, injected };
}

/** The pid in a node's pid file (the daemon's process group). */
async function nodePid(runDir: string, node: string, daemon: string): Promise<number> {
  return Number((await readFile(join(runDir, "nodes", node, `${daemon}.pid`), "utf8")).trim());
}

/** The sshd per-connection processes serving the CLI (children of the run's sshd). */
async function sshdSessions(runDir: string): Promise<number[]> {
  const sshd = await nodePid(runDir, "master-sshd", "sshd");
  const ps = await run("ps", ["-o", "pid=,args=", "--ppid", String(sshd)]);
  return ps.stdout
    .split("\n")
    .map((line) => line.trim().match(/^(\d+)\s+(sshd:.*)$/))
    .filter((match): match is RegExpMatchArray => match !== null)
    .map((match) => Number(match[1]));
}

/** A worker's web UI port, from the run's synthesized stack (executors' log URLs carry it). */
function workerUiPort(runDir: string, worker: string): number {
  const stack = JSON.parse(readFileSync(join(runDir, "stack", "stacks", "cluster", "cdk.tf.json"), "utf8"));
  const environment = stack.resource.terraform_data[worker].provisioner[0]["local-exec"].environment;
  return Number(environment.WORKER_UI_PORT);
}

// biome-ignore lint/suspicious/noExplicitAny: Spark's listener events, read by the field names Spark writes.
type SparkEvent = Record<string, any>;

/** The driver's Spark event log, collected with the results (rolling: its parts in order; one JSON event a line). */
async function sparkEventLog(runDir: string): Promise<SparkEvent[]> {
  const dir = join(runDir, "results", "logs", "eventlog");
  const logs = await eventLogsIn(dir);
  assert.equal(logs.length, 1, `one event log collected in ${dir} (found ${logs.map((log) => log.appId).join(", ")})`);
  return (logs[0]?.files ?? [])
    .flatMap((file) => readFileSync(file, "utf8").split("\n"))
    .filter(Boolean)
    .map((line) => JSON.parse(line) as SparkEvent);
}

/**
 * What Spark recorded of the killed worker: its executor removed, and every task that executor
 * was running started again, as a later attempt (not a speculative copy), on the other worker's
 * executor, where it succeeded.
 */
async function assertTaskRerunOnOtherWorker(runDir: string): Promise<void> {
  const events = await sparkEventLog(runDir);
  const portOf = (executorId: string): number => {
    const added = events.find((e) => e.Event === "SparkListenerExecutorAdded" && e["Executor ID"] === executorId);
    const url = String(Object.values(added?.["Executor Info"]?.["Log Urls"] ?? {})[0] ?? "");
    return Number(/^https?:\/\/[^/]+:(\d+)\//.exec(url)?.[1]);
  };
  const removed = events.filter((e) => e.Event === "SparkListenerExecutorRemoved").map((e) => e["Executor ID"]);
  assert.equal(removed.length, 1, `one executor removed: ${removed.join(", ")}`);
  const lost = String(removed[0]);
  assert.equal(portOf(lost), workerUiPort(runDir, "worker_1"), "the removed executor ran on worker-1");
  const starts: SparkEvent[] = events.filter((e) => e.Event === "SparkListenerTaskStart").map((e) => e["Task Info"]);
  const interrupted = starts.filter((task) => task["Executor ID"] === lost);
  assert.ok(interrupted.length > 0, "a task was running on worker-1's executor");
  for (const task of interrupted) {
    const rerun = starts.find((again) => again.Index === task.Index && again.Attempt > task.Attempt);
    assert.ok(rerun, `task ${task.Index} (attempt ${task.Attempt}) was started again after its executor was lost`);
    assert.equal(rerun.Speculative, false, "a retry, not a speculative copy");
    assert.equal(portOf(String(rerun["Executor ID"])), workerUiPort(runDir, "worker_2"), "the rerun ran on worker-2");
    const ended = events.find(
      (e) => e.Event === "SparkListenerTaskEnd" && e["Task Info"]?.["Task ID"] === rerun["Task ID"],
    );
    assert.equal(ended?.["Task End Reason"]?.Reason, "Success", `task ${task.Index}'s rerun succeeded`);
  }
}

const explain = (outcome: SparkOutcome): string =>
  `exit ${outcome.code}; run-end ${JSON.stringify(outcome.events.find((e) => e.type === "run-end"))}\nstderr:\n${outcome.stderr.slice(-3000)}`;

/** Logs saved, nothing of the run left: process (JVMs included), port, lock, state, record. */
async function assertSavedAndClean(outcome: SparkOutcome, s3Up = true): Promise<void> {
  const { runDir } = outcome;
  assert.ok(runDir, "the run has a folder");
  assert.match(readFileSync(join(runDir, "logs", "job-stdout.log"), "utf8"), /busy stage starting/, "job log kept");
  if (s3Up) {
    const runId = runDir.split("/").pop() ?? "";
    const uploaded = join(outcome.home, "local", "s3", "spark-faults", "runs");
    const name = readdirSync(uploaded).find((entry) => existsSync(join(uploaded, entry, runId)));
    assert.ok(name, `the run's results were uploaded under ${uploaded}`);
    assert.ok(existsSync(join(uploaded, name, runId, "manifest.json")), "manifest uploaded");
    assert.ok(existsSync(join(uploaded, name, runId, "logs", "job", "attempt-1", "stdout.log")), "job log uploaded");
  }
  await assertNoLeftovers(runDir);
  const state = JSON.parse(await readFile(join(runDir, "stack", "stacks", "cluster", "terraform.tfstate"), "utf8"));
  assert.deepEqual(state.resources ?? [], [], "the terraform state is empty");
  const record = JSON.parse(await readFile(join(runDir, "run.json"), "utf8"));
  assert.equal(record.destroyed, true, "run.json says the cluster is destroyed");
}

describe("fault matrix under a busy PySpark job (1 master + 2 workers)", { concurrency: 2 }, () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    test(`${signal} while both executors are busy: exit 130, the job stopped, logs kept, nothing left`, async () => {
      const outcome = await sparkCase({
        name: `busy-${signal.toLowerCase()}`,
        holdTasks: true,
        fault: async ({ pid }) => {
          process.kill(pid, signal);
        },
      });
      assert.ok(outcome.injected);
      assert.equal(outcome.code, 130, explain(outcome));
      assert.match(String(runEndOf(outcome.events).message), new RegExp(`interrupted by ${signal}`));
      assert.ok(!eventTexts(outcome.events, "job-log").some((line) => line.startsWith("busy stage done")));
      await assertSavedAndClean(outcome);
    });
  }

  test("an exception on the executors: exit 1, the Python error in the job's stderr, nothing left", async () => {
    const outcome = await sparkCase({ name: "busy-task-error", failTasks: true, fault: async () => {} });
    assert.equal(outcome.code, 1, explain(outcome));
    assert.match(String(runEndOf(outcome.events).message), /the job exited with code 1/);
    const stderrLog = readFileSync(join(outcome.runDir, "logs", "job-stderr.log"), "utf8");
    assert.match(stderrLog, /RuntimeError: executor-side failure in task/, "the executor's error reaches the job log");
    // The failure digest names the executor's exception and the job's own line, not py4j's wrapper.
    const digest = runEndOf(outcome.events).digest as Record<string, string> | undefined;
    assert.equal(digest?.kind, "python-exception", JSON.stringify(digest));
    assert.match(digest?.exception ?? "", /^RuntimeError: executor-side failure in task [01]$/);
    assert.equal(digest?.at, "busy.py:10 in task");
    assert.match(
      digest?.stage ?? "",
      /^task [01] in stage 0\.0 failed 4 times \(last: TID \d+ on executor \d+, 127\.0\.0\.1\)$/,
    );
    await assertSavedAndClean(outcome);
  });

  for (const { node, daemon, what } of [
    {
      node: "worker-1",
      daemon: "worker",
      what: "a worker daemon killed mid-job (its executor with it): Spark reruns its task on the other worker",
    },
    {
      node: "master",
      daemon: "master",
      what: "the master daemon killed mid-job: the running application finishes on its executors",
    },
  ]) {
    test(`${what}, exit 0, nothing left`, async () => {
      let killed = 0;
      const outcome = await sparkCase({
        name: `busy-${daemon}-killed`,
        fault: async ({ runDir }) => {
          killed = await nodePid(runDir, node, daemon);
          process.kill(-killed, "SIGKILL"); // the daemon's process group: a worker's executor goes with it
          await pause(1000);
        },
      });
      assert.ok(killed > 0);
      assert.equal(outcome.code, 0, explain(outcome));
      assert.ok(eventTexts(outcome.events, "job-log").includes("busy stage done: 1"), "the stage completed");
      if (daemon === "worker") await assertTaskRerunOnOtherWorker(outcome.runDir);
      await assertSavedAndClean(outcome);
    });
  }

  test("the SSH link dropped mid-job: the CLI reconnects, the job finishes, exit 0, nothing left", async () => {
    let dropped: number[] = [];
    const outcome = await sparkCase({
      name: "busy-ssh-dropped",
      fault: async ({ runDir }) => {
        dropped = await sshdSessions(runDir);
        for (const pid of dropped) process.kill(pid, "SIGKILL");
        await pause(1500); // the CLI notices the drop before the job ends
      },
    });
    assert.ok(dropped.length > 0, "an sshd session was killed");
    assert.equal(outcome.code, 0, explain(outcome));
    assert.ok(
      eventTexts(outcome.events, "warning").some((w) => /SSH connection to the master dropped; reconnecting/.test(w)),
      eventTexts(outcome.events, "warning").join("\n"),
    );
    assert.ok(eventTexts(outcome.events, "job-log").includes("busy stage done: 1"), "the stage completed");
    await assertSavedAndClean(outcome);
  });
});
