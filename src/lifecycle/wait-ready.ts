import type { ClusterOutputs } from "../../stacks/contract.ts";
import { BurstError, infraError } from "../errors.ts";
import type { RemoteNode } from "../remote/ssh.ts";
import { sleep } from "../util/concurrency.ts";
import { shellQuote } from "../util/shell.ts";

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly pollMs?: number;
}

/**
 * Wait until `workers` workers are ALIVE in the Spark master's status. Asked from the master
 * itself over SSH, so it is the same check on every target whatever the network in between.
 */
export async function waitForWorkers(
  node: RemoteNode,
  outputs: ClusterOutputs,
  workers: number,
  options: WaitOptions,
): Promise<number> {
  const deadline = Date.now() + options.timeoutMs;
  const url = `${outputs.uiUrl.replace(/\/$/, "")}/json/`;
  let alive = 0;
  let masterSeen = false;
  for (;;) {
    if (options.signal?.aborted) throw new BurstError("interrupted", "interrupted while waiting for the cluster");
    const status = await node.exec(`curl -sf --max-time 5 ${shellQuote(url)}`);
    if (status.code === 0) {
      masterSeen = true;
      alive = aliveWorkers(status.stdout);
      if (alive >= workers) return alive;
    }
    if (Date.now() > deadline) break;
    // A signal ends the wait at once; the loop's first line then says the run was interrupted.
    await sleep(options.pollMs ?? 500, options.signal);
  }
  throw infraError(
    masterSeen
      ? `only ${alive} of ${workers} Spark workers registered with the master within ${options.timeoutMs / 1000}s`
      : `the Spark master did not answer at ${url} within ${options.timeoutMs / 1000}s`,
    { hint: "node logs are in the run folder (nodes/*/) on the local target, or the instances' console on aws" },
  );
}

function aliveWorkers(json: string): number {
  try {
    const status = JSON.parse(json) as { aliveworkers?: number; workers?: { state?: string }[] };
    if (typeof status.aliveworkers === "number") return status.aliveworkers;
    return (status.workers ?? []).filter((worker) => worker.state === "ALIVE").length;
  } catch {
    return 0;
  }
}
