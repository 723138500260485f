import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeError } from "../../errors.ts";
import { describeSpec } from "../../runspec/describe.ts";
import { enforceCostLimit } from "../cost-limit.ts";
import { newRunId } from "../run-record.ts";
import type { RunScope, SynthesizedRun, ValidatedRun } from "../run-state.ts";
import { prepareAndSynth, runIdentity } from "./synth.ts";

/** A dry run: prepare and synthesize in a scratch folder, show the plan; nothing lasting. */
export async function plan(scope: RunScope, run: ValidatedRun): Promise<void> {
  const scratch = await mkdtemp(join(tmpdir(), "burst-plan-"));
  scope.owner.own("the dry run's scratch folder", () => rm(scratch, { recursive: true, force: true }));
  try {
    const runId = newRunId();
    const identity = runIdentity(runId, scope, run, new Date());
    const synthesized = await prepareAndSynth(scope, run, { runId, runDir: scratch, identity }, "plan");
    scope.sink({ type: "plan", costUsd: synthesized.prepared.costUsd, lines: planLines(run, synthesized) });
    enforceCostLimit(run.spec, synthesized.prepared);
  } finally {
    await scope.owner.release((what, error) =>
      scope.sink({ type: "warning", message: `${what}: ${describeError(error)}` }),
    );
  }
}

/** The dry run's plan lines: the resolved spec, the code's commit, what would be provisioned, the cost. */
export function planLines(run: ValidatedRun, synthesized: SynthesizedRun): string[] {
  const { spec, code } = run;
  const { prepared, synth } = synthesized;
  const cost = prepared.costUsd === undefined ? "unknown" : `$${prepared.costUsd.toFixed(2)}`;
  return [
    "# resolved spec",
    describeSpec(spec).trimEnd(),
    "",
    "# plan (dry run: nothing is provisioned)",
    `code: ${code.displayRepo} @ ${code.ref} → ${code.sha}`,
    ...prepared.view.plan,
    `stack: ${synth.resourceCount} resources`,
    `estimated cost: ${cost}${spec.maxCostUsd === undefined ? "" : ` (limit $${spec.maxCostUsd.toFixed(2)})`}`,
  ];
}
