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
  const files = await readdir(dir).catch(() => [] as string[]);
  const found: DecommissionedExecutor[] = [];
  for (const file of files.sort()) {
    // Plain (uncompressed, non-rolling) logs are Spark's default and burst's; anything else is skipped.
    const text = await readFile(join(dir, file), "utf8").catch(() => "");
    found.push(...decommissionsInEventLog(file.replace(/\.inprogress$/, ""), text));
  }
  return found;
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
