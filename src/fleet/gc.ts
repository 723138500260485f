// `burst gc`: destroy what runs left behind. Locally, from each run's own record and state:
// clusters whose CLI died before destroying them, and clusters past their TTL (kept ones too).
// On AWS, when a region is configured, the sweeper removes tagged resources that no live run
// on this machine accounts for.

import { userInfo } from "node:os";
import type { EC2Client } from "@aws-sdk/client-ec2";
import { ExitCode } from "../errors.ts";
import { destroyRun } from "../lifecycle/down.ts";
import type { EventSink } from "../lifecycle/events.ts";
import { listRecords, ownerAlive, type RunRecord } from "../lifecycle/run-record.ts";
import { type SweepReport, type SweepTiming, sweep } from "../targets/aws/sweeper.ts";
import { mapLimit } from "./concurrency.ts";
import { relativeTo } from "./format.ts";

export interface GcOptions {
  readonly burstHome: string;
  /** Report what would be removed; remove nothing. */
  readonly dryRun: boolean;
  readonly sink: EventSink;
  /** A client for the configured AWS region; without one, gc only looks at this machine's records. */
  readonly ec2?: EC2Client;
  readonly now?: Date;
  /**
   * Whose unexpired AWS resources of unknown runs may be swept: by default only this owner's
   * (BURST_OWNER or the login name), since a colleague's live cluster is unknown here too.
   * "everyone" sweeps them all. Expired resources are swept whoever owns them.
   */
  readonly orphansOf?: string | "everyone";
  /** Destroys in flight at once. Default 4 (an AWS destroy waits minutes on the fleet). */
  readonly concurrency?: number;
  readonly sweepTiming?: Partial<SweepTiming>;
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

export interface GcReport {
  readonly local: readonly LocalGcResult[];
  /** Absent when no EC2 client was given. */
  readonly aws?: SweepReport;
  /** Set when the AWS sweep could not run at all (credentials, network). */
  readonly awsError?: string;
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
  const { sink, dryRun } = options;
  const now = options.now ?? new Date();
  const records = await listRecords(options.burstHome);
  const garbage = records.flatMap((record) => {
    const verdict = gcVerdict(record, now, ownerAlive(record));
    return verdict ? [{ record, ...verdict }] : [];
  });
  if (garbage.length === 0) sink({ type: "info", message: "local: nothing to collect" });

  const gone = new Set<string>();
  const local = await mapLimit(garbage, options.concurrency ?? 4, async ({ record, why, detail, driven }) => {
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
      gone.add(record.runId);
      sink({ type: "info", message: `would destroy ${label}: ${detail}` });
      return result("would-destroy", detail);
    }
    sink({ type: "info", message: `destroying ${label}: ${detail}` });
    try {
      await destroyRun(record, sink);
      gone.add(record.runId);
      sink({ type: "info", message: `destroyed ${label}` });
      return result("destroyed", detail);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      sink({ type: "warning", message: `could not destroy ${label}: ${message}` });
      return result("failed", `${detail}; ${message}`);
    }
  });

  let aws: SweepReport | undefined;
  let awsError: string | undefined;
  if (options.ec2) {
    // Live: not destroyed, and not being destroyed by this gc (a dry run counts those as gone too).
    const knownRuns = new Set(records.filter((r) => !r.destroyed && !gone.has(r.runId)).map((r) => r.runId));
    const orphansOf = options.orphansOf ?? defaultOwner();
    try {
      aws = await sweep({
        client: options.ec2,
        knownRuns,
        now,
        orphanOwner: orphansOf === "everyone" ? undefined : orphansOf,
        dryRun,
        sink,
        timing: options.sweepTiming,
      });
    } catch (error) {
      awsError = error instanceof Error ? error.message : String(error);
      sink({ type: "warning", message: `aws: could not list leftovers: ${awsError}` });
    }
  } else {
    sink({ type: "info", message: "aws: not swept (no AWS region configured)" });
  }

  const failed = local.some((r) => r.action === "failed") || (aws?.failed ?? 0) > 0 || awsError !== undefined;
  return { local, aws, awsError, exitCode: failed ? ExitCode.infrastructure : ExitCode.ok };
}

/** The owner burst tags runs with (same rule as the lifecycle). */
export function defaultOwner(): string {
  return process.env.BURST_OWNER || userInfo().username;
}
