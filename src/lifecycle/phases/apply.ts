import { BurstError, describeError } from "../../errors.ts";
import type { TerraformEvent } from "../../terraform/events.ts";
import type { LaunchableRun, RunScope } from "../run-state.ts";

/** Asked before launching anything that costs money; declining provisions nothing. */
export async function confirmLaunch(
  run: LaunchableRun,
  confirm: ((question: string) => Promise<boolean>) | undefined,
): Promise<void> {
  const cost = run.prepared.costUsd ?? 0;
  if (!confirm || cost <= 0) return;
  const question = `Launch ${run.spec.cluster.workers + 1} nodes on ${run.spec.target} (estimated $${cost.toFixed(2)})?`;
  if (!(await confirm(question))) {
    throw new BurstError("interrupted", "launch declined at the prompt; nothing was provisioned");
  }
}

/**
 * apply: from the moment terraform may create anything, the run owns the cluster (`ownCluster`
 * registers its release). A target may know another way to get capacity after a failed apply
 * (aws: other subnets, spot → on-demand).
 */
export async function apply(scope: RunScope, run: LaunchableRun, ownCluster: () => Promise<void>): Promise<void> {
  const { driver, prepared } = run;
  const { interrupts, sink } = scope;
  await driver.init(interrupts.signal);
  await ownCluster();
  const onEvent = (event: TerraformEvent) => sink({ type: "terraform", phase: "apply", event });
  // Apply is not cancelled, like destroy: terraform would kill the node scripts it is running
  // and taint their resources, and it runs no destroy-time provisioner for a tainted resource,
  // so what those scripts started would outlive destroy. A signal waits for apply, then destroys.
  const onSignal = () =>
    sink({ type: "warning", message: `${interrupts.received()}: letting apply finish, then destroying` });
  interrupts.signal.addEventListener("abort", onSignal, { once: true });
  try {
    for (;;) {
      try {
        await driver.apply(onEvent);
        return;
      } catch (error) {
        if (interrupts.signal.aborted || !(await prepared.retryAfterApplyFailure?.(describeError(error)))) throw error;
        sink({
          type: "warning",
          message: `apply failed for lack of capacity; applying again: ${describeError(error)}`,
        });
      }
    }
  } finally {
    interrupts.signal.removeEventListener("abort", onSignal);
  }
}
