import { join } from "node:path";
import { burstCommand } from "../commands.ts";
import { badInput } from "../errors.ts";
import { destroyCluster } from "./destroy.ts";
import type { EventSink } from "./events.ts";
import { registryFromEnv } from "./registry.ts";
import { ownerAlive, type RunRecord, readRecord, runsRoot, writeRecord } from "./run-record.ts";

/** The record of `runId`, or a bad-input error that says how to find run ids. */
export async function findRun(burstHome: string, runId: string): Promise<RunRecord> {
  const runDir = join(runsRoot(burstHome), runId);
  const record = /^[\w.-]+$/.test(runId) ? await readRecord(runDir) : undefined;
  if (!record) {
    throw badInput(`no run "${runId}" on this machine`, { hint: `list runs with: ${burstCommand("list")}` });
  }
  return record;
}

/**
 * Destroy a run's cluster from its recorded state, for `burst down` and `burst gc`: after --keep,
 * a crashed or killed CLI, or a destroy that failed. Safe to repeat. Refuses a run another live
 * CLI is still driving (that CLI destroys it itself).
 */
export async function destroyRun(record: RunRecord, sink: EventSink): Promise<RunRecord> {
  if (ownerAlive(record) && record.pid !== process.pid && !record.destroyed && !record.outcome) {
    throw badInput(`run ${record.runId} is still being driven by process ${record.pid}`, {
      hint: `stop that process first (kill ${record.pid}); it destroys its cluster itself`,
    });
  }
  const began = Date.now();
  sink({ type: "phase-start", phase: "destroy" });
  try {
    const destroyed = await destroyCluster(record, { sink, save: saveEverywhere });
    sink({ type: "phase-end", phase: "destroy", seconds: (Date.now() - began) / 1000, ok: true });
    return destroyed;
  } catch (error) {
    const seconds = (Date.now() - began) / 1000;
    sink({ type: "phase-end", phase: "destroy", seconds, ok: false, error: String(error) });
    throw error;
  }
}

/** run.json, and best effort the shared registry: it should not show a destroyed cluster as up. */
async function saveEverywhere(record: RunRecord): Promise<void> {
  await writeRecord(record);
  await registryFromEnv(process.env)
    ?.publish(record)
    .catch(() => {});
}
