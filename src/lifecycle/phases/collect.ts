import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describeError, infraError } from "../../errors.ts";
import { decommissionedExecutors } from "../../job/decommissions.ts";
import { describeSpec } from "../../runspec/describe.ts";
import { parseS3Uri } from "../../storage/s3.ts";
import { redactText } from "../../util/redact.ts";
import type { Outcome } from "../events.ts";
import { buildManifest, type PhaseTiming } from "../manifest.ts";
import type { ConnectedRun, JobProgress, RunScope } from "../run-state.ts";
import type { StepsResult } from "../steps.ts";

export interface CollectInput {
  readonly version: string;
  readonly outcome: Outcome;
  readonly exitCode: number;
  readonly timings: readonly PhaseTiming[];
}

/** collect: logs of every attempt, the event log and declared outputs, with the manifest, to S3. */
export async function collect(
  scope: RunScope,
  run: ConnectedRun,
  progress: JobProgress,
  input: CollectInput,
): Promise<void> {
  const { spec, runDir, store, resultsUri } = run;
  const { sink } = scope;
  const localDir = join(runDir, "results");
  const collected = await progress.job
    .collect(localDir, progress.attempts, spec.outputs)
    .catch(async (error: unknown) => {
      if (!/ENOSPC|no space left/i.test(describeError(error))) throw error;
      // Logs come first and are kept; the outputs' partial copy goes, so destroy can write its state.
      await rm(join(localDir, "outputs"), { recursive: true, force: true });
      throw infraError(`no space left on the disk holding ${localDir} while collecting the job's outputs`, {
        hint: `the logs that fit are kept in ${join(localDir, "logs")}; free space under BURST_HOME and rerun`,
        cause: error,
      });
    });
  for (const missing of collected.missingOutputs) {
    sink({ type: "warning", message: `declared output ${missing} was not produced by the job` });
  }
  const interruptedWorkers = await decommissionedExecutors(join(localDir, "logs", "eventlog"));
  for (const worker of interruptedWorkers) {
    sink({
      type: "warning",
      message: `worker ${worker.host} was interrupted (spot notice) and decommissioned at ${worker.at}; its executor ${worker.executorId} left gracefully`,
    });
  }
  const manifest = buildManifest({
    version: input.version,
    runId: run.runId,
    owner: scope.runOwner,
    spec,
    resolvedSpec: describeSpec(spec),
    code: run.code,
    params: run.params,
    outputs: run.outputs,
    phases: input.timings,
    startedAt: scope.started,
    outcome: input.outcome,
    exitCode: input.exitCode,
    jobExitCode: lastExitCode(progress.steps),
    steps: progress.steps,
    costUsd: run.prepared.costUsd,
    resultsUri,
    files: [...collected.logs, ...collected.outputs].map((file) => file.slice(localDir.length + 1)),
    missingOutputs: collected.missingOutputs,
    interruptedWorkers,
  });
  await writeFile(join(localDir, "manifest.json"), redactText(`${JSON.stringify(manifest, null, 2)}\n`, scope.secrets));
  try {
    await store.uploadPath(localDir, parseS3Uri(resultsUri));
  } catch (error) {
    throw infraError(`results were not uploaded to ${resultsUri}: ${describeError(error)}`, {
      hint: `they are kept in ${localDir}`,
      cause: error,
    });
  }
  sink({ type: "results", uri: resultsUri, localDir, browse: run.prepared.view.browse(resultsUri) });
}

function lastExitCode(steps: StepsResult | undefined): number | null {
  const all = [...(steps?.steps ?? [])];
  const last = all[all.length - 1]?.attempts;
  return last?.[last.length - 1]?.exitCode ?? null;
}
