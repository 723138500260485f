// Which executors left the run through Spark's graceful decommissioning, read from the drivers'
// event logs burst collects from the master. On burst's clusters only the spot watcher
// (stacks/shared/node/spot-watch.sh) decommissions a worker, so these are the workers a spot
// interruption took away while a job ran. The event log is the durable record: Spark's master
// forgets a decommission once the worker's instance is gone (it then shows the worker as DEAD).

import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

export interface DecommissionedExecutor {
  readonly appId: string;
  readonly executorId: string;
  /** The worker's host (its private address on AWS). */
  readonly host: string;
  /** The worker's web UI port, from the executor's log URLs (tells apart workers sharing a host). */
  readonly workerUiPort?: number;
  readonly reason: string;
  readonly at: string;
}

interface ExecutorSeen {
  host: string;
  workerUiPort?: number;
}

/** Every decommissioned executor in the event logs under `dir` (missing folder: none). */
export async function decommissionedExecutors(dir: string): Promise<DecommissionedExecutor[]> {
  const found: DecommissionedExecutor[] = [];
  for (const log of await eventLogsIn(dir)) {
    const texts = await Promise.all(log.files.map((file) => readFile(file, "utf8").catch(() => "")));
    found.push(...decommissionsInEventLog(log.appId, texts.join("\n")));
  }
  return found;
}

/**
 * The applications' event logs in `dir`, each as its files in order: a rolling log (burst's, see
 * stacks/shared/spark-conf.ts) is a folder eventlog_v2_<app> of events_<n>_<app> files; a plain one is
 * one file. Compressed logs are skipped.
 */
export async function eventLogsIn(dir: string): Promise<{ appId: string; files: string[] }[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const logs: { appId: string; files: string[] }[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.isDirectory() && entry.name.startsWith("eventlog_v2_")) {
      const folder = join(dir, entry.name);
      const parts = (await readdir(folder).catch(() => [] as string[]))
        .map((name) => ({ name, index: /^events_(\d+)_/.exec(name)?.[1] }))
        .filter((part) => part.index !== undefined && !/\.(lz4|lzf|snappy|zstd)$/.test(part.name))
        .sort((a, b) => Number(a.index) - Number(b.index));
      logs.push({
        appId: entry.name.slice("eventlog_v2_".length),
        files: parts.map((part) => join(folder, part.name)),
      });
    } else if (entry.isFile()) {
      logs.push({ appId: entry.name.replace(/\.inprogress$/, ""), files: [join(dir, entry.name)] });
    }
  }
  return logs;
}

/** Decommissioned executors in one event log (JSON lines, one Spark listener event each). */
export function decommissionsInEventLog(appId: string, text: string): DecommissionedExecutor[] {
  const executors = new Map<string, ExecutorSeen>();
  const found: DecommissionedExecutor[] = [];
  for (const line of text.split("\n")) {
    if (!line.includes("SparkListenerExecutor")) continue;
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue; // the last line of a log cut off mid-write
    }
    const id = String(event["Executor ID"] ?? "");
    if (event.Event === "SparkListenerExecutorAdded") {
      const info = (event["Executor Info"] ?? {}) as { Host?: string; "Log Urls"?: Record<string, string> };
      const logUrl = Object.values(info["Log Urls"] ?? {})[0] ?? "";
      const port = /^https?:\/\/[^/]+:(\d+)\//.exec(logUrl)?.[1];
      executors.set(id, { host: info.Host ?? "", workerUiPort: port ? Number(port) : undefined });
    } else if (event.Event === "SparkListenerExecutorRemoved") {
      const reason = String(event["Removed Reason"] ?? "");
      if (!/decommission/i.test(reason)) continue;
      const seen = executors.get(id);
      found.push({
        appId,
        executorId: id,
        host: seen?.host ?? "",
        ...(seen?.workerUiPort !== undefined ? { workerUiPort: seen.workerUiPort } : {}),
        reason,
        at: new Date(Number(event.Timestamp ?? 0)).toISOString(),
      });
    }
  }
  return found;
}
