// Running the real `burst` CLI in tests, on throwaway git repos and a throwaway BURST_HOME that
// shares the machine's runtime cache (Spark, S3 server), and checking nothing is left behind.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { mkdir, mkdtemp, readdir, symlink, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RunResult, run, type Started, start } from "../../src/util/exec.ts";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const cliEntry = join(repoRoot, "scripts", "burst.ts");
/** The same CLI with test seams given to main() (test/helpers/seamed-cli.ts): used when a test sets a BURST_TEST_* seam variable. */
const seamedEntry = join(repoRoot, "test", "helpers", "seamed-cli.ts");
const entryFor = (options: CliOptions): string =>
  Object.entries(options.env ?? {}).some(
    ([name, value]) => /^BURST_TEST_(SIGNAL|HOLD|CRASH|TIMEOUT|S3)_/.test(name) && value,
  )
    ? seamedEntry
    : cliEntry;

/** A BURST_HOME of its own per test file, with the shared runtime cache linked in. */
export async function tempBurstHome(): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), "burst-home-"));
  const sharedCache = join(process.env.BURST_HOME || join(homedir(), ".burst"), "cache");
  await mkdir(sharedCache, { recursive: true });
  await symlink(sharedCache, join(home, "cache"));
  return home;
}

export interface CliOptions {
  readonly burstHome: string;
  readonly env?: Record<string, string | undefined>;
  readonly timeoutMs?: number;
  readonly onLine?: (line: string, stream: "stdout" | "stderr") => void;
}

function cliEnv(options: CliOptions): Record<string, string | undefined> {
  return { BURST_HOME: options.burstHome, NO_COLOR: "1", CONSUL_HTTP_ADDR: undefined, ...options.env };
}

/** Run `burst <args>` to completion. */
export function burst(args: readonly string[], options: CliOptions): Promise<RunResult> {
  return run(process.execPath, ["--import", "tsx", entryFor(options), ...args], {
    cwd: repoRoot,
    env: cliEnv(options),
    timeoutMs: options.timeoutMs ?? 600_000,
    onLine: options.onLine,
  });
}

/** Start `burst <args>` without waiting (to signal it mid-run). */
export function startBurst(args: readonly string[], options: CliOptions): Started {
  return start(process.execPath, ["--import", "tsx", entryFor(options), ...args], {
    cwd: repoRoot,
    env: cliEnv(options),
    timeoutMs: options.timeoutMs ?? 600_000,
    onLine: options.onLine,
  });
}

/** A git repository with these files committed; returns its folder and HEAD commit. */
export async function makeRepo(files: Record<string, string>): Promise<{ dir: string; sha: string }> {
  const dir = await mkdtemp(join(tmpdir(), "burst-repo-"));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  const git = (args: string[]) =>
    run("git", ["-c", "user.email=test@burst", "-c", "user.name=burst-test", ...args], { cwd: dir, check: true });
  await git(["init", "--quiet", "--initial-branch=main"]);
  await git(["add", "-A"]);
  await git(["commit", "--quiet", "-m", "job code"]);
  const sha = (await git(["rev-parse", "HEAD"])).stdout.trim();
  return { dir, sha };
}

/** Write a spec file into its own folder and return its path. */
export async function writeSpec(yaml: string, extraFiles: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "burst-spec-"));
  for (const [path, content] of Object.entries(extraFiles)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  const file = join(dir, "spark.yml");
  await writeFile(file, yaml);
  return file;
}

/** A shell job's repository and its spec on a local cluster without workers, results under s3://<bucket>/runs/. */
export async function shellJobSpec(name: string, files: Record<string, string>, bucket: string): Promise<string> {
  const repo = await makeRepo(files);
  return writeSpec(`name: ${name}
code: { repo: ${repo.dir} }
job: { type: shell, entrypoint: job.sh }
cluster: { workers: 0 }
results: s3://${bucket}/runs/
`);
}

/** Newline-delimited JSON events from `--json` stdout; fails on any non-JSON line. */
export function parseEvents(stdout: string): Record<string, unknown>[] {
  return stdout
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        return assert.fail(`--json stdout has a line that is not JSON: ${line}`);
      }
    });
}

/** The run-end event among a run's events (fails when there is none). */
export function runEndOf(events: readonly Record<string, unknown>[]): Record<string, unknown> {
  const end = events.find((event) => event.type === "run-end");
  assert.ok(end, "a run-end event");
  return end;
}

/** The text of every event of one type: a job-log's line, an info's or warning's message. */
export function eventTexts(events: readonly Record<string, unknown>[], type: string): string[] {
  return events.filter((event) => event.type === type).map((event) => String(event.line ?? event.message));
}

/** The only run folder under a BURST_HOME (tests make one run per home unless told otherwise). */
export async function runDirs(burstHome: string): Promise<string[]> {
  const root = join(burstHome, "runs");
  if (!existsSync(root)) return [];
  return (await readdir(root)).map((entry) => join(root, entry));
}

/**
 * Ports the run's stack used (from the synthesized stack), for checking they are free again. A run
 * with a record got through synth, so its stack must exist and name ports; a run without one
 * never synthesized a stack and bound nothing.
 */
export function stackPorts(runDir: string): number[] {
  const stackFile = join(runDir, "stack", "stacks", "cluster", "cdk.tf.json");
  if (!existsSync(join(runDir, "run.json"))) {
    assert.equal(existsSync(stackFile), false, `${runDir} has a stack but no record`);
    return [];
  }
  assert.ok(existsSync(stackFile), `${runDir} has a record but no synthesized stack`);
  const text = readFileSync(stackFile, "utf8");
  const ports = [
    ...text.matchAll(/"(?:S3_PORT|SSH_PORT|MASTER_PORT|MASTER_UI_PORT|WORKER_PORT|WORKER_UI_PORT)": "(\d+)"/g),
  ].map((match) => Number(match[1]));
  assert.ok(ports.length >= 3, `the stack of ${runDir} names the S3, SSH and master ports (found ${ports.join(", ")})`);
  return ports;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** No process, listening port or state lock of this run may remain. */
export async function assertNoLeftovers(runDir: string): Promise<void> {
  // A leftover is a process that stays: one caught in the few milliseconds it lives (an SSH
  // command that was starting as the cluster went down) gets up to 5 s to end by itself.
  let processes: string[] = [];
  for (const deadline = Date.now() + 5000; ; ) {
    processes = runProcesses(runDir).map((found) => `${found.pid} (cwd ${found.cwd}): ${found.args}`);
    if (processes.length === 0 || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  assert.deepEqual(processes, [], `processes of ${runDir} are still running`);
  for (const port of stackPorts(runDir)) {
    assert.equal(await portOpen(port), false, `port ${port} of ${runDir} is still listening`);
  }
  const lock = join(runDir, "stack", "stacks", "cluster", ".terraform.tfstate.lock.info");
  assert.equal(existsSync(lock), false, "terraform state lock left behind");
}

export interface RunProcess {
  readonly pid: number;
  readonly args: string;
  readonly cwd: string;
  /** NAME=value entries of /proc/<pid>/environ. */
  readonly environ: readonly string[];
}

/**
 * Live processes of a run, found by the run's own markers: the run folder in the working
 * folder, the command line or the environment, or a process group named by a node's pid file
 * (nodes/<node>/<daemon>.pid). `exclude` leaves out pids (the CLI itself).
 */
export function runProcesses(runDir: string, exclude: readonly number[] = []): RunProcess[] {
  const groups = new Set(nodePidFiles(runDir).map((file) => readFileSync(file, "utf8").trim()));
  const found: RunProcess[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!/^\d+$/.test(entry) || pid === process.pid || exclude.includes(pid)) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      const args = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ").trim();
      const environ = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0").filter(Boolean);
      // The process group: the field after the parenthesised command name in /proc/<pid>/stat.
      const group =
        readFileSync(`/proc/${entry}/stat`, "utf8")
          .replace(/^.*\) /s, "")
          .split(" ")[2] ?? "";
      const marked = cwd.startsWith(runDir) || args.includes(runDir) || environ.some((line) => line.includes(runDir));
      if (marked || groups.has(group)) {
        found.push({ pid, args, cwd, environ });
      }
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** The pid files of the run's node daemons. */
function nodePidFiles(runDir: string): string[] {
  const nodes = join(runDir, "nodes");
  if (!existsSync(nodes)) return [];
  return readdirSync(nodes).flatMap((node) => {
    const dir = join(nodes, node);
    try {
      return readdirSync(dir)
        .filter((name) => name.endsWith(".pid"))
        .map((name) => join(dir, name));
    } catch {
      return [];
    }
  });
}
