import { describeError } from "../../errors.ts";
import { RemoteNode } from "../../remote/ssh.ts";
import { ObjectStore } from "../../storage/s3.ts";
import { readClusterOutputs } from "../../targets/contract.ts";
import { waitForBootstrap } from "../node-bootstrap.ts";
import type { ConnectedRun, LaunchableRun, RunScope } from "../run-state.ts";
import { waitForWorkers } from "../wait-ready.ts";

/** wait-ready: outputs, secrets to the nodes, their bootstrap, SSH to the master, workers registered. */
export async function waitReady(
  scope: RunScope,
  run: LaunchableRun,
  readyTimeoutMs: number | undefined,
): Promise<ConnectedRun> {
  const { prepared, spec } = run;
  const { sink, interrupts, owner } = scope;
  const signal = interrupts.signal;
  const outputs = readClusterOutputs(await run.driver.outputs());
  if (outputs.placement) {
    await scope.journal.update({ placement: outputs.placement });
    const { availabilityZone, subnetId } = outputs.placement;
    sink({ type: "info", message: `cluster placed in ${availabilityZone} (subnet ${subnetId})` });
  }
  const endpoint = await prepared.sshEndpoint(outputs, signal);
  await scope.journal.update({ master: { ...endpoint, workDir: outputs.workDir } });
  // The nodes wait for these before starting Spark (stacks/shared/node/role.sh, await-secret).
  await prepared.deliverSecrets?.(outputs, signal);
  const timeoutMs = readyTimeoutMs ?? prepared.readyTimeoutMs ?? 180_000;
  const consoles = prepared.nodeConsoles?.(outputs);
  if (consoles !== undefined) {
    await waitForBootstrap(consoles, {
      timeoutMs,
      signal,
      onProgress: (node, step) => sink({ type: "info", message: `${node}: ${step}` }),
      hints: prepared.nodeBootHints,
    });
  }
  const node = await RemoteNode.connect(endpoint, { waitMs: 60_000, signal });
  owner.own("the SSH connection to the master", () => node.dispose());
  await waitForWorkers(node, outputs, spec.cluster.workers, { timeoutMs, signal });
  const access = (await scope.seams?.objectStore?.(prepared.objectStore)) ?? prepared.objectStore;
  const store = new ObjectStore(access, {
    attempts: 5,
    firstDelayMs: 1000,
    onRetry: (attempt, error, delayMs) =>
      sink({ type: "warning", message: `S3: ${describeError(error)}; retry ${attempt} in ${delayMs / 1000}s` }),
  });
  owner.own("the S3 client", () => store.destroy());
  return { ...run, outputs, node, store };
}
