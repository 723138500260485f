// A real Spark standalone master and one worker on loopback for tests that need a separate
// executor JVM (to kill it) or a worker daemon (to decommission it), configured by the shared
// spark-defaults renderer. Every process runs in its own process group; stop() ends them all.
//
//   const cluster = await startStandaloneSpark({ spark, conf, env });
//   try { ... cluster.masterUrl, cluster.masterJson(), cluster.workerPid ... } finally { await cluster.stop(); }

import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitForPort } from "../../scripts/servers/ports.ts";
import type { SparkRuntime } from "../../src/targets/local/spark-runtime.ts";
import { type Started, start } from "../../src/util/exec.ts";
import {
  newSparkAuthSecret,
  renderLog4j2,
  renderSparkEnv,
  sparkAuthSecretLine,
} from "../../stacks/shared/spark-conf.ts";

export interface StandaloneSparkOptions {
  readonly spark: SparkRuntime;
  /** spark-defaults.conf text (renderSparkDefaults). */
  readonly sparkDefaults: string;
  /** Extra environment for the daemons and drivers (e.g. S3 credentials). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly workerCores?: number;
  /** Workers to start (default 1). */
  readonly workers?: number;
  readonly log?: (line: string) => void;
}

/** The master's /json view of one worker. */
export interface MasterWorker {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly state: string;
}

export interface StandaloneWorker {
  readonly port: number;
  readonly uiPort: number;
  /** The Worker daemon's JVM (the process group leader of its executors). */
  readonly pid: number;
}

export interface StandaloneSpark {
  readonly masterUrl: string;
  readonly masterUiUrl: string;
  readonly workers: readonly StandaloneWorker[];
  /** The first worker's RPC port and pid. */
  readonly workerPort: number;
  readonly workerPid: number;
  readonly confDir: string;
  /** Environment for spark-submit against this cluster. */
  readonly env: Readonly<Record<string, string | undefined>>;
  masterJson(): Promise<{ workers: MasterWorker[]; activeapps: unknown[] }>;
  stop(): Promise<void>;
}

export async function startStandaloneSpark(options: StandaloneSparkOptions): Promise<StandaloneSpark> {
  const log = options.log ?? (() => {});
  const base = await mkdtemp(join(tmpdir(), "burst-standalone-"));
  const confDir = join(base, "conf");
  await mkdir(confDir, { recursive: true });
  // With spark.authenticate on (burst's shared conf), every daemon and driver needs the secret,
  // which a burst node appends from its 0600 file: here one per cluster, the same way.
  const secret = /^spark\.authenticate true$/m.test(options.sparkDefaults)
    ? sparkAuthSecretLine(newSparkAuthSecret())
    : "";
  await writeFile(join(confDir, "spark-defaults.conf"), `${options.sparkDefaults}${secret}`);
  await writeFile(join(confDir, "spark-env.sh"), renderSparkEnv({ pysparkPython: options.spark.pythonExec }));
  await writeFile(join(confDir, "log4j2.properties"), renderLog4j2("info"));
  const env = {
    ...options.env,
    SPARK_HOME: options.spark.sparkHome,
    SPARK_CONF_DIR: confDir,
    PYSPARK_PYTHON: options.spark.pythonExec,
    SPARK_LOCAL_IP: "127.0.0.1",
    SPARK_LOG_DIR: join(base, "logs"),
    SPARK_NO_DAEMONIZE: "1",
  };
  const masterPort = await freePort();
  const masterUiPort = await freePort();
  const daemons: Started[] = [];
  const stop = async () => {
    for (const daemon of daemons.reverse()) await daemon.stop();
    await rm(base, { recursive: true, force: true });
  };
  try {
    const daemon = (name: string, args: string[]) => {
      const started = start(options.spark.sparkClass, args, {
        env,
        onLine: (line) => log(`${name}: ${line}`),
        maxCapture: 256 * 1024,
      });
      daemons.push(started);
      return started;
    };
    daemon("master", [
      "org.apache.spark.deploy.master.Master",
      "--host",
      "127.0.0.1",
      "--port",
      String(masterPort),
      "--webui-port",
      String(masterUiPort),
    ]);
    await waitForPort(masterPort, "127.0.0.1", 90_000);
    const masterUrl = `spark://127.0.0.1:${masterPort}`;
    const workers: StandaloneWorker[] = [];
    for (let index = 0; index < (options.workers ?? 1); index++) {
      const [port, uiPort] = [await freePort(), await freePort()];
      const workerDir = join(base, `worker-${index + 1}`);
      await mkdir(workerDir, { recursive: true });
      const worker = daemon(`worker-${index + 1}`, [
        "org.apache.spark.deploy.worker.Worker",
        "--host",
        "127.0.0.1",
        "--port",
        String(port),
        "--webui-port",
        String(uiPort),
        "--cores",
        String(options.workerCores ?? 2),
        "--memory",
        "1g",
        "--work-dir",
        workerDir,
        masterUrl,
      ]);
      if (worker.pid === undefined) throw new Error("a Spark worker has no pid");
      workers.push({ port, uiPort, pid: worker.pid });
    }
    const masterUiUrl = `http://127.0.0.1:${masterUiPort}`;
    const masterJson = async () => {
      const res = await fetch(`${masterUiUrl}/json/`);
      return (await res.json()) as { workers: MasterWorker[]; activeapps: unknown[] };
    };
    const deadline = Date.now() + 90_000;
    const alive = async () =>
      ((await masterJson().catch(() => undefined))?.workers ?? []).filter((w) => w.state === "ALIVE").length;
    while ((await alive()) < workers.length) {
      if (Date.now() > deadline) throw new Error("the Spark workers did not register with the master within 90 s");
      await new Promise((r) => setTimeout(r, 500));
    }
    const first = workers[0] as StandaloneWorker;
    return {
      masterUrl,
      masterUiUrl,
      workers,
      workerPort: first.port,
      workerPid: first.pid,
      confDir,
      env,
      masterJson,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
