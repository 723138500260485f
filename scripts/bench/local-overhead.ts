// A local burst against the same PySpark job run by hand on bare Spark daemons. Both sides run
// the same spark-submit command line (jobLaunch), with the same Spark conf (the renderers the
// local stack uses: s3a, event log, log4j2), reading their input from S3 and writing their output
// back through s3a. The bare side's S3 server is up before it starts (as S3 is for a user of bare
// Spark); the burst side starts its own as part of its cluster. The pairs alternate who goes first,
// and the ratio is taken per pair.

import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { jobLaunch } from "../../src/job/command.ts";
import { resolveParams, storeFromEnv } from "../../src/params/index.ts";
import { loadSpec } from "../../src/runspec/load.ts";
import { namedBucketsOf } from "../../src/runspec/named-buckets.ts";
import { ensureSpark } from "../../src/targets/local/spark.ts";
import type { SparkRuntime } from "../../src/targets/local/spark-runtime.ts";
import { run, type Started, start } from "../../src/util/exec.ts";
import { freePorts } from "../../src/util/ports.ts";
import { localS3Region } from "../../stacks/local/s3-region.ts";
import {
  newSparkAuthSecret,
  renderLog4j2,
  renderSparkDefaults,
  renderSparkEnv,
  sparkAuthSecretLine,
} from "../../stacks/shared/spark-conf.ts";
import { type S3Server, startS3Server } from "../servers/s3server.ts";
import { type Sample, sample } from "./stats.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
// What `npm run burst` runs: the compiled CLI (rebuilt first if a source changed).
const cliEntry = join(repoRoot, "scripts", "run.mjs");
const sparkVersion = "3.5.3";
/** What a local burst worker offers by default (config/local.yml). */
const workerCores = "1";
const workerMemory = "1g";
const dataBucket = "bench-data";

/** Reads text from S3, counts its words, writes the counts back to S3: s3a both ways. */
export const benchJob = `import sys
from pyspark.sql import SparkSession
from pyspark.sql.functions import explode, split

source, target = sys.argv[1], sys.argv[2]
spark = SparkSession.builder.getOrCreate()
words = spark.read.text(source).select(explode(split("value", " ")).alias("word"))
counts = words.groupBy("word").count()
counts.write.mode("overwrite").csv(target)
print(f"distinct words: {spark.read.csv(target).count()}")
spark.stop()
`;
const inputText = `${Array.from({ length: 2000 }, (_, i) => `burst bench line ${i % 97} of the word count input`).join("\n")}\n`;

export interface OverheadResult {
  readonly pairs: number;
  readonly bareSeconds: Sample;
  readonly burstSeconds: Sample;
  /** burst / bare, taken in each pair. */
  readonly ratio: Sample;
  /** Median seconds per burst phase (from --json phase events). */
  readonly burstPhases: Readonly<Record<string, number>>;
  /** Median seconds outside the phases: before the first, between phases, after the last. */
  readonly burstIdle: IdleTime;
  /** Every burst run's phases in seconds, in the order run (burstPhases holds their medians). */
  readonly burstPhaseRuns?: readonly Readonly<Record<string, number>>[];
  /** Every bare run's steps in seconds, in the order run. */
  readonly barePhaseRuns?: readonly Readonly<Record<string, number>>[];
  /** Median seconds per step of the bare run. */
  readonly barePhases: Readonly<Record<string, number>>;
  /** The bare side's spark-submit command line, as run (burst runs the same one on its master). */
  readonly submitted: readonly string[];
  /**
   * Milliseconds the login shell of an SSH command takes to start on this machine (bash reads
   * ~/.bashrc for commands run by sshd); every command burst runs on the master pays it.
   */
  readonly sshShellMs: number;
}

export interface IdleTime {
  /** Process start until the first phase starts: Node start-up and module loading. */
  readonly startup: number;
  /** Sum of the gaps between one phase's end and the next one's start. */
  readonly between: number;
  /** The largest of those gaps, and the phase it came before. */
  readonly largestGap: { readonly before: string; readonly seconds: number };
  /** The last phase's end until the process exited. */
  readonly exit: number;
}

interface BurstRun {
  readonly seconds: number;
  readonly phases: Record<string, number>;
  readonly idle: IdleTime;
}

export async function measureLocalOverhead(pairs: number, log: (line: string) => void): Promise<OverheadResult> {
  const spark = await ensureSpark(sparkVersion, () => {});
  const scratch = await mkdtemp(join(tmpdir(), "burst-bench-overhead-"));
  const burstHome = join(scratch, "home");
  await mkdir(burstHome);
  await symlink(
    join(process.env.BURST_HOME || join(process.env.HOME ?? "", ".burst"), "cache"),
    join(burstHome, "cache"),
  );
  // The bare side's S3: the same folder the burst side's local S3 server serves, so both read
  // the same input object.
  const s3 = await startS3Server({ dataDir: join(burstHome, "local", "s3") });
  try {
    const repo = join(scratch, "repo");
    await mkdir(repo);
    await writeFile(join(repo, "wordcount.py"), benchJob);
    await gitCommit(repo);
    await s3.client().send(new CreateBucketCommand({ Bucket: dataBucket }));
    await s3.client().send(new PutObjectCommand({ Bucket: dataBucket, Key: "input/words.txt", Body: inputText }));
    const spec = join(scratch, "spark.yml");
    await writeFile(
      spec,
      `name: bench-wordcount
target: local
code: { repo: ${repo} }
job:
  type: pyspark
  entrypoint: wordcount.py
  args: [s3a://${dataBucket}/input/, s3a://${dataBucket}/output/]
cluster: { workers: 1 }
results: s3://bench-results/runs/
`,
    );

    const bare: number[] = [];
    const burst: number[] = [];
    const ratios: number[] = [];
    const bareSteps: Record<string, number>[] = [];
    const burstRuns: BurstRun[] = [];
    let submitted: readonly string[] = [];
    for (let pair = 1; pair <= pairs; pair++) {
      const sides = [
        async () => {
          const bareRun = await bareSpark(spark, spec, repo, scratch, s3);
          bare.push(bareRun.seconds);
          bareSteps.push(bareRun.steps);
          submitted = bareRun.argv;
        },
        async () => burstRuns.push(await localBurst(spec, burstHome)),
      ];
      if (pair % 2 === 0) sides.reverse();
      for (const side of sides) await side();
      const burstRun = burstRuns[burstRuns.length - 1] as BurstRun;
      burst.push(burstRun.seconds);
      ratios.push(burstRun.seconds / (bare[bare.length - 1] ?? Number.NaN));
      log(
        `  pair ${pair} (${pair % 2 === 0 ? "burst" : "bare"} first): bare Spark ${bare.at(-1)?.toFixed(1)} s, ` +
          `local burst ${burstRun.seconds.toFixed(1)} s, ratio ${ratios.at(-1)?.toFixed(2)}`,
      );
    }
    return {
      pairs,
      bareSeconds: sample(bare),
      burstSeconds: sample(burst),
      ratio: sample(ratios),
      burstPhases: medianByKey(burstRuns.map((entry) => entry.phases)),
      burstPhaseRuns: burstRuns.map((entry) => entry.phases),
      barePhaseRuns: bareSteps,
      burstIdle: medianIdle(burstRuns.map((entry) => entry.idle)),
      barePhases: medianByKey(bareSteps),
      submitted,
      sshShellMs: await sshShellStartMs(),
    };
  } finally {
    await s3.stop();
    await rm(join(burstHome, "cache"), { force: true }); // the link only, never the shared cache
    await rm(scratch, { recursive: true, force: true });
  }
}

/** One local burst of the spec through the real CLI; wall time, its phases and the time outside them. */
async function localBurst(spec: string, burstHome: string): Promise<BurstRun> {
  const began = Date.now();
  const result = await run(process.execPath, [cliEntry, "burst", spec, "--json", "--yes"], {
    cwd: repoRoot,
    env: { BURST_HOME: burstHome, NO_COLOR: "1", CONSUL_HTTP_ADDR: undefined },
    timeoutMs: 10 * 60_000,
  });
  const ended = Date.now();
  if (result.code !== 0) {
    throw new Error(`the benchmark burst failed (exit ${result.code}):\n${result.stderr.slice(-3000)}`);
  }
  const events = result.stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as { ts: string; type: string; phase?: string; seconds?: number });
  const phases: Record<string, number> = {};
  const gaps: { before: string; seconds: number }[] = [];
  let firstStart: number | undefined;
  let lastEnd: number | undefined;
  for (const event of events) {
    const at = Date.parse(event.ts);
    if (event.type === "phase-start" && event.phase) {
      firstStart ??= at;
      if (lastEnd !== undefined) gaps.push({ before: event.phase, seconds: (at - lastEnd) / 1000 });
    }
    if (event.type === "phase-end" && event.phase) {
      phases[event.phase] = event.seconds ?? 0;
      lastEnd = at;
    }
  }
  const largestGap = gaps.reduce((largest, gap) => (gap.seconds > largest.seconds ? gap : largest), {
    before: "-",
    seconds: 0,
  });
  return {
    seconds: (ended - began) / 1000,
    phases,
    idle: {
      startup: ((firstStart ?? began) - began) / 1000,
      between: gaps.reduce((sum, gap) => sum + gap.seconds, 0),
      largestGap,
      exit: (ended - (lastEnd ?? ended)) / 1000,
    },
  };
}

/** The same job by hand: master, then worker, wait for it, the same spark-submit, stop both. */
async function bareSpark(
  spark: SparkRuntime,
  specPath: string,
  repo: string,
  scratch: string,
  s3: S3Server,
): Promise<{ seconds: number; steps: Record<string, number>; argv: readonly string[] }> {
  const [masterPort, masterUiPort, workerPort, workerUiPort] = await freePorts(4);
  const home = await mkdtemp(join(scratch, "bare-"));
  const confDir = join(home, "conf");
  const eventLogDir = join(home, "eventlog");
  await mkdir(confDir);
  await mkdir(eventLogDir);
  const credentialsFile = join(home, "s3.env");
  await writeFile(
    credentialsFile,
    `export AWS_ACCESS_KEY_ID=${s3.accessKeyId}\nexport AWS_SECRET_ACCESS_KEY=${s3.secretAccessKey}\n`,
    { mode: 0o600 },
  );
  // What the local stack writes to a node's SPARK_CONF_DIR, from the same renderers.
  const extra: Record<string, string> =
    spark.extraJars.length > 0
      ? {
          "spark.driver.extraClassPath": spark.extraJars.join(":"),
          "spark.executor.extraClassPath": spark.extraJars.join(":"),
        }
      : {};
  await writeFile(
    join(confDir, "spark-defaults.conf"),
    // Plus the run's auth secret, as the node role appends it on a burst node.
    `${renderSparkDefaults({ s3: { endpoint: s3.endpoint, pathStyle: true, region: localS3Region }, eventLogDir, extra })}` +
      sparkAuthSecretLine(newSparkAuthSecret()),
  );
  await writeFile(join(confDir, "spark-env.sh"), renderSparkEnv({ pysparkPython: spark.pythonExec, credentialsFile }));
  await writeFile(join(confDir, "log4j2.properties"), renderLog4j2());
  const masterUrl = `spark://127.0.0.1:${masterPort}`;
  // Resolved as the burst side resolves it (no Consul: the config files' defaults).
  const env = { ...process.env, CONSUL_HTTP_ADDR: undefined };
  const params = await resolveParams({ store: storeFromEnv(env).store, env, target: "local" });
  const spec = await loadSpec(specPath, { defaults: params.defaults, namedBuckets: namedBucketsOf(params) });
  const step = spec.steps[0];
  if (!step) throw new Error(`${specPath} has no job`);
  const launch = jobLaunch(step, {
    name: spec.name,
    runId: "bare",
    step: step.name,
    sparkMasterUrl: masterUrl,
    resultsUri: "",
  });
  const [program, ...args] = launch.argv;
  const jobEnv = {
    ...launch.env,
    SPARK_HOME: spark.sparkHome,
    SPARK_CONF_DIR: confDir,
    SPARK_LOCAL_IP: "127.0.0.1",
    SPARK_LOG_DIR: home,
    PYSPARK_PYTHON: spark.pythonExec,
  };
  const daemons: Started[] = [];
  const steps: Record<string, number> = {};
  let mark = performance.now();
  const stepDone = (name: string) => {
    const now = performance.now();
    steps[name] = (now - mark) / 1000;
    mark = now;
  };
  const began = mark;
  try {
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
        { env: jobEnv, maxCapture: 64 * 1024 },
      ),
    );
    await waitFor(async () => (await masterStatus(masterUiPort)) !== undefined, 60_000, "the Spark master");
    stepDone("master");
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
          join(home, "work"),
          masterUrl,
        ],
        { env: jobEnv, maxCapture: 64 * 1024 },
      ),
    );
    await waitFor(async () => ((await masterStatus(masterUiPort))?.aliveworkers ?? 0) >= 1, 60_000, "the Spark worker");
    stepDone("worker");
    const submitted = await run(join(spark.sparkHome, "bin", program ?? "spark-submit"), args, {
      cwd: repo,
      env: jobEnv,
      timeoutMs: 5 * 60_000,
    });
    if (submitted.code !== 0 || !/distinct words: \d+/.test(submitted.stdout)) {
      throw new Error(`bare spark-submit failed (exit ${submitted.code}):\n${submitted.stderr.slice(-3000)}`);
    }
    stepDone("spark-submit");
  } finally {
    for (const daemon of daemons.reverse()) await daemon.stop();
  }
  stepDone("stop");
  return { seconds: (performance.now() - began) / 1000, steps, argv: launch.argv };
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

function medianIdle(runs: readonly IdleTime[]): IdleTime {
  const median = (pick: (idle: IdleTime) => number) => sample(runs.map(pick)).median;
  const largest = [...runs].sort((a, b) => b.largestGap.seconds - a.largestGap.seconds)[Math.floor(runs.length / 2)];
  return {
    startup: median((idle) => idle.startup),
    between: median((idle) => idle.between),
    largestGap: largest?.largestGap ?? { before: "-", seconds: 0 },
    exit: median((idle) => idle.exit),
  };
}
