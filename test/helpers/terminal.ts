// The real `burst` CLI on a real pseudo-terminal (util-linux `script`), for what only happens on a
// terminal: the confirmation prompt and colours. What the test types goes through the terminal's
// line discipline, as a user's keys would (Ctrl-C included).
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { which } from "../../src/util/exec.ts";
import { shellQuote } from "../../src/util/shell.ts";
import { repoRoot } from "./burst.ts";

export interface Terminal {
  /** Everything the terminal showed so far (stdout and stderr of the CLI, echo included). */
  output(): string;
  /** The same without colour escape sequences. */
  plainOutput(): string;
  /** Type `keys` at the terminal. */
  type(keys: string): void;
  /** Resolves when `pattern` has been shown (rejects after `timeoutMs`). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** The CLI's exit code (script -e passes it on). */
  readonly exited: Promise<number | null>;
  readonly child: ChildProcess;
}

const colourEscape = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

/** Start `burst <args>` on a fresh pseudo-terminal; fails with directions when `script` is missing. */
export function burstInTerminal(
  args: readonly string[],
  options: { burstHome: string; env?: Record<string, string | undefined> },
): Terminal {
  if (!which("script"))
    throw new Error("`script` (util-linux) is needed for the terminal tests: apt-get install util-linux");
  const command = [process.execPath, "--import", "tsx", join(repoRoot, "scripts", "burst.ts"), ...args]
    .map(shellQuote)
    .join(" ");
  const env: Record<string, string | undefined> = {
    ...process.env,
    BURST_HOME: options.burstHome,
    CONSUL_HTTP_ADDR: undefined,
    // A terminal shows colour unless told not to; CI (set on CI machines) turns it off too.
    NO_COLOR: undefined,
    CI: undefined,
    TERM: "xterm",
    ...options.env,
  };
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name];
  const child = spawn("script", ["-q", "-e", "-f", "-c", command, "/dev/null"], {
    cwd: repoRoot,
    env: env as NodeJS.ProcessEnv,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let shown = "";
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    shown += chunk.toString("utf8");
    for (const waiter of waiters) waiter();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return {
    child,
    exited,
    output: () => shown,
    plainOutput: () => shown.replace(colourEscape, ""),
    type: (keys) => {
      child.stdin?.write(keys);
    },
    waitFor: (pattern, timeoutMs = 120_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!pattern.test(shown)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`the terminal did not show ${pattern} within ${timeoutMs} ms; it showed:\n${shown}`));
        }, timeoutMs);
        waiters.add(check);
        void exited.then(() => {
          if (waiters.has(check)) {
            clearTimeout(timer);
            waiters.delete(check);
            if (pattern.test(shown)) resolve();
            else reject(new Error(`the CLI exited before showing ${pattern}; it showed:\n${shown}`));
          }
        });
        check();
      }),
  };
}
