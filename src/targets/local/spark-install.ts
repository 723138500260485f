// The Spark burst installs itself, once per version, into <cache>/spark/<version>/: pyspark from
// PyPI in a venv with the node runtime's Python packages, the s3a and committer jars in its
// SPARK_HOME/jars (so driver, master and workers load them with no extra conf), and
// burst-install.json, written last; the whole folder is renamed into place under a lock, so a
// killed install leaves nothing half-written and concurrent bursts install once. An install made
// before the packages or the committer jar changed is brought up to date in place.

import { existsSync } from "node:fs";
import { chmod, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { readRequirements, type SparkLine } from "../../../stacks/shared/spark-versions.ts";
import { infraError } from "../../errors.ts";
import { cacheRoot } from "../../home.ts";
import { heartbeat, type Log, mustRun, seconds } from "../../install/command.ts";
import { commitInstall, sweepTempSiblings, tempSibling, withLock } from "../../install/lock.ts";
import { formatCoordinate } from "../../install/maven.ts";
import { checkJava, findPython, pythonHint } from "./probes.ts";
import {
  committerCoordinate,
  committerJar,
  hadoopVersionOf,
  type PlacedJar,
  placeJars,
  s3aJars,
} from "./spark-jars.ts";
import type { SparkRuntime } from "./spark-runtime.ts";

interface InstallRecord {
  sparkVersion: string;
  hadoopVersion: string;
  /** Relative to the install dir. */
  sparkHome: string;
  pythonExec: string;
  pythonVersion: string;
  jars: PlacedJar[];
  /** The node runtime's Python packages installed beside pyspark (absent: an install from before they were). */
  pythonPackages?: string[];
  installedAt: string;
  timingsMs: Record<string, number>;
}

const INSTALL_RECORD = "burst-install.json";

async function readRecord(dir: string): Promise<InstallRecord | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, INSTALL_RECORD), "utf8")) as InstallRecord;
  } catch {
    return undefined;
  }
}

function runtimeFromRecord(dir: string, rec: InstallRecord): SparkRuntime | undefined {
  const sparkHome = join(dir, rec.sparkHome);
  const pythonExec = join(dir, rec.pythonExec);
  const sparkSubmit = join(sparkHome, "bin", "spark-submit");
  const sparkClass = join(sparkHome, "bin", "spark-class");
  if (
    ![sparkSubmit, sparkClass, pythonExec, ...rec.jars.map((j) => join(sparkHome, "jars", j.file))].every((p) =>
      existsSync(p),
    )
  ) {
    return undefined;
  }
  return {
    sparkHome,
    sparkSubmit,
    sparkClass,
    sparkVersion: rec.sparkVersion,
    hadoopVersion: rec.hadoopVersion,
    pythonExec,
    extraJars: [],
    pythonPackages: rec.pythonPackages ?? [],
    source: "cache",
  };
}

/** `pip install <args>` into the venv of `vpy`, its progress logged. */
async function pipInstall(vpy: string, args: string[], what: string, log: Log): Promise<void> {
  const stop = heartbeat(log, `installing ${what}`);
  try {
    await mustRun(
      vpy,
      ["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--progress-bar", "off", ...args],
      {
        what: `pip install ${what}`,
        hint: `check that PyPI is reachable; by hand: ${vpy} -m pip install ${args.join(" ")}`,
        timeoutMs: 45 * 60_000,
        // A user's pip settings must not send the install outside the venv.
        env: {
          PIP_REQUIRE_VIRTUALENV: undefined,
          PIP_USER: undefined,
          PIP_TARGET: undefined,
          PIP_PREFIX: undefined,
          PYTHONPATH: undefined,
        },
        onLine: (line) => {
          if (/^(Collecting|Downloading|Building wheel|Created wheel|Successfully|Installing|ERROR)/.test(line.trim()))
            log(`  pip: ${line.trim()}`);
        },
      },
    );
  } finally {
    stop();
  }
}

const samePackages = (a: readonly string[] | undefined, b: readonly string[]): boolean =>
  a !== undefined && a.length === b.length && a.every((p, i) => p === b[i]);

const hasCommitter = (rec: InstallRecord, line: SparkLine): boolean =>
  rec.jars.some((j) => j.coordinate === formatCoordinate(committerCoordinate(line, rec.sparkVersion)));

/**
 * Bring a cached install made before the node runtime's Python packages or the committer jar
 * changed up to date, in place (a pip install into its venv and a new jar are additive, so
 * bursts using it meanwhile are unharmed).
 */
async function upgradeInstall(dir: string, rec: InstallRecord, line: SparkLine, log: Log): Promise<void> {
  const began = Date.now();
  const wanted = readRequirements(line.pythonRequirementsFile);
  let updated: InstallRecord = rec;
  if (!samePackages(rec.pythonPackages, wanted)) {
    log(`spark: adding the node runtime's Python packages to ${dir}: ${wanted.join(" ")}`);
    await pipInstall(
      join(dir, rec.pythonExec),
      [`pyspark==${rec.sparkVersion}`, "-r", line.pythonRequirementsFile],
      "the node runtime's Python packages",
      log,
    );
    updated = {
      ...updated,
      pythonPackages: wanted,
      timingsMs: { ...updated.timingsMs, pythonPackages: Date.now() - began },
    };
  }
  if (!hasCommitter(rec, line)) {
    log(`spark: adding the S3A magic committer binding to ${dir}`);
    const placed = await placeJars(join(dir, rec.sparkHome), [await committerJar(line, rec.sparkVersion, log)]);
    updated = { ...updated, jars: [...updated.jars, ...placed] };
  }
  const tmp = join(dir, `${INSTALL_RECORD}.${process.pid}`);
  await writeFile(tmp, `${JSON.stringify(updated, null, 2)}\n`);
  await rename(tmp, join(dir, INSTALL_RECORD));
  log(`spark: cached install brought up to date in ${seconds(Date.now() - began)}`);
}

/** Install pyspark==version and the line's Python packages into a venv at `dir` (a temp dir), add the s3a jars, verify. */
async function installSpark(dir: string, version: string, line: SparkLine, log: Log): Promise<InstallRecord> {
  const timings: Record<string, number> = {};
  await checkJava(); // fail before the long download, not after
  const { python, version: pyVersion } = await findPython(log);
  const venv = join(dir, "venv");
  let t = Date.now();
  log(`spark: creating venv with ${python} (Python ${pyVersion})`);
  await mustRun(python, ["-m", "venv", venv], {
    what: "python -m venv",
    hint: pythonHint(),
    timeoutMs: 5 * 60_000,
  });
  const vpy = join(venv, "bin", "python");

  t = Date.now();
  log(
    `spark: pip install pyspark==${version} and its ML/SQL/pandas extras (a ~320 MB download, built into a wheel the first time)`,
  );
  // One resolution for pyspark and the extras, so pip picks versions that fit together.
  await pipInstall(vpy, [`pyspark==${version}`, "-r", line.pythonRequirementsFile], `pyspark==${version}`, log);
  timings.pipInstall = Date.now() - t;
  log(`spark: pyspark installed in ${seconds(timings.pipInstall)}`);

  const probe = await mustRun(
    vpy,
    ["-c", "import json, os, pyspark; print(json.dumps([os.path.dirname(pyspark.__file__), pyspark.__version__]))"],
    {
      what: "import pyspark",
      timeoutMs: 60_000,
    },
  );
  const [home, pysparkVersion] = JSON.parse(probe.stdout.trim()) as [string, string];
  if (pysparkVersion !== version) throw infraError(`pip installed pyspark ${pysparkVersion}, expected ${version}`);
  for (const f of await readdir(join(home, "bin"))) await chmod(join(home, "bin", f), 0o755);
  const files = await readdir(join(home, "jars"));
  const hadoopVersion = hadoopVersionOf(home, files);

  t = Date.now();
  const jars = [...(await s3aJars(hadoopVersion, log)), await committerJar(line, version, log)];
  const placed = await placeJars(home, jars);
  timings.jars = Date.now() - t;
  log(`spark: s3a jars in place in ${seconds(timings.jars)}`);

  t = Date.now();
  const v = await mustRun(join(home, "bin", "spark-submit"), ["--version"], {
    what: "spark-submit --version",
    env: { SPARK_HOME: home, PYSPARK_PYTHON: vpy },
    timeoutMs: 2 * 60_000,
    hint: "Spark 3.5 runs on Java 8, 11 or 17: apt-get install -y openjdk-17-jre-headless",
  });
  if (!`${v.stdout}\n${v.stderr}`.includes(`version ${version}`)) {
    throw infraError(`spark-submit --version does not report ${version}:\n${v.stderr.slice(-2000)}`);
  }
  timings.verify = Date.now() - t;

  return {
    sparkVersion: version,
    hadoopVersion,
    sparkHome: relative(dir, home),
    pythonExec: relative(dir, vpy),
    pythonVersion: pyVersion,
    jars: placed,
    pythonPackages: readRequirements(line.pythonRequirementsFile),
    installedAt: new Date().toISOString(),
    timingsMs: timings,
  };
}

/** The cached install of `version` (a version of a line burst knows), installed or brought up to date on first use. */
export async function cachedSpark(version: string, line: SparkLine, log: Log): Promise<SparkRuntime> {
  const dir = join(cacheRoot(), "spark", version);
  const wanted = readRequirements(line.pythonRequirementsFile);
  const cached = async (): Promise<{ runtime?: SparkRuntime; stale?: InstallRecord }> => {
    const rec = await readRecord(dir);
    const runtime = rec && rec.sparkVersion === version ? runtimeFromRecord(dir, rec) : undefined;
    if (!rec || !runtime) return {};
    return samePackages(rec.pythonPackages, wanted) && hasCommitter(rec, line) ? { runtime } : { stale: rec };
  };
  const hit = await cached();
  if (hit.runtime) return hit.runtime;

  return withLock(`${dir}.lock`, { what: `Spark ${version}`, log }, async () => {
    const again = await cached(); // installed by whoever held the lock before us
    if (again.runtime) return again.runtime;
    if (again.stale) {
      await upgradeInstall(dir, again.stale, line, log);
      const upgraded = await cached();
      if (!upgraded.runtime) throw infraError(`Spark install in ${dir} is incomplete after bringing it up to date`);
      return upgraded.runtime;
    }
    await sweepTempSiblings(dir);
    const began = Date.now();
    log(`spark: installing Spark ${version} into ${dir}`);
    const tmp = await tempSibling(dir);
    try {
      const rec = await installSpark(tmp, version, line, log);
      await writeFile(join(tmp, INSTALL_RECORD), `${JSON.stringify(rec, null, 2)}\n`);
      await commitInstall(tmp, dir);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    const done = (await cached()).runtime;
    if (!done) throw infraError(`Spark install in ${dir} is incomplete after install`);
    log(`spark: Spark ${version} ready in ${seconds(Date.now() - began)} (SPARK_HOME=${done.sparkHome})`);
    return done;
  });
}
