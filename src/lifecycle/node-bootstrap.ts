// What a node's console says about its bootstrap: the node role (stacks/shared/node/role.sh)
// prints "burst-step: <node> <step>", then "burst-ready: <node>", or on failure its last log
// lines as "burst-log: <node> <line>" and "burst-failed: <node> <step> (exit N)". The same
// reading on every target: EC2's console output on aws, a container's console in the tests.

import { BurstError, infraError } from "../errors.ts";
import { sleep } from "../util/concurrency.ts";

export type BootstrapState =
  | { readonly kind: "booting"; readonly step?: string }
  | { readonly kind: "ready" }
  | { readonly kind: "failed"; readonly step: string; readonly logTail: readonly string[] };

/** One node's console: its name for messages and how to read it ("" while there is none yet). */
export interface NodeConsole {
  readonly node: string;
  read(): Promise<string>;
}

/** What the target tells a user whose nodes failed or were late to boot (where the log is, what to fix). */
export interface NodeBootHints {
  /** For a node that reported failed, from the last lines of its bootstrap log. */
  failed(logTail: readonly string[]): string | undefined;
  /** For nodes still booting at the deadline. */
  readonly late?: string;
}

/** The bootstrap state a console shows (kernel noise and other lines are ignored). */
export function bootstrapState(consoleText: string): BootstrapState {
  let step: string | undefined;
  const logTail: string[] = [];
  for (const raw of consoleText.split(/\r?\n/)) {
    // Console colour codes (ESC [ ... m) would split a marker from its text.
    const line = raw.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g"), "");
    const at = (prefix: string) => {
      const index = line.indexOf(prefix);
      // "<prefix> <node> <rest>": the rest, without the node's name.
      return index < 0 ? undefined : line.slice(index + prefix.length).replace(/^\s*\S+\s?/, "");
    };
    const failed = at("burst-failed:");
    if (failed !== undefined) return { kind: "failed", step: failed.trim(), logTail };
    if (at("burst-ready:") !== undefined) return { kind: "ready" };
    const log = at("burst-log:");
    if (log !== undefined) logTail.push(log);
    const next = at("burst-step:");
    if (next !== undefined) step = next.trim();
  }
  return { kind: "booting", step };
}

/**
 * How often the consoles are read while the nodes boot: every second for a small cluster (a node
 * that is ready is seen at most a second later), slower as nodes are added so the reads stay at
 * about 4 a second (EC2 refills its bucket of read-only API calls at 20 a second, per account),
 * and never slower than every 5 s (about 20 reads a second from 100 nodes on).
 */
export function consolePollMs(nodes: number): number {
  return Math.min(5000, Math.max(1000, nodes * 250));
}

export interface BootstrapWaitOptions {
  readonly timeoutMs: number;
  /** Default: consolePollMs(the number of consoles). */
  readonly pollMs?: number;
  readonly signal?: AbortSignal;
  /** Called when a node moves to another step ("worker-1: install-spark"). */
  readonly onProgress?: (node: string, step: string) => void;
  /** The target's hints for a failed or late boot; absent: the message alone. */
  readonly hints?: NodeBootHints;
}

/**
 * Waits until every node reports ready; fails as soon as one reports failed, naming it with the
 * last lines of its bootstrap log, or at the deadline with the step each late node is at.
 */
export async function waitForBootstrap(consoles: readonly NodeConsole[], options: BootstrapWaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const states = new Map<string, BootstrapState>();
  for (;;) {
    if (options.signal?.aborted) throw new BurstError("interrupted", "interrupted while the nodes were booting");
    await Promise.all(
      consoles.map(async ({ node, read }) => {
        if (states.get(node)?.kind === "ready") return;
        const state = bootstrapState(await read().catch(() => ""));
        const before = states.get(node);
        states.set(node, state);
        if (state.kind === "booting" && state.step && (before?.kind !== "booting" || before.step !== state.step)) {
          options.onProgress?.(node, state.step);
        }
      }),
    );
    for (const [node, state] of states) {
      if (state.kind === "failed") {
        throw infraError(
          `node ${node} failed its bootstrap at step ${state.step}; last lines of its bootstrap log:\n` +
            state.logTail.map((line) => `  ${line}`).join("\n"),
          { hint: options.hints?.failed(state.logTail) },
        );
      }
    }
    if ([...states.values()].filter((state) => state.kind === "ready").length === consoles.length) return;
    if (Date.now() > deadline) break;
    // A signal ends the wait at once; the loop's first line then says the run was interrupted.
    await sleep(options.pollMs ?? consolePollMs(consoles.length), options.signal);
  }
  const late = [...states].filter(([, state]) => state.kind === "booting");
  throw infraError(
    `the nodes did not finish booting within ${duration(options.timeoutMs)}: ` +
      late.map(([node, state]) => `${node} at ${state.kind === "booting" ? (state.step ?? "boot") : ""}`).join(", "),
    { hint: options.hints?.late },
  );
}

function duration(ms: number): string {
  return ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`;
}
