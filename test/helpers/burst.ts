// Running the real `burst` CLI in tests, on throwaway git repos and a throwaway BURST_HOME that
// shares the machine's runtime cache (Spark, S3 server), and checking nothing is left behind.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { mkdir, mkdtemp, readdir, symlink, writeFile } from "node:fs/promises";
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
  return startBurst(args, options).done;
}

/** Start `burst <args>` without waiting (to signal it mid-run). */
export function startBurst(args: readonly string[], options: CliOptions): Started {
  const startedMs = Date.now();
  const started = start(process.execPath, ["--import", "tsx", entryFor(options), ...args], {
    cwd: repoRoot,
    env: cliEnv(options),
    timeoutMs: options.timeoutMs ?? 600_000,
    onLine: options.onLine,
  });
  // Synchronously, before the test's next step: what its runs left is judged at this moment.
  started.child.once("exit", () => recordLeftoversAtExit(options.burstHome, startedMs));
  return started;
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

const stackFileOf = (runDir: string): string => join(runDir, "stack", "stacks", "cluster", "cdk.tf.json");

/** The ports a synthesized stack gives its nodes (none when there is no stack). */
function portsOfStack(runDir: string): number[] {
  const stackFile = stackFileOf(runDir);
  if (!existsSync(stackFile)) return [];
  const text = readFileSync(stackFile, "utf8");
  return [
    ...text.matchAll(/"(?:S3_PORT|SSH_PORT|MASTER_PORT|MASTER_UI_PORT|WORKER_PORT|WORKER_UI_PORT)": "(\d+)"/g),
  ].map((match) => Number(match[1]));
}

/**
 * Ports the run's stack used (from the synthesized stack), for checking they are free again. A run
 * with a record got through synth, so its stack must exist and name ports; a run without one
 * never synthesized a stack and bound nothing.
 */
export function stackPorts(runDir: string): number[] {
  const stackFile = stackFileOf(runDir);
  if (!existsSync(join(runDir, "run.json"))) {
    assert.equal(existsSync(stackFile), false, `${runDir} has a stack but no record`);
    return [];
  }
  assert.ok(existsSync(stackFile), `${runDir} has a record but no synthesized stack`);
  const ports = portsOfStack(runDir);
  assert.ok(ports.length >= 3, `the stack of ${runDir} names the S3, SSH and master ports (found ${ports.join(", ")})`);
  return ports;
}

/** Local TCP ports something listens on now, from /proc/net/tcp{,6}: synchronous, so it can run in the CLI's exit handler. */
function listeningPorts(): Set<number> {
  const ports = new Set<number>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const [, local = "", , state = ""] = line.trim().split(/\s+/);
      if (state === "0A") ports.add(Number.parseInt(local.split(":").pop() ?? "", 16));
    }
  }
  return ports;
}

/** What was left of a run at one moment: its processes (sshd's per-connection ones apart) and its listening ports. */
interface Leftovers {
  readonly at: string;
  readonly processes: readonly string[];
  readonly ports: readonly number[];
}

function leftoversNow(runDir: string, at: string, ports: readonly number[]): Leftovers {
  const listening = listeningPorts();
  return {
    at,
    processes: runProcesses(runDir)
      .filter((found) => !found.sshSession)
      .map(describeProcess),
    ports: ports.filter((port) => listening.has(port)),
  };
}

const describeProcess = (found: RunProcess): string => `${found.pid} (cwd ${found.cwd}): ${found.args}`;

/** Leftovers of each run taken the moment a CLI that wrote its record (and destroyed its cluster) exited. */
const atCliExit = new Map<string, Leftovers>();

/**
 * Called from the CLI child's exit handler: every run whose record this CLI wrote and which says
 * its cluster is destroyed is looked at now, before anything had time to finish exiting.
 */
export function recordLeftoversAtExit(burstHome: string, cliStartedMs: number): void {
  const root = join(burstHome, "runs");
  if (!existsSync(root)) return;
  for (const entry of readdirSync(root)) {
    const runDir = join(root, entry);
    try {
      const record = join(runDir, "run.json");
      if (statSync(record).mtimeMs < cliStartedMs) continue;
      if ((JSON.parse(readFileSync(record, "utf8")) as { destroyed?: unknown }).destroyed !== true) continue;
      atCliExit.set(runDir, leftoversNow(runDir, "when the CLI exited", portsOfStack(runDir)));
    } catch {
      // a record being rewritten or a run folder being removed: the check at assertion time still runs
    }
  }
}

/** sshd's per-connection processes end on their own once the node's sshd is stopped; this long at most. */
export const sshSessionGraceMs = 5_000;

/**
 * No process, listening port or state lock of this run may remain. Daemons, the job, the S3
 * server, the TTL guard and ports are checked as they were the moment the CLI that destroyed the
 * cluster exited (when the run was driven through `burst()`/`startBurst()`), and again now, with
 * no grace: a teardown that returns before its daemons are gone fails here. Only sshd's
 * per-connection processes (and what runs under them) get a bounded grace to end, which is
 * asserted too.
 */
export async function assertNoLeftovers(
  runDir: string,
  { sshSessionGraceMs: graceMs = sshSessionGraceMs } = {},
): Promise<void> {
  const ports = stackPorts(runDir);
  const checks = [atCliExit.get(runDir), leftoversNow(runDir, "when checked", ports)];
  for (const leftovers of checks) {
    if (!leftovers) continue;
    assert.deepEqual(leftovers.processes, [], `processes of ${runDir} were still running ${leftovers.at}`);
    assert.deepEqual(leftovers.ports, [], `ports of ${runDir} were still listening ${leftovers.at}`);
  }
  const lock = join(runDir, "stack", "stacks", "cluster", ".terraform.tfstate.lock.info");
  assert.equal(existsSync(lock), false, "terraform state lock left behind");
  let sessions = runProcesses(runDir).filter((found) => found.sshSession);
  for (const deadline = Date.now() + graceMs; sessions.length > 0 && Date.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    sessions = runProcesses(runDir).filter((found) => found.sshSession);
  }
  assert.deepEqual(
    sessions.map(describeProcess),
    [],
    `sshd session processes of ${runDir} outlived the ${graceMs} ms grace after the node's sshd stopped`,
  );
}

export interface RunProcess {
  readonly pid: number;
  readonly args: string;
  readonly cwd: string;
  /** NAME=value entries of /proc/<pid>/environ. */
  readonly environ: readonly string[];
  /** One of sshd's per-connection processes, or a process running under one (an SSH command). */
  readonly sshSession: boolean;
}

/** A per-connection sshd ("sshd: <user> [priv]", "sshd: <user>@notty"), not a node's listening sshd. */
const sshSessionTitle = /^sshd: \S+(?: \[(?:priv|net|accepted)\]|@)/;

interface ProcEntry {
  readonly pid: number;
  readonly ppid: number;
  readonly group: string;
  readonly args: string;
}

/** Every process's parent, group and command line, to tell an SSH command from a daemon. */
function procTable(): Map<number, ProcEntry> {
  const table = new Map<number, ProcEntry>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The fields after the parenthesised command name in /proc/<pid>/stat: state, ppid, pgrp.
      const [, ppid = "0", group = ""] = readFileSync(`/proc/${entry}/stat`, "utf8")
        .replace(/^.*\) /s, "")
        .split(" ");
      const args = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ").trim();
      table.set(Number(entry), { pid: Number(entry), ppid: Number(ppid), group, args });
    } catch {
      // gone meanwhile
    }
  }
  return table;
}

function underSshSession(pid: number, table: ReadonlyMap<number, ProcEntry>): boolean {
  for (let at = table.get(pid), hops = 0; at && hops < 64; at = table.get(at.ppid), hops++) {
    if (sshSessionTitle.test(at.args)) return true;
  }
  return false;
}

/**
 * Live processes of a run, found by the run's own markers: the run folder in the working
 * folder, the command line or the environment, or a process group named by a node's pid file
 * (nodes/<node>/<daemon>.pid). `exclude` leaves out pids (the CLI itself).
 */
export function runProcesses(runDir: string, exclude: readonly number[] = []): RunProcess[] {
  const groups = new Set(nodePidFiles(runDir).map((file) => readFileSync(file, "utf8").trim()));
  const table = procTable();
  const found: RunProcess[] = [];
  for (const { pid, group, args } of table.values()) {
    if (pid === process.pid || exclude.includes(pid)) continue;
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      const environ = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean);
      const marked = cwd.startsWith(runDir) || args.includes(runDir) || environ.some((line) => line.includes(runDir));
      if (marked || groups.has(group)) {
        found.push({ pid, args, cwd, environ, sshSession: underSshSession(pid, table) });
      }
    } catch {
      // gone meanwhile (a zombie has no cwd: it holds no port or file, and counts as gone)
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
