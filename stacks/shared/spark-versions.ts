// The Spark versions burst can provide, and what goes with each release line: the Scala binary
// version its jars are built for and the Python packages every node runs its PySpark with.
// One table read by the spec (which versions cluster.spark accepts), the local runtime (what it
// installs beside the pyspark wheel) and the AWS bootstrap (the same requirements file).

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface SparkLine {
  /** "3.5": the release line. */
  readonly line: string;
  /** Every patch release of the line burst installs: pyspark wheels on PyPI, spark-<v>-bin-hadoop3.tgz on AWS. */
  readonly versions: readonly string[];
  /** Scala binary version of the line's jars (spark-core_<scala>-<version>.jar). */
  readonly scala: string;
  /** pip requirements file (absolute path) with the node runtime's Python packages for this line. */
  readonly pythonRequirementsFile: string;
  /**
   * Releases of org.apache.spark:spark-hadoop-cloud_<scala> on Maven Central (the S3A magic
   * committer's binding). Apache skipped it for some patch releases (3.5.3 has none); its classes
   * are byte-identical across the published 3.5 ones, so an unpublished patch uses the nearest.
   */
  readonly hadoopCloudVersions: readonly string[];
}

const requirementsFile = (name: string): string => fileURLToPath(new URL(`./node-python/${name}`, import.meta.url));

/** Newest line first. */
export const SPARK_LINES: readonly SparkLine[] = [
  {
    line: "3.5",
    versions: ["3.5.0", "3.5.1", "3.5.2", "3.5.3", "3.5.4", "3.5.5", "3.5.6", "3.5.7", "3.5.8", "3.5.9"],
    scala: "2.12",
    pythonRequirementsFile: requirementsFile("spark-3.5.txt"),
    hadoopCloudVersions: ["3.5.1", "3.5.4", "3.5.5", "3.5.7", "3.5.8"],
  },
];

export const SUPPORTED_SPARK_VERSIONS: readonly string[] = SPARK_LINES.flatMap((l) => l.versions);

export function sparkLine(version: string): SparkLine | undefined {
  return SPARK_LINES.find((l) => l.versions.includes(version));
}

/**
 * The spark-hadoop-cloud release a Spark version uses: its own when published, else the newest
 * published one of its line below it, else the oldest above it.
 */
export function hadoopCloudVersion(line: SparkLine, version: string): string {
  if (line.hadoopCloudVersions.includes(version)) return version;
  const patch = (v: string) => Number(v.split(".")[2]);
  const below = line.hadoopCloudVersions.filter((v) => patch(v) < patch(version));
  const chosen = below.length > 0 ? below[below.length - 1] : line.hadoopCloudVersions[0];
  if (chosen === undefined) throw new Error(`no spark-hadoop-cloud release known for Spark line ${line.line}`);
  return chosen;
}

/** "3.5.0-3.5.9": the supported versions as short ranges, for messages and the reference doc. */
export function describeSupportedSparkVersions(): string {
  return SPARK_LINES.map((l) =>
    l.versions.length > 1 ? `${l.versions[0]}-${l.versions[l.versions.length - 1]}` : (l.versions[0] ?? ""),
  ).join(", ");
}

/** The requirement lines of a requirements file (comments and blank lines dropped). */
export function readRequirements(file: string): string[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .map((line) => line.replace(/(^|\s)#.*$/, "").trim())
    .filter((line) => line.length > 0);
}
