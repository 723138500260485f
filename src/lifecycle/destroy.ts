import { existsSync } from "node:fs";
import { join } from "node:path";
import { burstCommand } from "../commands.ts";
import { describeError, infraError } from "../errors.ts";
import { loadTarget } from "../targets/index.ts";
import type { EventSink } from "./events.ts";
import type { RunRecord } from "./run-record.ts";

export interface DestroyOptions {
  readonly sink: EventSink;
  /** Values terraform's output must not show (the run's secrets, when the caller knows them). */
  readonly secrets?: readonly string[];
  /** Writes the record once destroyed (the run folder's run.json, and the shared registry). */
  readonly save: (record: RunRecord) => Promise<void>;
}

/**
 * The one destroy of a run's cluster: by the run's own teardown, `burst down`, `burst gc` and the
 * crash guard. The run's target destroys the stack from its recorded folder and state, then the
 * record says it is gone. Safe to repeat; a run that never synthesized a stack has nothing to destroy.
 */
export async function destroyCluster(record: RunRecord, options: DestroyOptions): Promise<RunRecord> {
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
  }
  const destroyed: RunRecord = { ...record, destroyed: true, kept: false };
  await options.save(destroyed);
  return destroyed;
}
