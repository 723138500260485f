// The commands an install runs (pip, go, a version probe): a failure becomes an infrastructure
// error with a hint, and a long silent step shows life in the log.

import { infraError } from "../errors.ts";
import { describeFailure, formatCommand, type RunResult, run } from "../util/exec.ts";

export type Log = (line: string) => void;

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Log "still <what> (N s)" every `everyMs` until stopped: long silent steps (pip, go) show life. */
export function heartbeat(log: Log, what: string | (() => string), everyMs = 15_000): () => void {
  const began = Date.now();
  const describe = typeof what === "string" ? () => what : what;
  const t = setInterval(() => log(`  still ${describe()} (${seconds(Date.now() - began)})`), everyMs);
  t.unref();
  return () => clearInterval(t);
}

/** Run a command that must succeed: a spawn failure, a non-zero exit or a timeout is an infraError naming `what`. */
export async function mustRun(
  cmd: string,
  args: string[],
  opts: Parameters<typeof run>[2] & { what: string; hint?: string },
): Promise<RunResult> {
  let result: RunResult;
  try {
    result = await run(cmd, args, opts);
  } catch (e) {
    throw infraError(`${opts.what}: ${(e as Error).message}`, {
      hint: opts.hint,
      cause: e,
    });
  }
  if (result.code !== 0 || result.timedOut) {
    throw infraError(`${opts.what} failed: ${describeFailure(formatCommand(cmd, args), result)}`, { hint: opts.hint });
  }
  return result;
}
