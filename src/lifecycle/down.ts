import { existsSync } from "node:fs";
import { join } from "node:path";
import { badInput, infraError } from "../errors.ts";
import { cacheRoot } from "../home.ts";
import { loadTarget } from "../targets/index.ts";
import { TerraformDriver } from "../terraform/driver.ts";
import { providerInstallation } from "../terraform/provider-installation.ts";
import type { EventSink } from "./events.ts";
import { registryFromEnv } from "./registry.ts";
import { ownerAlive, type RunRecord, readRecord, runsRoot, writeRecord } from "./run-record.ts";

/** The record of `runId`, or a bad-input error that says how to find run ids. */
export async function findRun(burstHome: string, runId: string): Promise<RunRecord> {
  const runDir = join(runsRoot(burstHome), runId);
  const record = /^[\w.-]+$/.test(runId) ? await readRecord(runDir) : undefined;
  if (!record) {
    throw badInput(`no run "${runId}" on this machine`, { hint: "list runs with: npm run burst -- list" });
  }
  return record;
}

/**
 * Destroy a run's cluster from its recorded state: after --keep, a crashed or killed CLI, or a
 * destroy that failed. Safe to repeat.
 */
export async function destroyRun(record: RunRecord, sink: EventSink): Promise<RunRecord> {
  if (ownerAlive(record) && record.pid !== process.pid && !record.destroyed && !record.outcome) {
    throw badInput(`run ${record.runId} is still being driven by process ${record.pid}`, {
      hint: `stop that process first (kill ${record.pid}); it destroys its cluster itself`,
    });
  }
  if (!existsSync(record.stackDir)) {
    return await save({ ...record, destroyed: true });
  }
  const driver = new TerraformDriver({
    binary: record.terraformBinary,
    stackDir: record.stackDir,
    scratchDir: record.runDir,
    installation: providerInstallation(process.env, cacheRoot()),
    providerEnv: (await loadTarget(record.target)).terraformEnv,
  });
  const began = Date.now();
  sink({ type: "phase-start", phase: "destroy" });
  try {
    await driver.destroy((event) => sink({ type: "terraform", phase: "destroy", event }));
    const left = await driver.resourceCount();
    if (left > 0) throw infraError(`${left} resources are still in the state after destroy`);
  } catch (error) {
    sink({
      type: "phase-end",
      phase: "destroy",
      seconds: (Date.now() - began) / 1000,
      ok: false,
      error: String(error),
    });
    throw error;
  }
  sink({ type: "phase-end", phase: "destroy", seconds: (Date.now() - began) / 1000, ok: true });
  return await save({ ...record, destroyed: true, kept: false });
}

async function save(record: RunRecord): Promise<RunRecord> {
  await writeRecord(record);
  // Best effort: the shared registry should not show a destroyed cluster as up.
  await registryFromEnv(process.env)
    ?.publish(record)
    .catch(() => {});
  return record;
}
