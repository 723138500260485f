import { existsSync } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { burstCommand } from "../commands.ts";
import { describeError, infraError } from "../errors.ts";
import type { Params } from "../params/types.ts";
import type { ActualCost, Target } from "../targets/contract.ts";
import { loadTarget } from "../targets/index.ts";
import type { EventSink } from "./events.ts";
import type { RunRecord } from "./run-record.ts";

export interface DestroyOptions {
  readonly sink: EventSink;
  /** Values terraform's output must not show (the run's secrets, when the caller knows them). */
  readonly secrets?: readonly string[];
  /** Writes the record once destroyed (the run folder's run.json, and the shared registry). */
  readonly save: (record: RunRecord) => Promise<void>;
  /** The run's parameters, when the caller has them (the run's own teardown): where the target asks for its nodes' lifetimes. */
  readonly params?: Params;
}

/**
 * The one destroy of a run's cluster: by the run's own teardown, `burst down`, `burst gc` and the
 * crash guard. The run's target destroys the stack from its recorded folder and state, then the
 * record says it is gone. Safe to repeat; a run that never synthesized a stack has nothing to destroy.
 */
export async function destroyCluster(record: RunRecord, options: DestroyOptions): Promise<RunRecord> {
  let actualCost: ActualCost | undefined;
  if (existsSync(record.stackDir)) {
    const target = await loadTarget(record.target);
    try {
      await target.destroy(
        {
          stackDir: record.stackDir,
          runDir: record.runDir,
          terraformBinary: record.terraformBinary,
          secrets: options.secrets,
          logFile: join(record.runDir, "terraform.log"),
        },
        (event) => options.sink({ type: "terraform", phase: "destroy", event }),
      );
    } catch (error) {
      throw infraError(`destroy failed: ${describeError(error)}`, {
        hint: `the cluster may still be running; retry with: ${burstCommand(`down ${record.runId}`)}`,
        cause: error,
      });
    }
    actualCost = await costOf(target, record, options);
  }
  const destroyed: RunRecord = { ...record, destroyed: true, kept: false, ...(actualCost ? { actualCost } : {}) };
  await options.save(destroyed);
  return destroyed;
}

/**
 * What the destroyed cluster cost, from its nodes' lifetimes, told to the user and added to the
 * run's local manifest beside the estimate. A target that cannot tell costs a warning, never the run.
 */
async function costOf(target: Target, record: RunRecord, options: DestroyOptions): Promise<ActualCost | undefined> {
  if (!target.actualCost || !record.clusterStartedAt) return undefined;
  try {
    const cost = await target.actualCost({
      runId: record.runId,
      clusterStartedAt: new Date(record.clusterStartedAt),
      clusterEndedAt: new Date(),
      availabilityZone: record.placement?.availabilityZone,
      env: process.env,
      params: options.params,
    });
    const hours = cost.nodes.reduce((sum, node) => sum + node.hours, 0);
    const estimate = record.costEstimateUsd !== undefined ? `; estimated ${usd(record.costEstimateUsd)}` : "";
    const lower = cost.unpriced.length > 0 ? ` (at least: no price for ${cost.unpriced.join(", ")})` : "";
    options.sink({
      type: "info",
      message: `cost: ${usd(cost.totalUsd)}${lower} for ${cost.nodes.length} node(s), ${hours.toFixed(3)} node-hours${estimate}`,
    });
    const manifest = join(record.runDir, "results", "manifest.json");
    if (await addToManifest(manifest, cost)) await replaceInResults(target, record, manifest, options.sink);
    return cost;
  } catch (error) {
    options.sink({ type: "warning", message: `the run's actual cost is unknown: ${describeError(error)}` });
    return undefined;
  }
}

/** The local copy of the manifest gets the actual cost beside the estimate (the upload happened before destroy). */
async function addToManifest(file: string, cost: ActualCost): Promise<boolean> {
  if (!existsSync(file)) return false;
  const manifest = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
  await writeFile(`${file}.tmp`, `${JSON.stringify({ ...manifest, actualCost: cost }, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
  return true;
}

/** The results' copy too, where the target can replace it: best effort, a warning at worst. */
async function replaceInResults(target: Target, record: RunRecord, file: string, sink: EventSink): Promise<void> {
  if (!target.replaceResult) return;
  try {
    await target.replaceResult(record.resultsUri, "manifest.json", file, record.placement);
  } catch (error) {
    sink({
      type: "warning",
      message: `${record.resultsUri}manifest.json keeps the estimate only: ${describeError(error)}`,
    });
  }
}

function usd(amount: number): string {
  return `$${amount < 0.01 && amount > 0 ? amount.toFixed(4) : amount.toFixed(2)}`;
}
