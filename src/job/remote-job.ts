import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { shellQuote } from "../../stacks/shared/spark-conf.ts";
import { badInput, infraError } from "../errors.ts";
import type { RemoteNode } from "../remote/ssh.ts";
import { LineSplitter } from "../util/lines.ts";
import type { ResolvedCode } from "./code.ts";
import type { JobLaunch } from "./command.ts";

const runJobScript = fileURLToPath(new URL("./run-job.sh", import.meta.url));
const installPydepsScript = fileURLToPath(new URL("./install-pydeps.sh", import.meta.url));

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

  /** Start one attempt of a step, detached from this SSH session. `attempt` names its folder. */
  async launch(launch: JobLaunch, attempt: string): Promise<void> {
    const q = shellQuote;
    const dir = `${this.jobDir}/attempts/${attempt}`;
    this.attemptDir = dir;
    await this.node.check(`mkdir -p ${q(dir)}`, "preparing the attempt folder");
    const argv = `${launch.argv.join("\0")}\0`;
    const envFile = Object.entries(launch.env)
      .map(([name, value]) => `export ${name}=${q(value)}`)
      .join("\n");
    await this.node.putFile(runJobScript, `${dir}/run-job.sh`);
    await this.writeFile(`${dir}/argv`, argv);
    await this.writeFile(`${dir}/job.env`, `${envFile}\n`);
    // `;` not `&&`: with `cd && cmd &` the whole list is backgrounded in a subshell that keeps
    // this SSH channel open until the job ends.
    await this.node.check(
      `cd ${q(dir)} || exit 1; setsid nohup bash run-job.sh ${q(dir)} ${q(this.workDir)} ${q(this.cwd)} ` +
        "</dev/null >/dev/null 2>&1 &",
      "starting the job",
    );
    const pidFile = q(`${dir}/pid`);
    const started = await this.node.check(
      `for _ in $(seq 100); do [ -s ${pidFile} ] && cat ${pidFile} && exit 0; sleep 0.05; done; exit 1`,
      "waiting for the job to start",
    );
    this.pid = Number.parseInt(started.trim(), 10);
    if (!Number.isInteger(this.pid)) throw infraError(`could not start the job: "${started.trim()}"`);
  }

  /**
   * Stream the job's stdout and stderr until it ends, resuming at the same byte after a dropped
   * connection. Stops the job on timeout or abort.
   */
  async follow(options: FollowOptions): Promise<JobOutcome> {
    const pid = this.requirePid();
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
        await Promise.all(
          (["stdout", "stderr"] as const).map((stream) => this.tail(stream, pid, offsets, splitters[stream])),
        );
        if (this.node.isConnected && !(await this.isRunning(pid))) break;
        reconnects++;
        await options.reconnect();
      }
      // The job has ended: whatever a failed or cut tail did not deliver is read once more from
      // where it stopped, so a short job's output is never lost to a channel that did not open.
      await Promise.all(
        (["stdout", "stderr"] as const).map((stream) => this.drain(stream, offsets, splitters[stream])),
      );
      return { exitCode: await this.exitCode(), timedOut, interrupted, reconnects };
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
    const group = `-${this.pid}`;
    await this.node.exec(
      `kill -TERM -- ${group} 2>/dev/null; for _ in $(seq 100); do kill -0 -- ${group} 2>/dev/null || exit 0; sleep 0.1; done; kill -KILL -- ${group} 2>/dev/null; true`,
    );
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

  private async tail(
    stream: LogStream,
    pid: number,
    offsets: Record<LogStream, number>,
    splitter: LineSplitter,
  ): Promise<void> {
    const file = `${this.requireAttemptDir()}/${stream}.log`;
    // tail --pid waits for a watcher that ends with the job: a job that has exited but was not yet
    // reaped (an orphan's zombie, until init gets to it) still counts as alive for tail itself.
    const watcher = `( while ${jobAlive(pid)}; do sleep 0.2; done ) & watcher=$!; `;
    await this.node
      // stdbuf: tail block-buffers into a pipe, which would hold lines back until the job ends.
      .exec(
        `${watcher}stdbuf -o0 tail -c +${offsets[stream] + 1} -s 0.2 --pid="$watcher" -F ${shellQuote(file)} 2>/dev/null; ` +
          `kill "$watcher" 2>/dev/null; true`,
        {
          // Both files are read through tail's stdout.
          onStdout: (chunk: Buffer) => {
            offsets[stream] += chunk.length;
            splitter.push(chunk);
          },
        },
      )
      .catch(() => undefined); // a dropped connection: the caller reconnects and resumes
  }

  private async drain(stream: LogStream, offsets: Record<LogStream, number>, splitter: LineSplitter): Promise<void> {
    const file = `${this.requireAttemptDir()}/${stream}.log`;
    await this.node
      .exec(`tail -c +${offsets[stream] + 1} ${shellQuote(file)} 2>/dev/null; true`, {
        onStdout: (chunk: Buffer) => {
          offsets[stream] += chunk.length;
          splitter.push(chunk);
        },
      })
      .catch(() => undefined); // the collected copy of the logs still has every line
  }

  private async isRunning(pid: number): Promise<boolean> {
    return (await this.node.exec(jobAlive(pid))).code === 0;
  }

  private async exitCode(): Promise<number | null> {
    const result = await this.node.exec(`cat ${shellQuote(`${this.requireAttemptDir()}/exit_code`)} 2>/dev/null`);
    const code = Number.parseInt(result.stdout.trim(), 10);
    return Number.isInteger(code) ? code : null;
  }

  async exists(kind: "f" | "d", path: string): Promise<boolean> {
    return (await this.node.exec(`test -${kind} ${shellQuote(path)}`)).code === 0;
  }

  private async writeFile(path: string, content: string): Promise<void> {
    const written = await this.node.exec(`umask 077 && cat > ${shellQuote(path)}`, { stdin: content });
    if (written.code !== 0) throw infraError(`could not write ${path} on the master: ${written.stderr.trim()}`);
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

/** Shell test: true while process `pid` runs. An exited process not yet reaped (state Z) has ended. */
function jobAlive(pid: number): string {
  return `grep -qv ') Z ' /proc/${pid}/stat 2>/dev/null`;
}
