import { join } from "node:path";
import type { ConnectedRun, JobProgress, RunScope } from "../run-state.ts";
import { runSteps, type StepsResult } from "../steps.ts";

/** run: the spec's steps on the cluster; a failed or interrupted step fails the phase. */
export async function run(
  scope: RunScope,
  cluster: ConnectedRun,
  progress: JobProgress,
  timeoutSeconds: number | undefined,
): Promise<StepsResult> {
  const { sink, interrupts } = scope;
  progress.started = true;
  const steps = await runSteps({
    job: progress.job,
    spec: cluster.spec,
    runId: cluster.runId,
    sparkMasterUrl: cluster.outputs.sparkMasterUrl,
    resultsUri: cluster.resultsUri,
    deps: progress.deps,
    sink,
    signal: interrupts.signal,
    interruptedBy: () => interrupts.received(),
    logsDir: join(cluster.runDir, "logs"),
    reconnect: async () => {
      sink({ type: "warning", message: "SSH connection to the master dropped; reconnecting" });
      await cluster.node.open({ waitMs: 60_000, signal: interrupts.signal });
    },
    onAttempt: (folder) => progress.attempts.push(folder),
    timeoutSeconds,
  });
  progress.steps = steps;
  if (steps.failure) throw steps.failure;
  return steps;
}
