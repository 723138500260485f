// `burst status <run-id>`: one run's record, what its terraform state still holds, its age and
// how long until its TTL.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ExitCode } from "../errors.ts";
import { findRun } from "../lifecycle/down.ts";
import type { Outcome } from "../lifecycle/events.ts";
import { ownerAlive, type RunRecord } from "../lifecycle/run-record.ts";
import { formatDuration, relativeTo } from "./format.ts";

export interface RunStatus {
  readonly record: RunRecord;
  /** running: its CLI is alive; orphaned: its CLI died before the run ended; else how it ended. */
  readonly state: "running" | "orphaned" | Outcome;
  /** What the record says of the cluster. */
  readonly cluster: "up" | "kept" | "destroyed";
  /** Resources in the run's terraform state (0 once destroyed); undefined when there is no state. */
  readonly resourcesInState?: number;
  readonly ageSeconds: number;
  /** Negative once the TTL has passed. */
  readonly expiresInSeconds: number;
  readonly expired: boolean;
}

/** The status of `runId`; a bad-input error (exit 2) when there is no such run. */
export async function statusOf(burstHome: string, runId: string, now = new Date()): Promise<RunStatus> {
  const record = await findRun(burstHome, runId);
  const expiresInSeconds = Math.round((Date.parse(record.expiresAt) - now.getTime()) / 1000);
  return {
    record,
    state: record.outcome ?? (ownerAlive(record) ? "running" : "orphaned"),
    cluster: record.destroyed ? "destroyed" : record.kept ? "kept" : "up",
    resourcesInState: await resourcesInState(record.stackDir),
    ageSeconds: Math.round((now.getTime() - Date.parse(record.startedAt)) / 1000),
    expiresInSeconds,
    expired: expiresInSeconds <= 0,
  };
}

/** Managed resource instances in a stack folder's local state, read from the file (no terraform). */
export async function resourcesInState(stackDir: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(join(stackDir, "terraform.tfstate"), "utf8");
  } catch {
    return undefined;
  }
  try {
    const state = JSON.parse(text) as { resources?: { mode?: string; instances?: unknown[] }[] };
    return (state.resources ?? [])
      .filter((resource) => resource.mode === "managed")
      .reduce((sum, resource) => sum + (resource.instances?.length ?? 0), 0);
  } catch {
    return undefined;
  }
}

/** `burst status <run-id>`: a table for people, or one JSON object with --json. */
export async function showStatus(
  burstHome: string,
  runId: string,
  options: { readonly json: boolean; readonly out: NodeJS.WritableStream; readonly now?: Date },
): Promise<number> {
  const now = options.now ?? new Date();
  const status = await statusOf(burstHome, runId, now);
  if (options.json) {
    const { record, ...rest } = status;
    options.out.write(`${JSON.stringify({ ...record, ...rest })}\n`);
    return ExitCode.ok;
  }
  const { record } = status;
  const alive = status.state === "running" ? "alive" : "gone";
  const resources = status.resourcesInState === undefined ? "no state" : `${status.resourcesInState} in state`;
  const rows: [string, string][] = [
    ["run", `${record.runId} (${record.name})`],
    ["target", record.target],
    ["owner", `${record.owner} (pid ${record.pid}, ${alive})`],
    ["state", `${status.state} · phase ${record.phase}`],
    ["cluster", `${status.cluster} (${resources})`],
    ["started", `${record.startedAt} (${formatDuration(status.ageSeconds * 1000)} ago)`],
    ["ended", record.endedAt ? `${record.endedAt} (${relativeTo(record.endedAt, now)})` : "-"],
    ["expires", `${record.expiresAt} (${status.expired ? "expired " : ""}${relativeTo(record.expiresAt, now)})`],
    ["results", record.resultsUri || "-"],
    ["run dir", record.runDir],
  ];
  for (const [key, value] of rows) options.out.write(`${key.padEnd(8)}  ${value}\n`);
  return ExitCode.ok;
}
