// The Spark the local target runs, found on the machine or installed once into the burst cache
// (src/home.ts shows the cache's layout; spark-install.ts the install itself).
//
// s3a jars go into SPARK_HOME/jars of the cached install, so the driver, the standalone master
// and the workers all load them with no extra conf. When burst uses a Spark it did not install
// (SPARK_HOME, or spark-submit on PATH) it never writes there: missing s3a jars are returned in
// `extraJars` for the caller to put on spark.driver/executor.extraClassPath.
//
// ensureSpark is idempotent: a warm call only checks files.

import { existsSync, realpathSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { describeSupportedSparkVersions, sparkLine } from "../../../stacks/shared/spark-versions.ts";
import { badInput, infraError } from "../../errors.ts";
import type { Log } from "../../install/command.ts";
import { run, which } from "../../util/exec.ts";
import { checkJava, pythonNextTo } from "./probes.ts";
import { cachedSpark } from "./spark-install.ts";
import { committerJar, hadoopVersionOf, s3aJars, sparkVersionOf } from "./spark-jars.ts";
import type { SparkRuntime } from "./spark-runtime.ts";

/** A Spark burst did not install: use it as it is, fetch s3a jars into the cache when it lacks them. */
async function externalSpark(
  sparkHome: string,
  source: "SPARK_HOME" | "PATH",
  version: string,
  log: Log,
): Promise<SparkRuntime> {
  const jarsDir = join(sparkHome, "jars");
  let files: string[];
  try {
    files = await readdir(jarsDir);
  } catch {
    throw infraError(
      `${source === "SPARK_HOME" ? "SPARK_HOME" : "spark-submit on PATH"}: ${sparkHome} has no jars/ folder`,
      {
        hint: "point SPARK_HOME at a Spark distribution, or unset it to let burst install one",
      },
    );
  }
  const sparkVersion = sparkVersionOf(files) ?? "unknown";
  if (sparkVersion !== version)
    log(`warning: ${source} Spark is ${sparkVersion}, the job asked for ${version}; using ${sparkHome}`);
  const hadoopVersion = hadoopVersionOf(sparkHome, files);
  const hasS3a = files.some((f) => f.startsWith("hadoop-aws-"));
  const extraJars = hasS3a ? [] : (await s3aJars(hadoopVersion, log)).map((j) => j.file);
  // A Spark of a line burst knows gets the committer binding; another keeps its own committers.
  const line = sparkLine(sparkVersion);
  if (line && !files.some((f) => f.startsWith("spark-hadoop-cloud_")))
    extraJars.push((await committerJar(line, sparkVersion, log)).file);
  const pythonExec = process.env.PYSPARK_PYTHON || pythonNextTo(sparkHome) || which("python3") || which("python");
  if (!pythonExec)
    throw infraError("no python3 found for PYSPARK_PYTHON", {
      hint: "apt-get install -y python3",
    });
  log(`spark: using ${sparkHome} (${source}, Spark ${sparkVersion}, Hadoop ${hadoopVersion})`);
  return {
    sparkHome,
    sparkSubmit: join(sparkHome, "bin", "spark-submit"),
    sparkClass: join(sparkHome, "bin", "spark-class"),
    sparkVersion,
    hadoopVersion,
    pythonExec,
    extraJars,
    pythonPackages: [],
    source,
  };
}

/** SPARK_HOME of a spark-submit found on PATH, when it can be told. */
async function sparkHomeOfPath(sparkSubmit: string): Promise<string | undefined> {
  const real = realpathSync(sparkSubmit);
  const up = dirname(dirname(real));
  if (existsSync(join(up, "jars")) && existsSync(join(up, "bin", "spark-class"))) return up;
  // pip puts wrapper scripts on PATH that locate pyspark through find-spark-home.
  const finder = join(dirname(real), "find-spark-home");
  if (!existsSync(finder)) return undefined;
  const r = await run("bash", ["-c", `. "$1" >/dev/null 2>&1; printf %s "$SPARK_HOME"`, "bash", finder], {
    env: { SPARK_HOME: undefined },
    timeoutMs: 30_000,
  }).catch(() => undefined);
  const home = r?.stdout.trim();
  return home && existsSync(join(home, "jars")) ? home : undefined;
}

/**
 * A Spark to run `version` with. SPARK_HOME when set (validated); else a spark-submit on PATH of
 * that version; else the cached pyspark venv, installed on first use.
 */
export async function ensureSpark(version: string, log: Log): Promise<SparkRuntime> {
  if (!/^\d+\.\d+\.\d+$/.test(version)) {
    throw badInput(`not a Spark version: ${JSON.stringify(version)}`, {
      hint: "use a full release version, e.g. 3.5.3",
    });
  }
  // Whichever Spark is used, its daemons need Java: say so now, not after a node fails to start.
  await checkJava();
  const envHome = process.env.SPARK_HOME;
  if (envHome) {
    if (!which(join(envHome, "bin", "spark-submit"))) {
      throw infraError(`SPARK_HOME=${envHome} has no executable bin/spark-submit`, {
        hint: "point SPARK_HOME at a Spark distribution, or unset it to let burst install pyspark into its cache",
      });
    }
    return externalSpark(envHome, "SPARK_HOME", version, log);
  }
  const onPath = which("spark-submit");
  if (onPath) {
    const home = await sparkHomeOfPath(onPath);
    const files = home ? await readdir(join(home, "jars")).catch(() => [] as string[]) : [];
    if (home && sparkVersionOf(files) === version) return externalSpark(home, "PATH", version, log);
    log(
      `spark: ignoring ${onPath} (${home ? `Spark ${sparkVersionOf(files) ?? "unknown"}` : "SPARK_HOME unknown"}, want ${version})`,
    );
  }

  const line = sparkLine(version);
  if (!line) {
    throw badInput(`burst cannot install Spark ${version}`, {
      hint: `supported versions: ${describeSupportedSparkVersions()} (or point SPARK_HOME at your own Spark ${version})`,
    });
  }
  return cachedSpark(version, line, log);
}
