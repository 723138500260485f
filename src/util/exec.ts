// Child processes, the one way burst runs them: streamed lines, bounded capture, a timeout,
// cancellation through an AbortSignal, and no orphans.
//
// Each child is started in its own process group (detached), so a timeout or an abort kills
// the whole tree it spawned (spark-submit -> java, go install -> compile, bash -> ...), not
// just the top process. Children still running when this Node process exits are killed too
// (process "exit" hook). A SIGINT/SIGTERM handler that calls process.exit() therefore cleans up;
// a `kill -9` of Node cannot be caught by anyone.

import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";
import { LineSplitter } from "./lines.ts";
import { shellQuote } from "./shell.ts";

export type StreamName = "stdout" | "stderr";

export interface RunOptions {
  readonly cwd?: string;
  /** Added to (and overriding) the parent environment; a value of `undefined` removes the variable. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Use exactly `env` as the child's environment instead of merging it onto process.env. */
  readonly replaceEnv?: boolean;
  /** Called for every complete line (without the newline) as it arrives; a final partial line is flushed at exit. */
  readonly onLine?: (line: string, stream: StreamName) => void;
  /** Kill the process group after this many milliseconds (SIGTERM, then SIGKILL after `killGraceMs`). */
  readonly timeoutMs?: number;
  /** Aborting kills the process group the same way. */
  readonly signal?: AbortSignal;
  /** Written to stdin, which is then closed. Without it stdin is /dev/null. */
  readonly input?: string | Buffer;
  /** Keep at most this many characters of each stream (the tail). Default 8 MiB. */
  readonly maxCapture?: number;
  /** Time between SIGTERM and SIGKILL. Default 5 s. */
  readonly killGraceMs?: number;
  /** Reject with CommandError when the exit code is not 0 (or the process was killed). */
  readonly check?: boolean;
}

export interface RunResult {
  /** Exit code; null when the process ended on a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly aborted: boolean;
  readonly durationMs: number;
}

/** A command that could not be started, or (with `check`) ended badly. */
export class CommandError extends Error {
  readonly command: string;
  readonly result?: RunResult;
  /** "ENOENT" when the executable does not exist. */
  readonly code?: string;

  constructor(message: string, command: string, options: { result?: RunResult; code?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "CommandError";
    this.command = command;
    this.result = options.result;
    this.code = options.code;
  }
}

export interface Started {
  readonly child: ChildProcess;
  readonly pid: number | undefined;
  /** Settles when the process has exited and its output is drained. */
  readonly done: Promise<RunResult>;
  /** SIGTERM the process group, SIGKILL after the grace period; resolves when it is gone. */
  stop(signal?: NodeJS.Signals): Promise<RunResult>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of live) killGroup(child, "SIGKILL");
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  // Signal the group even when the leader has exited: members of its group may remain.
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/** Render a command for messages: `cmd 'arg with space'`. */
export function formatCommand(cmd: string, args: readonly string[] = []): string {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : shellQuote(a))).join(" ");
}

class Capture {
  private parts: string[] = [];
  private size = 0;
  constructor(private readonly max: number) {}
  push(text: string): void {
    this.parts.push(text);
    this.size += text.length;
    if (this.size > this.max * 2) this.compact();
  }
  private compact(): void {
    const all = this.parts.join("");
    const kept = all.slice(-this.max);
    this.parts = [kept];
    this.size = kept.length;
  }
  toString(): string {
    this.compact();
    return this.parts[0] ?? "";
  }
}

/** Start a command without waiting for it: for servers and daemons that tests or stacks stop later. */
export function start(cmd: string, args: readonly string[] = [], options: RunOptions = {}): Started {
  installExitHook();
  const command = formatCommand(cmd, args);
  const began = Date.now();
  const env = options.replaceEnv ? { ...options.env } : { ...process.env, ...options.env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];

  const child = spawn(cmd, args, {
    cwd: options.cwd,
    env: env as NodeJS.ProcessEnv,
    stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    detached: true,
  });
  live.add(child);

  const max = options.maxCapture ?? 8 * 1024 * 1024;
  const out = new Capture(max);
  const err = new Capture(max);
  let timedOut = false;
  let aborted = false;
  let killTimer: NodeJS.Timeout | undefined;

  const terminate = (signal: NodeJS.Signals = "SIGTERM") => {
    killGroup(child, signal);
    if (signal !== "SIGKILL" && killTimer === undefined) {
      killTimer = setTimeout(() => killGroup(child, "SIGKILL"), options.killGraceMs ?? 5000);
      killTimer.unref();
    }
  };

  const wire = (stream: NodeJS.ReadableStream | null, name: StreamName, capture: Capture) => {
    if (!stream) return;
    const lines = new LineSplitter((line) => options.onLine?.(line, name));
    stream.on("data", (chunk: Buffer) => capture.push(lines.push(chunk)));
    stream.on("end", () => {
      const rest = lines.flush();
      if (rest) capture.push(rest);
    });
  };
  wire(child.stdout, "stdout", out);
  wire(child.stderr, "stderr", err);

  if (options.input !== undefined && child.stdin) {
    child.stdin.on("error", () => {}); // EPIPE when the child does not read its input
    child.stdin.end(options.input);
  }

  let timer: NodeJS.Timeout | undefined;
  if (options.timeoutMs !== undefined && options.timeoutMs > 0) {
    timer = setTimeout(() => {
      timedOut = true;
      terminate();
    }, options.timeoutMs);
  }
  const onAbort = () => {
    aborted = true;
    terminate();
  };
  if (options.signal) {
    if (options.signal.aborted) onAbort();
    else options.signal.addEventListener("abort", onAbort, { once: true });
  }

  const done = new Promise<RunResult>((resolve, reject) => {
    let spawnError: (Error & { code?: string }) | undefined;
    child.on("error", (e: Error & { code?: string }) => {
      spawnError = e;
    });
    // "close" fires after "exit" once stdio is drained; with a failed spawn it still fires.
    child.on("close", (code, signal) => {
      live.delete(child);
      if (timer) clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      options.signal?.removeEventListener("abort", onAbort);
      // Sweep the group: a daemonised grandchild must not outlive a timed-out or aborted run.
      if (timedOut || aborted) killGroup(child, "SIGKILL");
      // A failed spawn has no pid and "closes" with a negative errno as its code.
      if (spawnError && (child.pid === undefined || (code === null && signal === null))) {
        const missing = spawnError.code === "ENOENT";
        reject(
          new CommandError(missing ? `${cmd}: command not found` : `${command}: ${spawnError.message}`, command, {
            code: spawnError.code,
            cause: spawnError,
          }),
        );
        return;
      }
      const result: RunResult = {
        code,
        signal,
        stdout: out.toString(),
        stderr: err.toString(),
        timedOut,
        aborted,
        durationMs: Date.now() - began,
      };
      if (options.check && (code !== 0 || timedOut || aborted)) {
        reject(
          new CommandError(describeFailure(command, result), command, {
            result,
          }),
        );
        return;
      }
      resolve(result);
    });
  });

  return {
    child,
    pid: child.pid,
    done,
    stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) terminate(signal);
      return done.catch((e: unknown) => {
        if (e instanceof CommandError && e.result) return e.result;
        throw e;
      });
    },
  };
}

/** Run a command to completion. Rejects only when it cannot be started (or, with `check`, when it fails). */
export function run(cmd: string, args: readonly string[] = [], options: RunOptions = {}): Promise<RunResult> {
  return start(cmd, args, options).done;
}

/** Run and throw CommandError unless the exit code is 0. */
export function runChecked(cmd: string, args: readonly string[] = [], options: RunOptions = {}): Promise<RunResult> {
  return run(cmd, args, { ...options, check: true });
}

/** One-line summary of a failed run, with the last lines of stderr (or stdout). */
export function describeFailure(command: string, result: RunResult, tailLines = 15): string {
  const how = result.timedOut
    ? "timed out"
    : result.aborted
      ? "was cancelled"
      : result.code !== null
        ? `exited with code ${result.code}`
        : `was killed by ${result.signal}`;
  const text = (result.stderr.trim() || result.stdout.trim()).split("\n").slice(-tailLines).join("\n");
  return text ? `${command} ${how}:\n${text}` : `${command} ${how}`;
}

/** Absolute path of an executable: a path is checked as is, a bare name is looked up on PATH. */
export function which(name: string, path = process.env.PATH ?? ""): string | undefined {
  const isExec = (p: string) => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (name.includes("/")) {
    const p = isAbsolute(name) ? name : join(process.cwd(), name);
    return isExec(p) ? p : undefined;
  }
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    if (isExec(p)) return p;
  }
  return undefined;
}
