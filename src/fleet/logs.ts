// `burst logs <run-id> [--follow]`: a finished run's job logs from the local copy of its results
// (the same files as in S3), or a running run's logs as burst writes them, like tail -f.

import { once } from "node:events";
import { existsSync } from "node:fs";
import { open, readFile } from "node:fs/promises";
import { join } from "node:path";
import { ExitCode } from "../errors.ts";
import { findRun } from "../lifecycle/down.ts";
import type { EventSink } from "../lifecycle/events.ts";
import { ownerAlive, type RunRecord, readRecord } from "../lifecycle/run-record.ts";
import type { StepRecord } from "../lifecycle/steps.ts";
import { sleep } from "../util/concurrency.ts";

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

/** What burst streamed while the run ran: every step's output in order, one file per stream. */
export function liveLogFiles(record: RunRecord): { stdout: string; stderr: string } {
  const live = join(record.runDir, "logs");
  return { stdout: join(live, "job-stdout.log"), stderr: join(live, "job-stderr.log") };
}

/**
 * The collected logs (downloaded from the master with the results), one folder per step
 * attempt, in the order the manifest records them; empty when they were not collected.
 */
export async function collectedLogFiles(
  record: RunRecord,
): Promise<{ folder: string; stdout: string; stderr: string }[]> {
  const results = join(record.runDir, "results");
  const manifest = await readFile(join(results, "manifest.json"), "utf8")
    .then((text) => JSON.parse(text) as { steps?: StepRecord[]; onError?: StepRecord })
    .catch(() => undefined);
  if (!manifest) return [];
  const steps = [...(manifest.steps ?? []), ...(manifest.onError ? [manifest.onError] : [])];
  return steps
    .flatMap((step) => step.attempts.map((attempt) => attempt.folder))
    .map((folder) => ({
      folder,
      stdout: join(results, "logs", folder, "stdout.log"),
      stderr: join(results, "logs", folder, "stderr.log"),
    }))
    .filter((files) => existsSync(files.stdout) || existsSync(files.stderr));
}

/** Print a run's job logs; exit code 0, 2 for an unknown run, 130 when following was interrupted. */
export async function logsOf(burstHome: string, runId: string, options: LogsOptions): Promise<number> {
  const record = await findRun(burstHome, runId);
  const live = liveLogFiles(record);
  const { sink } = options;
  const streamsOf = (set: { stdout: string; stderr: string }): Streams => [
    { file: set.stdout, out: options.stdout },
    { file: set.stderr, out: options.stderr },
  ];
  const present = (set: { stdout: string; stderr: string }) => existsSync(set.stdout) || existsSync(set.stderr);
  const s3Logs = record.resultsUri ? `${record.resultsUri.replace(/\/?$/, "/")}logs/` : undefined;

  if (record.outcome !== undefined) {
    const where = s3Logs ? `; in S3: ${s3Logs}` : "";
    const collected = await collectedLogFiles(record);
    if (collected.length > 0) {
      sink({
        type: "info",
        message: `run ${runId} ${record.outcome}: logs from ${join(record.runDir, "results", "logs")}${where}`,
      });
      for (const attempt of collected) {
        if (collected.length > 1) options.stderr.write(`── ${attempt.folder} ──\n`);
        await copyAll(streamsOf(attempt), new Map());
      }
    } else if (present(live)) {
      sink({
        type: "info",
        message: `run ${runId} ${record.outcome}: its logs were not collected; what burst saw while it ran:`,
      });
      await copyAll(streamsOf(live), new Map());
    } else {
      sink({
        type: "info",
        message: `run ${runId} ${record.outcome} in phase ${record.phase}, before the job wrote anything`,
      });
    }
    return ExitCode.ok;
  }

  const streams = streamsOf(live);
  const offsets = new Map<string, number>();
  await copyAll(streams, offsets);
  if (!options.follow) {
    if (!present(live)) sink({ type: "info", message: `run ${runId} is in phase ${record.phase}: no job output yet` });
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
