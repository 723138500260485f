import { burstCommand } from "../commands.ts";
import { badInput } from "../errors.ts";
import { loadTarget } from "../targets/index.ts";
import type { RunRecord } from "./run-record.ts";

/** `--keep-on-failure` without a duration. */
export const defaultKeepOnFailure = "30m";

/** "30m", "90s", "2h", "1h30m" → milliseconds ("": the default); anything else is bad input (exit 2). */
export function parseKeepDuration(given: string): number {
  const text = given === "" ? defaultKeepOnFailure : given;
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  const [hours, minutes, seconds] = (match?.slice(1) ?? []).map((part) => Number(part ?? 0));
  const ms = ((hours ?? 0) * 3600 + (minutes ?? 0) * 60 + (seconds ?? 0)) * 1000;
  if (!match || text === "" || ms <= 0) {
    throw badInput(`--keep-on-failure: expected a duration such as 30m, 90s, 2h or 1h30m, found "${text}"`);
  }
  return ms;
}

/**
 * Keep a failed run's cluster until `now + keepMs`, capped by its TTL: the target's TTL guard is
 * brought forward to that deadline where it can be, so the nodes end it even if nobody does; a node
 * the target could not reach is named, with the TTL that still ends it.
 * Returns the record as kept and the lines telling the user how to look at it and end it.
 */
export async function keepFailedCluster(
  record: RunRecord,
  keepMs: number,
  now = new Date(),
): Promise<{ readonly record: RunRecord; readonly lines: readonly string[] }> {
  const ttlEnd = new Date(record.expiresAt);
  const asked = new Date(now.getTime() + keepMs);
  let until = asked < ttlEnd ? asked : ttlEnd;
  const target = await loadTarget(record.target);
  let unreached: readonly string[] = [];
  // A master whose guard cannot be moved throws: the run then destroys the cluster instead.
  if (target.endClusterBy) unreached = (await target.endClusterBy(record, until)).unreached;
  else until = ttlEnd;
  const capped = until.getTime() < asked.getTime() ? ` (capped by the cluster's TTL)` : "";
  const id = record.runId;
  return {
    record: { ...record, kept: true, expiresAt: until.toISOString() },
    lines: [
      `cluster kept after the failure until ${until.toISOString()}${capped}; its TTL guard ends it then`,
      `  a shell on the master:  ${burstCommand(`ssh ${id}`)}   (one command: ${burstCommand(`ssh ${id} -- <command>`)})`,
      `  the job's Spark UI:     ${burstCommand(`ui ${id}`)}`,
      `  end it now:             ${burstCommand(`down ${id}`)}`,
      // Their own TTL guard still ends them; `down` (or `gc` once the keep is over) ends them sooner.
      ...unreached.map(
        (node) =>
          `  not reached: ${node}; that node runs until the TTL, ${ttlEnd.toISOString()}, unless you end it now`,
      ),
    ],
  };
}
