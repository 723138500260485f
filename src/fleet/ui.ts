// `burst ui <run-id>...`: the Spark UI of finished runs, after their clusters are gone. A Spark
// History Server from the Spark burst already installs reads the runs' event logs (the local copy
// in each run folder), on loopback only, until Ctrl-C.

import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { burstCommand } from "../commands.ts";
import { badInput, infraError } from "../errors.ts";
import { eventLogsIn } from "../job/decommissions.ts";
import { findRun } from "../lifecycle/down.ts";
import { loadTarget } from "../targets/index.ts";
import { start } from "../util/exec.ts";
import { freePorts } from "../util/ports.ts";

export interface UiOptions {
  readonly json: boolean;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** Aborted by Ctrl-C: the History Server is stopped and its folder removed. */
  readonly signal: AbortSignal;
  /** How long the History Server may take to list every application. */
  readonly readyTimeoutMs?: number;
}

export interface UiApplication {
  readonly runId: string;
  readonly appId: string;
  readonly name: string;
  readonly completed: boolean;
  readonly url: string;
}

/** Serve the runs' Spark UIs until `signal` aborts; exit code 0 then. */
export async function showUi(burstHome: string, runIds: readonly string[], options: UiOptions): Promise<number> {
  if (runIds.length === 0) throw badInput(`usage: ${burstCommand("ui <run-id> [<run-id>...]")}`);
  const runs = await Promise.all(runIds.map((runId) => eventLogOf(burstHome, runId, options.stderr)));
  const workDir = await mkdtemp(join(burstHome, "ui-"));
  const logDir = join(workDir, "eventlog");
  try {
    await mkdir(logDir);
    // One History Server reads one folder: every run's logs side by side (application ids are unique).
    const appRuns = new Map<string, string>();
    for (const run of runs) {
      await cp(run.dir, logDir, { recursive: true });
      for (const log of run.logs) appRuns.set(log.appId, run.runId);
    }
    const sparkVersion = newest(runs.map((run) => run.sparkVersion));
    const local = await loadTarget("local");
    if (!local.toolSpark) throw infraError("the local target offers no Spark to run a History Server with");
    const sparkHome = await local.toolSpark(sparkVersion, (message) => options.stderr.write(`${message}\n`));
    const [port] = await freePorts(1);
    const confFile = join(workDir, "history-server.conf");
    await writeFile(
      confFile,
      [
        `spark.history.fs.logDirectory file://${logDir}`,
        `spark.history.ui.port ${port}`,
        "spark.history.fs.update.interval 2s",
        "spark.history.fs.cleaner.enabled false",
      ].join("\n"),
    );
    const server = start(
      join(sparkHome, "bin", "spark-class"),
      ["org.apache.spark.deploy.history.HistoryServer", "--properties-file", confFile],
      {
        // Only what Java needs: the CLI's environment (credentials among it) stays out of the server.
        replaceEnv: true,
        env: {
          ...pick(process.env, ["PATH", "HOME", "LANG", "TZ", "JAVA_HOME", "TMPDIR"]),
          SPARK_HOME: sparkHome,
          // No spark-env.sh or spark-defaults.conf of the user's: this server's conf is the file above.
          SPARK_CONF_DIR: workDir,
          // The address Spark's web UIs bind and show: loopback only.
          SPARK_LOCAL_IP: "127.0.0.1",
          SPARK_PUBLIC_DNS: "127.0.0.1",
        },
      },
    );
    try {
      const base = `http://127.0.0.1:${port}`;
      const apps = await waitForApplications(base, appRuns, server.done, options);
      report(base, apps, options);
      await new Promise<void>((resolve, reject) => {
        if (options.signal.aborted) return resolve();
        options.signal.addEventListener("abort", () => resolve(), { once: true });
        server.done.then((result) =>
          reject(
            infraError(`the History Server stopped by itself (exit ${result.code})`, { hint: tail(result.stderr) }),
          ),
        );
      });
      return 0;
    } finally {
      await server.stop();
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

interface RunEventLog {
  readonly runId: string;
  readonly dir: string;
  readonly logs: readonly { readonly appId: string; readonly files: readonly string[] }[];
  readonly sparkVersion: string;
}

/**
 * The run's collected event log: the local copy in <run>/results/logs/eventlog, or, when that is
 * gone, the one collect uploaded with the results (fetched into the run folder again).
 */
async function eventLogOf(burstHome: string, runId: string, stderr: NodeJS.WritableStream): Promise<RunEventLog> {
  const record = await findRun(burstHome, runId);
  const dir = join(record.runDir, "results", "logs", "eventlog");
  let logs = await eventLogsIn(dir);
  if (logs.length === 0) {
    const target = await loadTarget(record.target);
    if (await target.fetchResults?.(record.resultsUri, "logs/eventlog/", dir, record.placement)) {
      stderr.write(`run ${runId}: event log fetched from ${record.resultsUri}logs/eventlog/\n`);
      logs = await eventLogsIn(dir);
    }
  }
  const first = logs[0]?.files[0];
  if (!first) {
    throw badInput(`run ${runId} has no Spark event log in ${dir} or ${record.resultsUri}logs/eventlog/`, {
      hint: "a run has one once its job started a Spark application and its results were collected",
    });
  }
  // Every event log begins with the Spark version that wrote it.
  const head = (await readFile(first, "utf8")).split("\n", 1)[0] ?? "";
  const version = /"Spark Version":"(\d+\.\d+\.\d+)"/.exec(head)?.[1];
  if (!version) throw infraError(`${first} does not start with SparkListenerLogStart; is it an event log?`);
  return { runId, dir, logs, sparkVersion: version };
}

async function waitForApplications(
  base: string,
  appRuns: ReadonlyMap<string, string>,
  exited: Promise<{ code: number | null; stderr: string }>,
  options: UiOptions,
): Promise<UiApplication[]> {
  let stopped: { code: number | null; stderr: string } | undefined;
  void exited.then((result) => {
    stopped = result;
  });
  const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
  for (;;) {
    if (stopped) throw infraError(`the History Server exited (code ${stopped.code})`, { hint: tail(stopped.stderr) });
    if (options.signal.aborted) return [];
    const listed = await fetch(`${base}/api/v1/applications`)
      .then(async (response) => (response.ok ? ((await response.json()) as HistoryApplication[]) : []))
      .catch(() => [] as HistoryApplication[]);
    const apps = listed
      .filter((app) => appRuns.has(app.id))
      .map((app) => ({
        runId: appRuns.get(app.id) ?? "",
        appId: app.id,
        name: app.name,
        completed: app.attempts.every((attempt) => attempt.completed),
        url: `${base}/history/${app.id}/jobs/`,
      }));
    if (apps.length === appRuns.size) return apps.sort((a, b) => a.runId.localeCompare(b.runId));
    if (Date.now() > deadline) {
      throw infraError(`the History Server at ${base} listed ${apps.length} of ${appRuns.size} applications`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

interface HistoryApplication {
  readonly id: string;
  readonly name: string;
  readonly attempts: readonly { readonly completed: boolean }[];
}

function report(base: string, apps: readonly UiApplication[], options: UiOptions): void {
  if (options.json) {
    options.stdout.write(`${JSON.stringify({ type: "ui", url: `${base}/`, applications: apps })}\n`);
    return;
  }
  options.stdout.write(`Spark History Server: ${base}/   (Ctrl-C stops it)\n`);
  for (const app of apps) {
    const state = app.completed ? "" : "  (incomplete: the job did not end cleanly)";
    options.stdout.write(`  run ${app.runId}  ${app.name}  ${app.url}${state}\n`);
  }
}

function pick(env: NodeJS.ProcessEnv, names: readonly string[]): Record<string, string | undefined> {
  return Object.fromEntries(names.map((name) => [name, env[name]]));
}

function newest(versions: readonly string[]): string {
  const key = (v: string) =>
    v
      .split(".")
      .map((part) => part.padStart(4, "0"))
      .join(".");
  return [...versions].sort((a, b) => key(a).localeCompare(key(b))).at(-1) ?? "";
}

function tail(text: string): string {
  return text.trim().split("\n").slice(-10).join("\n");
}
