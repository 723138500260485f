// Spark configuration shared by every target: the local stack writes it to the run's
// SPARK_CONF_DIR, the aws bootstrap writes the same text on each node. One renderer, so the
// local end-to-end tests exercise the configuration AWS nodes get.
import { randomBytes } from "node:crypto";
import { shellQuote } from "../../src/util/shell.ts";

export interface S3AccessConfig {
  /** Custom S3 endpoint (local S3 server); absent on AWS, where the regional endpoint is used. */
  readonly endpoint?: string;
  /** Path-style addressing, needed by S3 servers that are not virtual-host aware. */
  readonly pathStyle: boolean;
  /** fs.s3a.endpoint.region: the run's region on AWS, a fixed name for the local S3 server. */
  readonly region: string;
}

export interface SparkDefaultsInput {
  readonly s3: S3AccessConfig;
  /** Folder (absolute path on the master) for Spark's event log. */
  readonly eventLogDir: string;
  /** Extra settings from parameters; the job's own conf goes on spark-submit instead. */
  readonly extra?: Readonly<Record<string, string>>;
}

/**
 * s3a outputs commit through the S3A magic committer (spark-hadoop-cloud): tasks write pending
 * multipart uploads that only the job commit completes, so a lost executor or a failed job leaves
 * no visible part files. Other schemes fall back to FileOutputCommitter through the same protocol.
 */
export const magicCommitter: Readonly<Record<string, string>> = {
  "spark.hadoop.fs.s3a.committer.name": "magic",
  "spark.hadoop.fs.s3a.committer.magic.enabled": "true",
  "spark.hadoop.mapreduce.outputcommitter.factory.scheme.s3a": "org.apache.hadoop.fs.s3a.commit.S3ACommitterFactory",
  "spark.sql.sources.commitProtocolClass": "org.apache.spark.internal.io.cloud.PathOutputCommitProtocol",
  "spark.sql.parquet.output.committer.class": "org.apache.spark.internal.io.cloud.BindingParquetOutputCommitter",
};

/**
 * A worker sent SIGPWR (the spot watcher, stacks/shared/node/spot-watch.sh) decommissions
 * gracefully: no new tasks, its shuffle and cached RDD blocks migrate to the other workers.
 */
export const decommissionOnSignal: Readonly<Record<string, string>> = {
  "spark.decommission.enabled": "true",
  "spark.storage.decommission.enabled": "true",
  "spark.storage.decommission.shuffleBlocks.enabled": "true",
  "spark.storage.decommission.rddBlocks.enabled": "true",
};

/**
 * spark-defaults.conf. Credentials are never written here: S3A's default provider chain reads
 * them from the environment (local target) or the instance profile (aws).
 */
export function renderSparkDefaults(input: SparkDefaultsInput): string {
  const conf: Record<string, string> = {
    "spark.eventLog.enabled": "true",
    "spark.eventLog.dir": `file://${input.eventLogDir}`,
    // Rolling: closed files are complete JSON, so a crashed or killed job still leaves a log `burst ui` can show.
    "spark.eventLog.rolling.enabled": "true",
    "spark.eventLog.rolling.maxFileSize": "16m",
    "spark.hadoop.fs.s3a.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
    "spark.hadoop.fs.s3a.fast.upload": "true",
    // Keep directory markers instead of deleting every parent marker after each write. Faster on
    // AWS (Hadoop 3.3.1+ clients all understand kept markers), and required by S3 servers that
    // map keys to a real file tree (versitygw's posix backend, the local target): there a marker
    // is a directory, and deleting "out/" while out/part-00000 exists fails with
    // ErrDirectoryNotEmpty, which S3A retries until the job hangs.
    "spark.hadoop.fs.s3a.directory.marker.retention": "keep",
    // RDD saveAsTextFile (old mapred API) still uses FileOutputCommitter: the magic committer binds only DataFrame writes.
    "spark.hadoop.mapreduce.fileoutputcommitter.algorithm.version": "2",
    "spark.hadoop.fs.s3a.endpoint.region": input.s3.region,
    ...magicCommitter,
    ...decommissionOnSignal,
    // Every RPC between daemons, executors and the driver proves the run's secret; the node role
    // appends spark.authenticate.secret from a 0600 file that never passes through a stack.
    "spark.authenticate": "true",
  };
  if (input.s3.endpoint !== undefined) {
    conf["spark.hadoop.fs.s3a.endpoint"] = input.s3.endpoint;
    conf["spark.hadoop.fs.s3a.connection.ssl.enabled"] = String(input.s3.endpoint.startsWith("https:"));
  }
  conf["spark.hadoop.fs.s3a.path.style.access"] = String(input.s3.pathStyle);
  Object.assign(conf, input.extra ?? {});
  const lines = Object.entries(conf).map(([key, value]) => `${key} ${value}`);
  return `# Written by burst. The job's own conf is passed on spark-submit.\n${lines.join("\n")}\n`;
}

/** A run's Spark authentication secret: 256 random bits in hex, made per run, never in a stack. */
export function newSparkAuthSecret(): string {
  return randomBytes(32).toString("hex");
}

/** The spark-defaults line that carries the secret, as the node role appends it (role.sh). */
export function sparkAuthSecretLine(secret: string): string {
  return `spark.authenticate.secret ${secret}\n`;
}

export interface SparkEnvInput {
  readonly javaHome?: string;
  /** File with `export AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=...` (local target only, mode 0600). */
  readonly credentialsFile?: string;
  readonly pysparkPython: string;
}

/** spark-env.sh, sourced by every Spark launcher script on the node. */
export function renderSparkEnv(input: SparkEnvInput): string {
  const lines = ["# Written by burst.", `export PYSPARK_PYTHON=${shellQuote(input.pysparkPython)}`];
  if (input.javaHome) lines.push(`export JAVA_HOME=${shellQuote(input.javaHome)}`);
  if (input.credentialsFile) {
    const file = shellQuote(input.credentialsFile);
    lines.push(`# S3 credentials are read from a 0600 file, never written into this one.`);
    lines.push(`if [ -r ${file} ]; then . ${file}; fi`);
  }
  return `${lines.join("\n")}\n`;
}

/** log4j2.properties: Spark's own chatter at WARN so the job's output stays readable. */
export function renderLog4j2(level: "error" | "warn" | "info" | "debug" = "warn"): string {
  return [
    "# Written by burst.",
    `rootLogger.level = ${level}`,
    "rootLogger.appenderRef.stdout.ref = console",
    "appender.console.type = Console",
    "appender.console.name = console",
    "appender.console.target = SYSTEM_ERR",
    "appender.console.layout.type = PatternLayout",
    "appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n",
    // Standalone drivers race their own RPC shutdown and log a stack trace Spark then ignores
    // ("Inbox: Ignoring error ... RejectedExecutionException"); it says nothing about the job.
    "logger.inbox.name = org.apache.spark.rpc.netty.Inbox",
    "logger.inbox.level = off",
    "",
  ].join("\n");
}
