// The Spark a local run uses, wherever it came from: found on the machine (spark.ts) or installed
// into the burst cache (spark-install.ts).

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
