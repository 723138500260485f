// Hints read from a failed job's own output: what the error means for this cluster, in one line.

import { sparkLine } from "../../stacks/shared/spark-versions.ts";

/** A JVM linkage error on a scala.* symbol: the classic sign of a jar built for another Scala binary version. */
const SCALA_LINKAGE = /java\.lang\.(NoSuchMethodError|NoClassDefFoundError)[:\s]+(.*\bscala[./].*)$/;

/** Symbols only Scala 2.13 has (its new collections and converters). */
const ONLY_IN_2_13 = /ArraySeq|LazyList|IterableOnce|scala[./]jdk[./]|scala[./]collection[./]immutable[./]Seq\b/;

/** The first Scala linkage error in a job's output lines, as "<Error>: <symbol>". */
export function scalaLinkageError(line: string): string | undefined {
  const match = SCALA_LINKAGE.exec(line);
  return match ? `${match[1]}: ${match[2]?.trim()}` : undefined;
}

/** Which Scala the jar was most likely built for, given the symbol the cluster's Scala lacks. */
function jarScalaGuess(error: string, clusterScala: string | undefined): string {
  if (ONLY_IN_2_13.test(error) && clusterScala !== "2.13") return "Scala 2.13";
  if (clusterScala === "2.13") return "Scala 2.12";
  if (clusterScala === "2.12") return "another Scala binary version (2.13 or 2.11)";
  return "another Scala binary version";
}

/** The hint for a step that died of `error` (from scalaLinkageError) on a cluster running Spark `spark`. */
export function scalaMismatchHint(error: string, spark: string): string {
  const clusterScala = sparkLine(spark)?.scala;
  const cluster = clusterScala ? `Scala ${clusterScala}` : "its own Scala version";
  const rebuild = clusterScala
    ? `rebuild it against Scala ${clusterScala} (dependencies named _${clusterScala})`
    : "rebuild it";
  return `${error}: the jar looks built for ${jarScalaGuess(error, clusterScala)}, but the cluster's Spark ${spark} runs ${cluster}; ${rebuild}`;
}
