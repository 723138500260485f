// `burst gc`: destroy what runs left behind. Locally, from each run's own record and state:
// clusters whose CLI died before destroying them, and clusters past their TTL (kept ones too).
// Then every target that can leave resources beyond its runs' state (aws, when a region is
// configured) sweeps those that no live run on this machine accounts for.

import { ExitCode } from "../errors.ts";
import { destroyRun } from "../lifecycle/down.ts";
import type { EventSink } from "../lifecycle/events.ts";
import { listRecords, ownerAlive, type RunRecord } from "../lifecycle/run-record.ts";
import type { Params } from "../params/types.ts";
import type { LeftoverReport, LeftoverSession, Target } from "../targets/contract.ts";
import { loadTarget, type TargetName, targetNames } from "../targets/index.ts";
import { mapLimit } from "../util/concurrency.ts";
import { runOwner } from "../util/owner.ts";
import { relativeTo } from "./format.ts";

export interface GcOptions {
  readonly burstHome: string;
  /** Report what would be removed; remove nothing. */
  readonly dryRun: boolean;
  readonly sink: EventSink;
  /** Whose leftovers are swept: default every registered target (those without `leftovers` are skipped). */
  readonly targets?: readonly Target[];
  /** Where the targets' sweepers find their configuration; default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** This machine's parameters (the CLI's: Consul or config/, with the environment on top), resolved only if a sweeper needs them. */
  readonly params: () => Promise<Params>;
  readonly now?: Date;
  /**
   * Whose unexpired leftovers of unknown runs may be swept: by default only this owner's
   * (BURST_OWNER or the login name), since a colleague's live cluster is unknown here too.
   * "everyone" sweeps them all. Expired ones are swept whoever owns them.
   */
  readonly orphansOf?: string | "everyone";
  /** Destroys in flight at once. Default 4 (an AWS destroy waits minutes on the fleet). */
  readonly concurrency?: number;
}

/** Why a local run is garbage. */
export type GcReason = "orphaned" | "expired";

export interface LocalGcResult {
  readonly runId: string;
  readonly name: string;
  readonly target: string;
  readonly why: GcReason;
  /** skipped: expired, but its CLI is still driving it (that CLI destroys it itself). */
  readonly action: "destroyed" | "would-destroy" | "skipped" | "failed";
  readonly detail: string;
}

/** One target's sweep of its leftovers. */
export interface LeftoverSweep {
  readonly target: TargetName;
  /** Absent when the target was not swept, or its sweep could not run. */
  readonly report?: LeftoverReport;
  /** Why this machine could not sweep it at all ("no AWS region configured"). */
  readonly notSwept?: string;
  /** Set when the sweep could not run (credentials, network). */
  readonly error?: string;
}

export interface GcReport {
  readonly local: readonly LocalGcResult[];
  /** One per target that can leave resources beyond its runs' state. */
  readonly leftovers: readonly LeftoverSweep[];
  /** 0, or 3 (infrastructure) when anything could not be removed. */
  readonly exitCode: number;
}

/**
 * Whether gc should destroy this run's cluster, and why; undefined leaves it alone.
 * Pure: the caller says whether the owner process is alive.
 */
export function gcVerdict(
  record: RunRecord,
  now: Date,
  alive: boolean,
): { why: GcReason; detail: string; driven: boolean } | undefined {
  if (record.destroyed) return undefined;
  const expiry = Date.parse(record.expiresAt);
  // Still driven: the CLI is alive and the run has not ended, so that CLI will destroy it.
  const driven = alive && record.outcome === undefined;
  if (Number.isFinite(expiry) && expiry <= now.getTime()) {
    const detail = `expired ${relativeTo(record.expiresAt, now)}${record.kept ? " (kept)" : ""}`;
    return { why: "expired", detail, driven };
  }
  if (alive || record.kept) return undefined;
  const detail =
    record.outcome === undefined
      ? `its CLI (pid ${record.pid}) is gone; the run never finished`
      : `the run ended (${record.outcome}) without destroying its cluster`;
  return { why: "orphaned", detail, driven: false };
}

export async function gc(options: GcOptions): Promise<GcReport> {
  const now = options.now ?? new Date();
  // Each sweeper gets ready before anything is destroyed: a configuration it cannot read stops gc here.
  const sweepers = await openSweepers(options);
  try {
    const records = await listRecords(options.burstHome);
    const local = await collectLocal(records, options, now);
    const leftovers = await sweepLeftovers(sweepers, records, local, options, now);
    const failed =
      local.some((r) => r.action === "failed") ||
      leftovers.some((sweep) => (sweep.report?.failed ?? 0) > 0 || sweep.error !== undefined);
    return { local, leftovers, exitCode: failed ? ExitCode.infrastructure : ExitCode.ok };
  } finally {
    for (const { session } of sweepers) if (typeof session !== "string") session.close();
  }
}

interface OpenSweeper {
  readonly target: TargetName;
  /** A string: why this machine cannot sweep the target. */
  readonly session: LeftoverSession | string;
}

async function openSweepers(options: GcOptions): Promise<OpenSweeper[]> {
  const targets = options.targets ?? (await Promise.all(targetNames.map(loadTarget)));
  const env = options.env ?? process.env;
  let resolved: Promise<Params> | undefined;
  const params = () => {
    resolved ??= options.params();
    return resolved;
  };
  const opened: OpenSweeper[] = [];
  try {
    for (const target of targets) {
      if (!target.leftovers) continue;
      const session = await target.leftovers.open({ env, params });
      opened.push({ target: target.name, session: "notSwept" in session ? session.notSwept : session });
    }
  } catch (error) {
    for (const { session } of opened) if (typeof session !== "string") session.close();
    throw error;
  }
  return opened;
}

/** Destroy the clusters of this machine's garbage runs from their own state. */
async function collectLocal(records: readonly RunRecord[], options: GcOptions, now: Date): Promise<LocalGcResult[]> {
  const { sink, dryRun } = options;
  const garbage = records.flatMap((record) => {
    const verdict = gcVerdict(record, now, ownerAlive(record));
    return verdict ? [{ record, ...verdict }] : [];
  });
  if (garbage.length === 0) sink({ type: "info", message: "local: nothing to collect" });

  return await mapLimit(garbage, options.concurrency ?? 4, async ({ record, why, detail, driven }) => {
    const result = (action: LocalGcResult["action"], text: string): LocalGcResult => ({
      runId: record.runId,
      name: record.name,
      target: record.target,
      why,
      action,
      detail: text,
    });
    const label = `run ${record.runId} (${record.name}, ${record.target})`;
    if (driven) {
      sink({
        type: "warning",
        message: `${label}: ${detail}, but process ${record.pid} is still driving it; left to it`,
      });
      return result("skipped", `${detail}; still driven by process ${record.pid}`);
    }
    if (dryRun) {
      sink({ type: "info", message: `would destroy ${label}: ${detail}` });
      return result("would-destroy", detail);
    }
    sink({ type: "info", message: `destroying ${label}: ${detail}` });
    try {
      await destroyRun(record, sink);
      sink({ type: "info", message: `destroyed ${label}` });
      return result("destroyed", detail);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      sink({ type: "warning", message: `could not destroy ${label}: ${message}` });
      return result("failed", `${detail}; ${message}`);
    }
  });
}

/** Each open sweeper removes the leftovers that no live run on this machine accounts for. */
async function sweepLeftovers(
  sweepers: readonly OpenSweeper[],
  records: readonly RunRecord[],
  local: readonly LocalGcResult[],
  options: GcOptions,
  now: Date,
): Promise<LeftoverSweep[]> {
  const { sink, dryRun } = options;
  // Live: not destroyed, and not being destroyed by this gc (a dry run counts those as gone too).
  const gone = new Set(
    local.filter((r) => r.action === "destroyed" || r.action === "would-destroy").map((r) => r.runId),
  );
  const knownRuns = new Set(records.filter((r) => !r.destroyed && !gone.has(r.runId)).map((r) => r.runId));
  const sweeps: LeftoverSweep[] = [];
  for (const { target, session } of sweepers) {
    if (typeof session === "string") {
      sink({ type: "info", message: `${target}: not swept (${session})` });
      sweeps.push({ target, notSwept: session });
      continue;
    }
    const orphansOf = options.orphansOf ?? runOwner();
    try {
      const report = await session.sweep({
        knownRuns,
        now,
        orphanOwner: orphansOf === "everyone" ? undefined : orphansOf,
        dryRun,
        sink,
      });
      sweeps.push({ target, report });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      sink({ type: "warning", message: `${target}: could not list leftovers: ${message}` });
      sweeps.push({ target, error: message });
    }
  }
  return sweeps;
}
