import { existsSync, readFileSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { badInput, infraError } from "../errors.ts";
import type { RemoteNode } from "../remote/ssh.ts";
import { LineSplitter } from "../util/lines.ts";
import { shellQuote } from "../util/shell.ts";
import type { ResolvedCode } from "./code.ts";
import type { JobLaunch } from "./command.ts";

const runJobScript = fileURLToPath(new URL("./run-job.sh", import.meta.url));
const installPydepsScript = fileURLToPath(new URL("./install-pydeps.sh", import.meta.url));

/**
 * The job protocol's scripts, real files beside this one (shellchecked): each travels whole in the
 * command that runs it (`bash -c <script> <name> <args>`), so it needs nothing left on the master
 * and costs no extra round trip. None of their arguments is a secret.
 */
const protocol = {
  launch: protocolScript("launch-job.sh"),
  follow: protocolScript("follow-log.sh"),
  read: protocolScript("read-log.sh"),
  exitCode: protocolScript("job-exit-code.sh"),
  stop: protocolScript("stop-job.sh"),
};

function protocolScript(name: string): (...args: readonly (string | number)[]) => string {
  const text = readFileSync(fileURLToPath(new URL(`./${name}`, import.meta.url)), "utf8");
  return (...args) => `bash -c ${shellQuote(text)} ${name} ${args.map((arg) => shellQuote(String(arg))).join(" ")}`;
}

export interface PythonDependencies {
  /** A pip requirements file, relative to the repository root. */
  readonly requirementsFile?: string;
  /** Single requirements (dependencies.pip). */
  readonly packages: readonly string[];
  /** A folder on the master that outlives the run, to reuse a set installed before; absent: install every run. */
  readonly cacheRoot?: string;
  /** Name of the pseudo-attempt folder pip's output is logged under. */
  readonly logFolder: string;
}

export type PythonDependenciesResult =
  | { readonly ok: true; readonly folder: string; readonly reused: boolean }
  | { readonly ok: false; readonly exitCode: number | null; readonly tail: string };

export type LogStream = "stdout" | "stderr";

export interface FollowOptions {
  readonly onLine: (stream: LogStream, line: string) => void;
  /** Stop the job after this long (0 = no limit). */
  readonly timeoutMs: number;
  /** Aborting stops the job (Ctrl-C). */
  readonly signal?: AbortSignal;
  /** Called when the connection dropped; must reconnect the node or throw. */
  readonly reconnect: () => Promise<void>;
}

export interface JobOutcome {
  /** The job's exit code; null when it was killed without reporting one. */
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly interrupted: boolean;
  /** How many times the log stream was resumed after a dropped connection. */
  readonly reconnects: number;
}

export interface CollectedFiles {
  readonly logs: readonly string[];
  readonly outputs: readonly string[];
  /** Declared outputs the job did not produce. */
  readonly missingOutputs: readonly string[];
}

/**
 * One job on the master: its code, its process and its logs. The same for every target: all it
 * needs is an SSH connection and the node's work folder.
 */
export class RemoteJob {
  private pid?: number;
  /** Folder of the current attempt: its command, logs and exit code. */
  private attemptDir?: string;
  private readonly jobDir: string;
  private readonly codeDir: string;

  constructor(
    private readonly node: RemoteNode,
    private readonly workDir: string,
    private readonly subdirectory: string,
  ) {
    this.jobDir = `${workDir}/job`;
    this.codeDir = `${this.jobDir}/code`;
  }

  /** Where the code is checked out; dependency paths are relative to it. */
  get repoDir(): string {
    return this.codeDir;
  }

  get cwd(): string {
    return this.subdirectory ? `${this.codeDir}/${this.subdirectory}` : this.codeDir;
  }

  /** Put the code at the resolved commit into the job folder; returns the SHA checked out. */
  async stageCode(code: ResolvedCode, bundlePath?: string): Promise<string> {
    const q = shellQuote;
    await this.node.check(`rm -rf ${q(this.jobDir)} && mkdir -p ${q(this.jobDir)}`, "preparing the job folder");
    let source: string;
    if (code.source.kind === "local") {
      if (!bundlePath) throw new Error("a local repository needs its bundle");
      source = `${this.jobDir}/code.bundle`;
      await this.node.putFile(bundlePath, source);
    } else {
      source = code.source.url;
    }
    const clone = await this.node.exec(
      `GIT_TERMINAL_PROMPT=0 git clone --quiet --no-checkout ${q(source)} ${q(this.codeDir)} 2>&1 && ` +
        `git -C ${q(this.codeDir)} checkout --quiet --detach ${q(code.sha)} 2>&1 && git -C ${q(this.codeDir)} rev-parse HEAD`,
    );
    if (clone.code !== 0) {
      // The URL may carry credentials: report the redacted repo, never git's own message.
      throw infraError(`could not check out ${code.displayRepo} at ${code.sha.slice(0, 12)} on the master`, {
        hint: "is the commit pushed, and can the master reach the repository?",
      });
    }
    const sha = clone.stdout.trim().split("\n").pop() ?? "";
    await this.node.exec(`rm -f ${q(`${this.jobDir}/code.bundle`)}`);
    return sha;
  }

  /** Fails with exit 2 when the entrypoint is not in the checked-out code. */
  async checkEntrypoint(entrypoint: string): Promise<void> {
    const path = `${this.cwd}/${entrypoint}`;
    const found = await this.node.exec(`test -f ${shellQuote(path)}`);
    if (found.code !== 0) {
      throw badInput(`${entrypoint} does not exist in the job's code (looked for ${path} on the master)`, {
        keyPath: "job.entrypoint",
      });
    }
  }

  /**
   * Install the job's Python dependencies (a requirements file relative to the repo and single
   * requirements) into a folder on the master that the driver finds on PYTHONPATH, zipped beside
   * it as <folder>.zip for executors on every node (jobLaunch ships it with spark.archives).
   * With `cacheRoot`, a set installed by an earlier run is reused. pip's whole output goes to
   * attempts/<logFolder>/stdout.log, which `collect` keeps with the run's logs.
   */
  async installPythonDependencies(options: PythonDependencies): Promise<PythonDependenciesResult> {
    const q = shellQuote;
    const logDir = `${this.jobDir}/attempts/${options.logFolder}`;
    const log = `${logDir}/stdout.log`;
    await this.node.check(`mkdir -p ${q(logDir)}`, "preparing the dependencies log folder");
    const script = `${this.jobDir}/install-pydeps.sh`;
    await this.node.putFile(installPydepsScript, script);
    const requirements = options.requirementsFile ? `${this.codeDir}/${options.requirementsFile}` : "";
    const argv = [
      this.workDir,
      `${this.jobDir}/pydeps`,
      log,
      options.cacheRoot ?? "",
      requirements,
      ...options.packages,
    ];
    const installed = await this.node.exec(`bash ${q(script)} ${argv.map(q).join(" ")}`);
    const done = /^(installed|reused) (.+)$/.exec(installed.stdout.trim().split("\n").pop() ?? "");
    if (installed.code === 0 && done?.[2]) return { ok: true, folder: done[2], reused: done[1] === "reused" };
    const output = await this.node.exec(`tail -n 15 ${q(log)} 2>/dev/null`);
    return { ok: false, exitCode: installed.code, tail: `${output.stdout}${installed.stderr}`.trim() };
  }

  /**
   * Start one attempt of a step, detached from this SSH session, in one SSH command: the runner,
   * the command and its environment travel on stdin (they may hold secrets, so never in a command
   * line). `attempt` names its folder.
   */
  async launch(launch: JobLaunch, attempt: string): Promise<void> {
    const q = shellQuote;
    const dir = `${this.jobDir}/attempts/${attempt}`;
    this.attemptDir = dir;
    const files = {
      "run-job.sh": await readFile(runJobScript),
      argv: Buffer.from(`${launch.argv.join("\0")}\0`),
      "job.env": Buffer.from(
        `${Object.entries(launch.env)
          .map(([name, value]) => `export ${name}=${q(value)}`)
          .join("\n")}\n`,
      ),
    };
    // One base64 line per file, in launch-job.sh's order.
    const stdin = `${Object.values(files)
      .map((content) => content.toString("base64"))
      .join("\n")}\n`;
    const started = await this.node.exec(protocol.launch(dir, this.workDir, this.cwd), { stdin });
    this.pid = Number.parseInt(started.stdout.trim(), 10);
    if (started.code !== 0 || !Number.isInteger(this.pid)) {
      throw infraError(
        `could not start the job (exit ${started.code}): ${started.stderr.trim() || started.stdout.trim()}`,
      );
    }
  }

  /**
   * Stream the job's stdout and stderr until it ends, resuming at the same byte after a dropped
   * connection. The end is an event, not a poll: every command here blocks on the attempt's lock,
   * which the job's runner holds until it exits. Stops the job on timeout or abort.
   */
  async follow(options: FollowOptions): Promise<JobOutcome> {
    this.requirePid();
    const offsets: Record<LogStream, number> = { stdout: 0, stderr: 0 };
    let timedOut = false;
    let interrupted = false;
    let reconnects = 0;
    const stopJob = (reason: "timeout" | "interrupt") => {
      if (reason === "timeout") timedOut = true;
      else interrupted = true;
      void this.stop().catch(() => {});
    };
    // One splitter per stream for the whole job: a line cut by a dropped connection is completed
    // by the resumed stream, not emitted as two.
    const splitters: Record<LogStream, LineSplitter> = {
      stdout: new LineSplitter((line) => options.onLine("stdout", line)),
      stderr: new LineSplitter((line) => options.onLine("stderr", line)),
    };
    const timer = options.timeoutMs > 0 ? setTimeout(() => stopJob("timeout"), options.timeoutMs) : undefined;
    const onAbort = () => stopJob("interrupt");
    options.signal?.addEventListener("abort", onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    try {
      for (;;) {
        // The end, and both logs to the end, each on its own channel of the one connection.
        const [ended, ...tailed] = await Promise.all([
          this.waitForEnd(),
          ...(["stdout", "stderr"] as const).map((stream) => this.tail(stream, offsets, splitters[stream])),
        ]);
        if (ended) {
          // A tail that did not run to the job's end (a channel that did not open) is read once
          // more from where it stopped, so a short job's output is never lost.
          await Promise.all(
            (["stdout", "stderr"] as const)
              .filter((_, index) => !tailed[index])
              .map((stream) => this.drain(stream, offsets, splitters[stream])),
          );
          return { exitCode: ended.exitCode, timedOut, interrupted, reconnects };
        }
        reconnects++;
        await options.reconnect();
      }
    } finally {
      splitters.stdout.flush();
      splitters.stderr.flush();
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
    }
  }

  /** Stop the job's whole process group: TERM, then KILL after a grace period. */
  async stop(): Promise<void> {
    if (this.pid === undefined || !this.node.isConnected) return;
    await this.node.exec(protocol.stop(this.pid));
  }

  /**
   * Copy every attempt's logs (logs/<attempt>/stdout.log, stderr.log), the Spark event logs and
   * the declared outputs into `localDir`.
   */
  async collect(localDir: string, attempts: readonly string[], outputs: readonly string[]): Promise<CollectedFiles> {
    const logs: string[] = [];
    const collected: string[] = [];
    const missingOutputs: string[] = [];
    const logsDir = join(localDir, "logs");
    await mkdir(logsDir, { recursive: true });
    for (const attempt of attempts) {
      for (const name of ["stdout.log", "stderr.log"]) {
        const remote = `${this.jobDir}/attempts/${attempt}/${name}`;
        if (!(await this.exists("f", remote))) continue;
        const local = join(logsDir, attempt, name);
        await mkdir(dirname(local), { recursive: true });
        await this.node.getFile(remote, local);
        logs.push(local);
      }
    }
    if (await this.exists("d", `${this.workDir}/eventlog`)) {
      await this.node.getDirectory(`${this.workDir}/eventlog`, join(logsDir, "eventlog"));
      logs.push(join(logsDir, "eventlog"));
    }
    for (const output of outputs) {
      const remote = `${this.cwd}/${output}`;
      const local = join(localDir, "outputs", normalize(output));
      await mkdir(dirname(local), { recursive: true });
      if (await this.exists("d", remote)) await this.node.getDirectory(remote, local);
      else if (await this.exists("f", remote)) await this.node.getFile(remote, local);
      else {
        missingOutputs.push(output);
        continue;
      }
      if (existsSync(local)) collected.push(local);
    }
    return { logs, outputs: collected, missingOutputs };
  }

  /**
   * Copy one log to `splitter` from its offset until the job has ended and the log is read to its
   * end; true when it got that far, false when the channel failed or dropped.
   */
  private async tail(stream: LogStream, offsets: Record<LogStream, number>, splitter: LineSplitter): Promise<boolean> {
    const command = protocol.follow(this.requireAttemptDir(), stream, offsets[stream]);
    try {
      const result = await this.node.exec(command, { onStdout: logReader(stream, offsets, splitter) });
      return result.code === 0;
    } catch {
      return false; // a dropped connection: the caller reconnects and resumes
    }
  }

  private async drain(stream: LogStream, offsets: Record<LogStream, number>, splitter: LineSplitter): Promise<void> {
    await this.node
      .exec(protocol.read(this.requireAttemptDir(), stream, offsets[stream]), {
        onStdout: logReader(stream, offsets, splitter),
      })
      .catch(() => undefined); // the collected copy of the logs still has every line
  }

  /**
   * Blocks until the job's runner has exited, then reads the exit code it wrote; undefined when
   * the connection dropped first.
   */
  private async waitForEnd(): Promise<{ exitCode: number | null } | undefined> {
    const result = await this.node.exec(protocol.exitCode(this.requireAttemptDir())).catch(() => undefined);
    const ended = /^ended ?(\d*)$/m.exec(result?.stdout ?? "");
    if (!ended) return undefined;
    const code = Number.parseInt(ended[1] ?? "", 10);
    return { exitCode: Number.isInteger(code) ? code : null };
  }

  async exists(kind: "f" | "d", path: string): Promise<boolean> {
    return (await this.node.exec(`test -${kind} ${shellQuote(path)}`)).code === 0;
  }

  private requireAttemptDir(): string {
    if (this.attemptDir === undefined) throw new Error("the job has not been launched");
    return this.attemptDir;
  }

  private requirePid(): number {
    if (this.pid === undefined) throw new Error("the job has not been launched");
    return this.pid;
  }
}

/** Feeds a log's bytes to its splitter and records how far it was read, for a resumed read. */
function logReader(stream: LogStream, offsets: Record<LogStream, number>, splitter: LineSplitter) {
  return (chunk: Buffer) => {
    offsets[stream] += chunk.length;
    splitter.push(chunk);
  };
}
