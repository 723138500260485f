// The real parts the local target runs, found on the machine or installed once into the cache
// (`${BURST_HOME:-$HOME/.burst}/cache`):
//
//   spark/<version>/            Spark from the pyspark PyPI package, in a venv:
//     venv/bin/python             PYSPARK_PYTHON for driver and executors: pyspark, and the node
//                                 runtime's Python packages (numpy, pandas, pyarrow) from
//                                 stacks/shared/node-python/spark-<line>.txt
//     venv/lib/pythonX.Y/site-packages/pyspark   = SPARK_HOME (bin/spark-submit, bin/spark-class, jars/)
//       jars/hadoop-aws-<hadoop>.jar + the AWS SDK bundle its POM names (hard links into maven/)
//       jars/spark-hadoop-cloud_<scala>-<version>.jar: the S3A magic committer's Spark binding
//     burst-install.json          what was installed (written last; the whole dir is renamed into place)
//   maven/<standard layout>     jars downloaded from Maven Central, sha1-verified
//   bin/versitygw               S3 API server (posix backend), `go install`ed at a pinned version
//   bin/tofu                    OpenTofu, when no terraform/tofu is on PATH
//
// s3a jars go into SPARK_HOME/jars of the cached install, so the driver, the standalone master
// and the workers all load them with no extra conf. When burst uses a Spark it did not install
// (SPARK_HOME, or spark-submit on PATH) it never writes there: missing s3a jars are returned in
// `extraJars` for the caller to put on spark.driver/executor.extraClassPath.
//
// Every ensure* is idempotent: a warm call only checks files (and runs `terraform version`).
// Installs run under a per-component lock and land with one rename, so a killed install leaves
// nothing half-written and concurrent bursts install once.

import { existsSync, realpathSync } from "node:fs";
import { chmod, copyFile, link, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import {
  describeSupportedSparkVersions,
  hadoopCloudVersion,
  readRequirements,
  type SparkLine,
  sparkLine,
} from "../../../stacks/shared/spark-versions.ts";
import { badInput, infraError } from "../../errors.ts";
import { describeFailure, formatCommand, type RunResult, run, which } from "../../util/exec.ts";
import { commitInstall, sweepTempSiblings, tempSibling, withLock } from "./cache-lock.ts";
import { awsSdkBundleFor, type Coordinate, cachedArtifact, formatCoordinate } from "./maven.ts";

export type Log = (line: string) => void;

/** Pinned versions of the parts burst builds itself. */
export const VERSITYGW_MODULE = "github.com/versity/versitygw";
export const VERSITYGW_VERSION = "v1.8.0";
export const OPENTOFU_MODULE = "github.com/opentofu/opentofu";
export const OPENTOFU_VERSION = "v1.6.3";

export function burstHome(): string {
  return process.env.BURST_HOME || join(homedir(), ".burst");
}

export function cacheRoot(): string {
  return join(burstHome(), "cache");
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Log "still <what> (N s)" every `everyMs` until stopped: long silent steps (pip, go) show life. */
function heartbeat(log: Log, what: string | (() => string), everyMs = 15_000): () => void {
  const began = Date.now();
  const describe = typeof what === "string" ? () => what : what;
  const t = setInterval(() => log(`  still ${describe()} (${seconds(Date.now() - began)})`), everyMs);
  t.unref();
  return () => clearInterval(t);
}

async function mustRun(
  cmd: string,
  args: string[],
  opts: Parameters<typeof run>[2] & { what: string; hint?: string },
): Promise<RunResult> {
  let result: RunResult;
  try {
    result = await run(cmd, args, opts);
  } catch (e) {
    throw infraError(`${opts.what}: ${(e as Error).message}`, {
      hint: opts.hint,
      cause: e,
    });
  }
  if (result.code !== 0 || result.timedOut) {
    throw infraError(`${opts.what} failed: ${describeFailure(formatCommand(cmd, args), result)}`, { hint: opts.hint });
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Spark

export interface SparkRuntime {
  /** SPARK_HOME: has bin/spark-submit, bin/spark-class, jars/. */
  readonly sparkHome: string;
  readonly sparkSubmit: string;
  readonly sparkClass: string;
  /** Spark version found in jars/ (equals the requested one for the cached install). */
  readonly sparkVersion: string;
  /** Hadoop client version inside the Spark jars (hadoop-client-api-<v>.jar). */
  readonly hadoopVersion: string;
  /** Python for PYSPARK_PYTHON (driver and executors): pyspark is importable with it. */
  readonly pythonExec: string;
  /** s3a jars that are not in SPARK_HOME/jars (only for a Spark burst did not install): put them on extraClassPath. */
  readonly extraJars: readonly string[];
  /** Python packages burst installed for PYSPARK_PYTHON beside pyspark (none for a Spark it did not install). */
  readonly pythonPackages: readonly string[];
  readonly source: "SPARK_HOME" | "PATH" | "cache";
}

interface InstallRecord {
  sparkVersion: string;
  hadoopVersion: string;
  /** Relative to the install dir. */
  sparkHome: string;
  pythonExec: string;
  pythonVersion: string;
  jars: { coordinate: string; file: string }[];
  /** The node runtime's Python packages installed beside pyspark (absent: an install from before they were). */
  pythonPackages?: string[];
  installedAt: string;
  timingsMs: Record<string, number>;
}

const INSTALL_RECORD = "burst-install.json";

function hadoopVersionOf(sparkHome: string, files: string[]): string {
  const m = files.map((f) => /^hadoop-client-api-(.+)\.jar$/.exec(f)).find(Boolean);
  if (!m?.[1]) {
    throw infraError(`no hadoop-client-api-*.jar in ${join(sparkHome, "jars")}: cannot tell which hadoop-aws matches`, {
      hint: "use a Spark built with Hadoop 3 (the pyspark package from PyPI is)",
    });
  }
  return m[1];
}

function sparkVersionOf(files: string[]): string | undefined {
  return files.map((f) => /^spark-core_[\d.]+-(.+)\.jar$/.exec(f)).find(Boolean)?.[1];
}

/** s3a jars for a Hadoop version, downloaded into the maven cache (sha1-verified). */
async function s3aJars(hadoopVersion: string, log: Log): Promise<{ coordinate: Coordinate; file: string }[]> {
  const mavenCache = join(cacheRoot(), "maven");
  const hadoopAws: Coordinate = {
    groupId: "org.apache.hadoop",
    artifactId: "hadoop-aws",
    version: hadoopVersion,
  };
  // The resolution is remembered, so a warm call (e.g. with an external SPARK_HOME) needs no network.
  const resolved = join(mavenCache, "resolved", `hadoop-aws-${hadoopVersion}.json`);
  type Jars = { coordinate: Coordinate; file: string }[];
  const known = await readFile(resolved, "utf8").then(
    (t) => JSON.parse(t) as Jars,
    () => undefined,
  );
  if (known?.every((j) => existsSync(j.file))) return known;
  const sdk = await awsSdkBundleFor(hadoopAws);
  log(`s3a: ${formatCoordinate(hadoopAws)} needs ${formatCoordinate(sdk)} (from its POM)`);
  const out: Jars = [];
  for (const c of [hadoopAws, sdk]) out.push({ coordinate: c, file: await cachedArtifact(mavenCache, c, log) });
  await mkdir(dirname(resolved), { recursive: true });
  const tmp = `${resolved}.${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(out, null, 2)}\n`);
  await rename(tmp, resolved);
  return out;
}

/** spark-hadoop-cloud for a Spark version of a known line: binds Spark SQL writes to the S3A magic committer. */
export function committerCoordinate(line: SparkLine, sparkVersion: string): Coordinate {
  return {
    groupId: "org.apache.spark",
    artifactId: `spark-hadoop-cloud_${line.scala}`,
    version: hadoopCloudVersion(line, sparkVersion),
  };
}

async function committerJar(
  line: SparkLine,
  sparkVersion: string,
  log: Log,
): Promise<{ coordinate: Coordinate; file: string }> {
  const coordinate = committerCoordinate(line, sparkVersion);
  return { coordinate, file: await cachedArtifact(join(cacheRoot(), "maven"), coordinate, log) };
}

/** Hard-link (else copy) cached jars into SPARK_HOME/jars. */
async function placeJars(
  home: string,
  jars: readonly { coordinate: Coordinate; file: string }[],
): Promise<InstallRecord["jars"]> {
  const placed: InstallRecord["jars"] = [];
  for (const j of jars) {
    const target = join(home, "jars", basename(j.file));
    await rm(target, { force: true });
    await link(j.file, target).catch(() => copyFile(j.file, target));
    placed.push({ coordinate: formatCoordinate(j.coordinate), file: basename(j.file) });
  }
  return placed;
}

function pythonNextTo(sparkHome: string): string | undefined {
  // <prefix>/lib/pythonX.Y/site-packages/pyspark -> <prefix>/bin/pythonX.Y
  const m = /^(.*)\/lib\/(python\d+\.\d+)\/site-packages\/pyspark$/.exec(sparkHome);
  if (!m) return undefined;
  for (const name of [m[2] ?? "", "python3", "python"]) {
    const p = join(m[1] ?? "", "bin", name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

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

function pythonHint(): string {
  return "apt-get install -y python3 python3-venv (or set BURST_PYTHON to a python3 with the venv module)";
}

async function findPython(log: Log): Promise<{ python: string; version: string }> {
  const candidates = [process.env.BURST_PYTHON, "python3", "python"].filter((c): c is string => Boolean(c));
  for (const c of candidates) {
    const p = which(c);
    if (!p) continue;
    const r = await run(p, ["-c", "import sys, venv; print('%d.%d.%d' % sys.version_info[:3])"], {
      timeoutMs: 30_000,
    }).catch(() => undefined);
    if (r?.code === 0) return { python: p, version: r.stdout.trim() };
    log(`python: ${p} cannot create venvs (${(r?.stderr ?? "").trim().split("\n").pop() ?? "failed"})`);
  }
  throw infraError("no usable python3 (with the venv module) to install pyspark", { hint: pythonHint() });
}

async function checkJava(): Promise<string> {
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, "bin", "java") : which("java");
  if (!java || !existsSync(java)) {
    throw infraError("Java is needed to run Spark and was not found", {
      hint: "apt-get install -y openjdk-17-jre-headless",
    });
  }
  return java;
}

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

// ---------------------------------------------------------------------------------------------
// Go-built tools (versitygw, OpenTofu)

/** The module version recorded in a Go binary's build info ("mod\t<module>\t<version>"), without needing go. */
export async function goBinaryModuleVersion(binary: string, module: string): Promise<string | undefined> {
  let buf: Buffer;
  try {
    buf = await readFile(binary);
  } catch {
    return undefined;
  }
  const needle = Buffer.from(`mod\t${module}\t`);
  const at = buf.indexOf(needle);
  if (at === -1) return undefined;
  const start = at + needle.length;
  let end = start;
  while (end < buf.length && end - start < 100 && buf[end] !== 0x09 && buf[end] !== 0x0a) end++;
  return buf.subarray(start, end).toString("utf8");
}

function goHint(pkg: string, version: string, bin: string): string {
  return [
    "install Go 1.21 or newer (https://go.dev/doc/install; Debian: apt-get install -y golang-go, if its version is new enough), then:",
    `GOBIN=${join(cacheRoot(), "bin")} go install ${pkg}@${version}`,
    `(or put a ${bin} binary on PATH)`,
  ].join("\n  ");
}

/** `go install pkg@version` into <cache>/bin, atomically and once; returns the binary path. */
async function goInstall(pkg: string, module: string, version: string, bin: string, log: Log): Promise<string> {
  const binDir = join(cacheRoot(), "bin");
  const target = join(binDir, bin);
  // A sidecar records what the binary is, so a warm check does not read 80 MB of binary.
  const sidecar = `${target}.burst.json`;
  const ok = async () => {
    if (!existsSync(target)) return false;
    const rec = await readFile(sidecar, "utf8").then(
      (t) => JSON.parse(t) as { module?: string; version?: string },
      () => undefined,
    );
    if (rec) return rec.module === module && rec.version === version;
    const found = await goBinaryModuleVersion(target, module); // built by hand or by an older burst
    if (found === version) await writeFile(sidecar, `${JSON.stringify({ module, version })}\n`).catch(() => {});
    return found === version;
  };
  if (await ok()) return target;
  const go = which("go") ?? (existsSync("/usr/local/go/bin/go") ? "/usr/local/go/bin/go" : undefined);
  if (!go)
    throw infraError(`${bin} ${version} is not installed and go is not available to build it`, {
      hint: goHint(pkg, version, bin),
    });
  await mkdir(binDir, { recursive: true });
  return withLock(join(binDir, `.${bin}.lock`), { what: `${bin} ${version}`, log }, async () => {
    if (await ok()) return target;
    const stage = join(binDir, `.build-${bin}`);
    await sweepTempSiblings(stage);
    const tmp = await tempSibling(stage);
    const began = Date.now();
    log(`${bin}: go install ${pkg}@${version} (first time only; a few minutes)`);
    let modules = 0;
    const stop = heartbeat(log, () => `building ${bin} (${modules} modules downloaded so far)`);
    try {
      await mustRun(go, ["install", `${pkg}@${version}`], {
        what: `go install ${pkg}@${version}`,
        hint: goHint(pkg, version, bin),
        timeoutMs: 30 * 60_000,
        // Static binaries; GOFLAGS cleared so a caller's -mod=vendor etc. cannot break a module install.
        env: {
          GOBIN: tmp,
          CGO_ENABLED: "0",
          GOFLAGS: "-buildvcs=false",
          GO111MODULE: "on",
        },
        onLine: (line) => {
          if (line.startsWith("go: downloading")) modules++;
          else log(`  go: ${line}`);
        },
      });
      const built = join(tmp, bin);
      if (!existsSync(built)) throw infraError(`go install ${pkg}@${version} produced no ${bin} binary`);
      await rm(sidecar, { force: true });
      await commitInstall(built, target);
      await writeFile(
        sidecar,
        `${JSON.stringify({ module, version, builtAt: new Date().toISOString(), buildMs: Date.now() - began })}\n`,
      );
    } finally {
      stop();
      await rm(tmp, { recursive: true, force: true });
    }
    log(`${bin}: built ${version} in ${seconds(Date.now() - began)} (${modules} modules downloaded) -> ${target}`);
    return target;
  });
}

// ---------------------------------------------------------------------------------------------
// S3 API server

export interface S3ServerRuntime {
  readonly binary: string;
  readonly version: string;
}

/** versitygw (posix backend: objects are plain files under <dir>/<bucket>/<key>) at the pinned version. */
export async function ensureS3Server(log: Log): Promise<S3ServerRuntime> {
  const binary = await goInstall(
    `${VERSITYGW_MODULE}/cmd/versitygw`,
    VERSITYGW_MODULE,
    VERSITYGW_VERSION,
    "versitygw",
    log,
  );
  return { binary, version: VERSITYGW_VERSION };
}

// ---------------------------------------------------------------------------------------------
// terraform / OpenTofu

export interface TerraformRuntime {
  readonly binary: string;
  readonly name: "terraform" | "tofu";
  readonly version: string;
}

async function identifyTerraform(binary: string): Promise<TerraformRuntime> {
  let r: RunResult;
  try {
    r = await run(binary, ["version"], {
      env: { CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" },
      timeoutMs: 60_000,
    });
  } catch (e) {
    throw infraError(`${binary} version: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const m = /^(Terraform|OpenTofu) v(\S+)/m.exec(r.stdout);
  if (r.code !== 0 || !m?.[2])
    throw infraError(`${binary} is not terraform or OpenTofu: ${describeFailure(`${binary} version`, r)}`);
  return {
    binary,
    name: m[1] === "OpenTofu" ? "tofu" : "terraform",
    version: m[2],
  };
}

/**
 * TERRAFORM_BINARY_NAME (a name on PATH or a path) when set; else terraform on PATH; else tofu on
 * PATH or in the cache; else OpenTofu built with `go install` into the cache.
 */
export async function ensureTerraform(log: Log): Promise<TerraformRuntime> {
  const chosen = process.env.TERRAFORM_BINARY_NAME;
  if (chosen) {
    const p = which(chosen);
    if (!p) {
      throw infraError(
        `TERRAFORM_BINARY_NAME=${chosen} is not ${chosen.includes("/") ? "an executable file" : "on PATH"}`,
        {
          hint: "install it, or unset TERRAFORM_BINARY_NAME to let burst use terraform/tofu from PATH or build OpenTofu",
        },
      );
    }
    return identifyTerraform(p);
  }
  const found = which("terraform") ?? which("tofu");
  if (found) return identifyTerraform(found);
  const cached = join(cacheRoot(), "bin", "tofu");
  if (existsSync(cached)) return identifyTerraform(cached);
  log("terraform: neither terraform nor tofu is on PATH; building OpenTofu");
  const binary = await goInstall(`${OPENTOFU_MODULE}/cmd/tofu`, OPENTOFU_MODULE, OPENTOFU_VERSION, "tofu", log);
  return identifyTerraform(binary);
}

// ---------------------------------------------------------------------------------------------
// sshd

export interface SshdRuntime {
  readonly sshd: string;
  /** ssh-keygen, for host keys (same package family: openssh-client, a dependency of openssh-server). */
  readonly sshKeygen?: string;
}

export async function ensureSshd(): Promise<SshdRuntime> {
  const sshd = ["/usr/sbin/sshd", "/usr/local/sbin/sshd"].find((p) => which(p)) ?? which("sshd");
  if (!sshd)
    throw infraError("sshd (OpenSSH server) is needed by the local target and was not found", {
      hint: "apt-get install -y openssh-server",
    });
  return { sshd, sshKeygen: which("ssh-keygen") };
}
