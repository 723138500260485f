// The jars the local Spark needs beside its own, from Maven Central through the burst cache: s3a
// (hadoop-aws for the Spark's Hadoop and the AWS SDK bundle its POM names) and spark-hadoop-cloud,
// the S3A magic committer's Spark binding.

import { existsSync } from "node:fs";
import { copyFile, link, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { hadoopCloudVersion, type SparkLine } from "../../../stacks/shared/spark-versions.ts";
import { infraError } from "../../errors.ts";
import { cacheRoot } from "../../home.ts";
import type { Log } from "../../install/command.ts";
import { awsSdkBundleFor, type Coordinate, cachedArtifact, formatCoordinate } from "../../install/maven.ts";

/** A jar placed in SPARK_HOME/jars: its Maven coordinate and file name. */
export interface PlacedJar {
  coordinate: string;
  file: string;
}

/** The Hadoop client version inside a Spark's jars/ (hadoop-client-api-<v>.jar). */
export function hadoopVersionOf(sparkHome: string, files: string[]): string {
  const m = files.map((f) => /^hadoop-client-api-(.+)\.jar$/.exec(f)).find(Boolean);
  if (!m?.[1]) {
    throw infraError(`no hadoop-client-api-*.jar in ${join(sparkHome, "jars")}: cannot tell which hadoop-aws matches`, {
      hint: "use a Spark built with Hadoop 3 (the pyspark package from PyPI is)",
    });
  }
  return m[1];
}

/** The Spark version of a jars/ listing (spark-core_<scala>-<v>.jar). */
export function sparkVersionOf(files: string[]): string | undefined {
  return files.map((f) => /^spark-core_[\d.]+-(.+)\.jar$/.exec(f)).find(Boolean)?.[1];
}

/** s3a jars for a Hadoop version, downloaded into the maven cache (sha1-verified). */
export async function s3aJars(hadoopVersion: string, log: Log): Promise<{ coordinate: Coordinate; file: string }[]> {
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

export async function committerJar(
  line: SparkLine,
  sparkVersion: string,
  log: Log,
): Promise<{ coordinate: Coordinate; file: string }> {
  const coordinate = committerCoordinate(line, sparkVersion);
  return { coordinate, file: await cachedArtifact(join(cacheRoot(), "maven"), coordinate, log) };
}

/** Hard-link (else copy) cached jars into SPARK_HOME/jars. */
export async function placeJars(
  home: string,
  jars: readonly { coordinate: Coordinate; file: string }[],
): Promise<PlacedJar[]> {
  const placed: PlacedJar[] = [];
  for (const j of jars) {
    const target = join(home, "jars", basename(j.file));
    await rm(target, { force: true });
    await link(j.file, target).catch(() => copyFile(j.file, target));
    placed.push({ coordinate: formatCoordinate(j.coordinate), file: basename(j.file) });
  }
  return placed;
}
