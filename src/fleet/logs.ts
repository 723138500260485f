// `burst logs <run-id> [--follow]`: a finished run's job logs from the local copy of its results
// (the same files as in S3), or a running run's logs as burst writes them, like tail -f.

import { once } from "node:events";
import { existsSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { ExitCode } from "../errors.ts";
import { findRun } from "../lifecycle/down.ts";
import type { EventSink } from "../lifecycle/events.ts";
import { ownerAlive, type RunRecord, readRecord } from "../lifecycle/run-record.ts";
import { sleep } from "./concurrency.ts";

export interface LogsOptions {
  /** Keep printing while the run is going, until it ends. */
  readonly follow: boolean;
  /** Receives the job's stdout. */
  readonly stdout: NodeJS.WritableStream;
  /** Receives the job's stderr. */
  readonly stderr: NodeJS.WritableStream;
  /** Where the logs come from, and why following stopped. */
  readonly sink: EventSink;
  /** How often a followed run's files and record are checked. Default 250 ms. */
  readonly pollMs?: number;
  /** Stops following (Ctrl-C); the result is then 130. */
  readonly signal?: AbortSignal;
}

type Streams = readonly { readonly file: string; readonly out: NodeJS.WritableStream }[];

/** Where a run's job logs are: collected with its results, and as streamed while it ran. */
export function logFiles(record: RunRecord): {
  collected: { stdout: string; stderr: string };
  live: { stdout: string; stderr: string };
} {
  // Collected logs are per step attempt (results/logs/<step>/attempt-<n>/); the streamed copy
  // holds every step's output in order, so it is what `logs` prints.
  const live = join(record.runDir, "logs");
  return {
    collected: { stdout: join(live, "job-stdout.log"), stderr: join(live, "job-stderr.log") },
    live: { stdout: join(live, "job-stdout.log"), stderr: join(live, "job-stderr.log") },
  };
}

/** Print a run's job logs; exit code 0, 2 for an unknown run, 130 when following was interrupted. */
export async function logsOf(burstHome: string, runId: string, options: LogsOptions): Promise<number> {
  const record = await findRun(burstHome, runId);
  const files = logFiles(record);
  const { sink } = options;
  const streamsOf = (set: { stdout: string; stderr: string }): Streams => [
    { file: set.stdout, out: options.stdout },
    { file: set.stderr, out: options.stderr },
  ];
  const present = (set: { stdout: string; stderr: string }) => existsSync(set.stdout) || existsSync(set.stderr);
  const s3Logs = record.resultsUri ? `${record.resultsUri.replace(/\/?$/, "/")}logs/` : undefined;

  if (record.outcome !== undefined) {
    const where = s3Logs ? `; in S3: ${s3Logs}` : "";
    if (present(files.collected)) {
      sink({
        type: "info",
        message: `run ${runId} ${record.outcome}: logs from ${join(record.runDir, "results", "logs")}${where}`,
      });
      await copyAll(streamsOf(files.collected), new Map());
    } else if (present(files.live)) {
      sink({
        type: "info",
        message: `run ${runId} ${record.outcome}: its logs were not collected; what burst saw while it ran:`,
      });
      await copyAll(streamsOf(files.live), new Map());
    } else {
      sink({
        type: "info",
        message: `run ${runId} ${record.outcome} in phase ${record.phase}, before the job wrote anything`,
      });
    }
    return ExitCode.ok;
  }

  const streams = streamsOf(files.live);
  const offsets = new Map<string, number>();
  await copyAll(streams, offsets);
  if (!options.follow) {
    if (!present(files.live))
      sink({ type: "info", message: `run ${runId} is in phase ${record.phase}: no job output yet` });
    return ExitCode.ok;
  }
  const pollMs = options.pollMs ?? 250;
  for (;;) {
    if (options.signal?.aborted) return ExitCode.interrupted;
    await sleep(pollMs);
    await copyAll(streams, offsets);
    const now = await readRecord(record.runDir).catch(() => undefined);
    if (now?.outcome !== undefined) {
      await copyAll(streams, offsets); // whatever was written between the last read and the outcome
      sink({ type: "info", message: `run ${runId} ${now.outcome}${s3Logs ? `; logs in S3: ${s3Logs}` : ""}` });
      return ExitCode.ok;
    }
    if (!ownerAlive(now ?? record)) {
      await copyAll(streams, offsets);
      sink({
        type: "warning",
        message: `run ${runId}: its CLI (pid ${record.pid}) is gone; nothing more will be written`,
      });
      return ExitCode.ok;
    }
  }
}

async function copyAll(streams: Streams, offsets: Map<string, number>): Promise<void> {
  for (const { file, out } of streams) offsets.set(file, await copyFrom(file, offsets.get(file) ?? 0, out));
}

/** Write what `file` holds past `offset` to `out`; returns the new offset. A shorter file starts over. */
async function copyFrom(file: string, offset: number, out: NodeJS.WritableStream): Promise<number> {
  const handle = await open(file, "r").catch(() => undefined);
  if (!handle) return offset;
  try {
    const { size } = await handle.stat();
    let position = size < offset ? 0 : offset;
    const buffer = Buffer.alloc(64 * 1024);
    while (position < size) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, size - position), position);
      if (bytesRead === 0) break;
      position += bytesRead;
      if (!out.write(Buffer.from(buffer.subarray(0, bytesRead)))) await once(out, "drain");
    }
    return position;
  } finally {
    await handle.close();
  }
}
