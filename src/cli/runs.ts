import { hostname } from "node:os";
import { ExitCode } from "../errors.ts";
import { destroyRun, findRun } from "../lifecycle/down.ts";
import type { EventSink } from "../lifecycle/events.ts";
import { registryFromEnv } from "../lifecycle/registry.ts";
import { listRecords, ownerAlive, type RunRecord } from "../lifecycle/run-record.ts";
import { resolveCliParams } from "./validate.ts";

/** `burst list`: every run recorded on this machine, with whether its cluster still exists. */
export async function listRuns(burstHome: string, json: boolean, out: NodeJS.WritableStream): Promise<number> {
  const local = await listRecords(burstHome);
  // Runs from other machines (teammates, CI) when Consul holds the shared registry.
  const shared = (await registryFromEnv(process.env)?.list()) ?? [];
  const localIds = new Set(local.map((record) => record.runId));
  const elsewhere = shared.filter((record) => !localIds.has(record.runId));
  const here = hostname();
  const now = Date.now();
  const records = [...local, ...elsewhere].sort((a, b) => a.runId.localeCompare(b.runId));
  const isLocal = (record: RunRecord) => localIds.has(record.runId);
  const rows = records.map((record) => ({
    runId: record.runId,
    host: record.host ?? here,
    name: record.name,
    target: record.target,
    owner: record.owner,
    phase: record.phase,
    // Liveness of a CLI on another machine cannot be checked from here.
    outcome: record.outcome ?? (!isLocal(record) ? "running?" : ownerAlive(record) ? "running" : "orphaned"),
    // Past its deadline the nodes' TTL guard has ended it; gc or down clears what is left of its state.
    cluster: record.destroyed
      ? "destroyed"
      : Date.parse(record.expiresAt) <= now
        ? "expired"
        : record.kept
          ? "kept"
          : "up",
    startedAt: record.startedAt,
    expiresAt: record.expiresAt,
    results: record.resultsUri,
  }));
  if (json) {
    for (const row of rows) out.write(`${JSON.stringify(row)}\n`);
    return ExitCode.ok;
  }
  if (rows.length === 0) {
    out.write("no runs yet\n");
    return ExitCode.ok;
  }
  const header = ["RUN ID", "NAME", "TARGET", "HOST", "PHASE", "OUTCOME", "CLUSTER", "STARTED"];
  const table = [
    header,
    ...rows.map((r) => [r.runId, r.name, r.target, r.host, r.phase, r.outcome, r.cluster, r.startedAt]),
  ];
  const widths = header.map((_, column) => Math.max(...table.map((row) => (row[column] ?? "").length)));
  for (const row of table)
    out.write(
      `${row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd()}\n`,
    );
  return ExitCode.ok;
}

/** `burst down <run-id>`. */
export async function downRun(burstHome: string, runId: string, sink: EventSink): Promise<number> {
  const record = await findRun(burstHome, runId);
  if (record.destroyed) {
    sink({ type: "info", message: `run ${runId}: cluster already destroyed` });
    return ExitCode.ok;
  }
  await destroyRun(record, sink);
  sink({ type: "info", message: `run ${runId}: cluster destroyed` });
  return ExitCode.ok;
}

export interface GcCliOptions {
  readonly dryRun: boolean;
  readonly allOwners: boolean;
  readonly sink: EventSink;
}

/**
 * `burst gc`: local runs always; each target's leftovers too where this machine is configured for
 * it (aws: a region in BURST_AWS_REGION, AWS_REGION, or burst/aws/region in Consul or config/).
 */
export async function collectGarbage(burstHome: string, options: GcCliOptions): Promise<number> {
  const { gc } = await import("../fleet/gc.ts");
  const report = await gc({
    burstHome,
    dryRun: options.dryRun,
    sink: options.sink,
    env: process.env,
    params: () => resolveCliParams(undefined),
    orphansOf: options.allOwners ? "everyone" : undefined,
  });
  return report.exitCode;
}
