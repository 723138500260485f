// A local burst against the same trivial PySpark job run by hand on bare Spark daemons: start a
// master and one worker with spark-class, wait for the worker, spark-submit, stop both. Same
// Spark install, same worker size; the runs alternate so machine noise hits both sides alike.

import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureSpark, type SparkRuntime } from "../../src/targets/local/runtime.ts";
import { run, type Started, start } from "../../src/util/exec.ts";
import { freePorts } from "../../src/util/ports.ts";
import { type Sample, sample } from "./stats.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
// What `npm run burst` runs: the compiled CLI (rebuilt first if a source changed).
const cliEntry = join(repoRoot, "scripts", "run.mjs");
const sparkVersion = "3.5.3";
/** What a local burst worker offers by default (config/local.yml). */
const workerCores = "1";
const workerMemory = "1g";

const trivialJob = `from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("trivial").getOrCreate()
print(f"count: {spark.range(1000).count()}")
spark.stop()
`;

export interface OverheadResult {
  readonly bareSeconds: Sample;
  readonly burstSeconds: Sample;
  /** burst median / bare median. */
  readonly ratio: number;
  /** Median seconds per burst phase (from --json phase-end events), plus "cli" (start-up and gaps). */
  readonly burstPhases: Readonly<Record<string, number>>;
  /** Median seconds per step of the bare run. */
  readonly barePhases: Readonly<Record<string, number>>;
  /**
   * Milliseconds the login shell of an SSH command takes to start on this machine (bash reads
   * ~/.bashrc for commands run by sshd); every command burst runs on the master pays it.
   */
  readonly sshShellMs: number;
}

export async function measureLocalOverhead(repetitions: number, log: (line: string) => void): Promise<OverheadResult> {
  const spark = await ensureSpark(sparkVersion, () => {});
  const scratch = await mkdtemp(join(tmpdir(), "burst-bench-overhead-"));
  try {
    const jobFile = join(scratch, "repo", "trivial.py");
    await mkdir(join(scratch, "repo"));
    await writeFile(jobFile, trivialJob);
    await gitCommit(join(scratch, "repo"));
    const spec = join(scratch, "spark.yml");
    await writeFile(
      spec,
      `name: bench-trivial
target: local
code: { repo: ${join(scratch, "repo")} }
job: { type: pyspark, entrypoint: trivial.py }
cluster: { workers: 1 }
results: s3://bench-results/runs/
`,
    );
    const burstHome = join(scratch, "home");
    await mkdir(burstHome);
    await symlink(
      join(process.env.BURST_HOME || join(process.env.HOME ?? "", ".burst"), "cache"),
      join(burstHome, "cache"),
    );

    const bare: number[] = [];
    const burst: number[] = [];
    const bareSteps: Record<string, number>[] = [];
    const burstSteps: Record<string, number>[] = [];
    for (let round = 1; round <= repetitions; round++) {
      const bareRun = await bareSpark(spark, jobFile, scratch);
      bare.push(bareRun.seconds);
      bareSteps.push(bareRun.steps);
      log(`  bare Spark run ${round}: ${bareRun.seconds.toFixed(1)} s`);
      const burstRun = await localBurst(spec, burstHome);
      burst.push(burstRun.seconds);
      burstSteps.push(burstRun.phases);
      log(`  local burst run ${round}: ${burstRun.seconds.toFixed(1)} s`);
    }
    const bareSeconds = sample(bare);
    const burstSeconds = sample(burst);
    return {
      bareSeconds,
      burstSeconds,
      ratio: burstSeconds.median / bareSeconds.median,
      burstPhases: medianByKey(burstSteps),
      barePhases: medianByKey(bareSteps),
      sshShellMs: await sshShellStartMs(),
    };
  } finally {
    await rm(join(scratch, "home", "cache"), { force: true }); // the link only, never the shared cache
    await rm(scratch, { recursive: true, force: true });
  }
}

/** One local burst of the spec through the real CLI; wall time and its phases. */
async function localBurst(
  spec: string,
  burstHome: string,
): Promise<{ seconds: number; phases: Record<string, number> }> {
  const began = performance.now();
  const result = await run(process.execPath, [cliEntry, "burst", spec, "--json", "--yes"], {
    cwd: repoRoot,
    env: { BURST_HOME: burstHome, NO_COLOR: "1", CONSUL_HTTP_ADDR: undefined },
    timeoutMs: 10 * 60_000,
  });
  const seconds = (performance.now() - began) / 1000;
  const events = result.stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as { type: string; phase?: string; seconds?: number; ok?: boolean });
  if (result.code !== 0) {
    throw new Error(`the benchmark burst failed (exit ${result.code}):\n${result.stderr.slice(-3000)}`);
  }
  const phases: Record<string, number> = {};
  for (const event of events) {
    if (event.type === "phase-end" && event.phase) phases[event.phase] = event.seconds ?? 0;
  }
  const inPhases = Object.values(phases).reduce((sum, value) => sum + value, 0);
  // Node start-up, module loading and the time between phases.
  phases.cli = Math.max(0, seconds - inPhases);
  return { seconds, phases };
}

/** The same job by hand: master, then worker, wait for it, spark-submit, stop both. */
async function bareSpark(
  spark: SparkRuntime,
  jobFile: string,
  scratch: string,
): Promise<{ seconds: number; steps: Record<string, number> }> {
  const [masterPort, masterUiPort, workerPort, workerUiPort] = await freePorts(4);
  const logDir = await mkdtemp(join(scratch, "bare-"));
  const env = {
    SPARK_HOME: spark.sparkHome,
    SPARK_LOCAL_IP: "127.0.0.1",
    SPARK_LOG_DIR: logDir,
    PYSPARK_PYTHON: spark.pythonExec,
    SPARK_CONF_DIR: logDir, // empty: no spark-defaults, no event log
  };
  const daemons: Started[] = [];
  const steps: Record<string, number> = {};
  let mark = performance.now();
  const step = (name: string) => {
    const now = performance.now();
    steps[name] = (now - mark) / 1000;
    mark = now;
  };
  const began = mark;
  try {
    const masterUrl = `spark://127.0.0.1:${masterPort}`;
    daemons.push(
      start(
        spark.sparkClass,
        [
          "org.apache.spark.deploy.master.Master",
          "--host",
          "127.0.0.1",
          "--port",
          `${masterPort}`,
          "--webui-port",
          `${masterUiPort}`,
        ],
        { env, maxCapture: 64 * 1024 },
      ),
    );
    await waitFor(async () => (await masterStatus(masterUiPort)) !== undefined, 60_000, "the Spark master");
    step("master");
    daemons.push(
      start(
        spark.sparkClass,
        [
          "org.apache.spark.deploy.worker.Worker",
          "--host",
          "127.0.0.1",
          "--port",
          `${workerPort}`,
          "--webui-port",
          `${workerUiPort}`,
          "--cores",
          workerCores,
          "--memory",
          workerMemory,
          "--work-dir",
          join(logDir, "work"),
          masterUrl,
        ],
        { env, maxCapture: 64 * 1024 },
      ),
    );
    await waitFor(async () => ((await masterStatus(masterUiPort))?.aliveworkers ?? 0) >= 1, 60_000, "the Spark worker");
    step("worker");
    const submitted = await run(
      spark.sparkSubmit,
      ["--master", masterUrl, "--deploy-mode", "client", "--name", "bench-trivial", jobFile],
      { env, timeoutMs: 5 * 60_000 },
    );
    if (submitted.code !== 0 || !submitted.stdout.includes("count: 1000")) {
      throw new Error(`bare spark-submit failed (exit ${submitted.code}):\n${submitted.stderr.slice(-3000)}`);
    }
    step("spark-submit");
  } finally {
    for (const daemon of daemons.reverse()) await daemon.stop();
  }
  step("stop");
  return { seconds: (performance.now() - began) / 1000, steps };
}

async function masterStatus(uiPort: number | undefined): Promise<{ aliveworkers?: number } | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${uiPort}/json/`, { signal: AbortSignal.timeout(2000) });
    return response.ok ? ((await response.json()) as { aliveworkers?: number }) : undefined;
  } catch {
    return undefined;
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${timeoutMs / 1000}s`);
    // The same poll interval as burst's wait-ready.
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** How long `bash -c true` takes when started the way sshd starts a command's shell. */
async function sshShellStartMs(): Promise<number> {
  const times: number[] = [];
  for (let round = 0; round < 5; round++) {
    const began = performance.now();
    await run("bash", ["-c", "true"], { env: { SSH_CLIENT: "127.0.0.1 50000 22", SHLVL: "0" } });
    times.push(performance.now() - began);
  }
  return sample(times).median;
}

async function gitCommit(dir: string): Promise<void> {
  const git = (args: string[]) =>
    run("git", ["-c", "user.email=bench@burst", "-c", "user.name=bench", ...args], { cwd: dir, check: true });
  await git(["init", "--quiet", "--initial-branch=main"]);
  await git(["add", "-A"]);
  await git(["commit", "--quiet", "-m", "bench job"]);
}

function medianByKey(runs: readonly Record<string, number>[]): Record<string, number> {
  const keys = [...new Set(runs.flatMap((entry) => Object.keys(entry)))];
  return Object.fromEntries(keys.map((key) => [key, sample(runs.map((entry) => entry[key] ?? 0)).median]));
}
