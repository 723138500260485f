// What the S3A magic committer costs against the FileOutputCommitter (algorithm 2) burst used
// before, on the local target's real parts: versitygw and the cached Spark (local[2]), one
// Spark session writing the same DataFrame to s3a:// alternately with each, timed in the driver.
// The bench's committerCost section (`npm run bench -- --only committerCost`).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { ensureSpark } from "../../src/targets/local/spark.ts";
import { run } from "../../src/util/exec.ts";
import { renderSparkDefaults, renderSparkEnv } from "../../stacks/shared/spark-conf.ts";
import { startS3Server } from "../servers/s3server.ts";
import { type Sample, sample } from "./stats.ts";

const JOB_PY = `
import json, sys, time
from pyspark.sql import SparkSession
base, files, rows, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
spark = SparkSession.builder.appName("burst-committer-cost").getOrCreate()
hconf = spark.sparkContext._jsc.hadoopConfiguration()
df = spark.range(0, rows, numPartitions=files).selectExpr("id", "cast(id * 7 as string) as s").cache()
df.count()
def use(mode):
    if mode == "magic":
        spark.conf.set("spark.sql.sources.commitProtocolClass", "org.apache.spark.internal.io.cloud.PathOutputCommitProtocol")
        spark.conf.set("spark.sql.parquet.output.committer.class", "org.apache.spark.internal.io.cloud.BindingParquetOutputCommitter")
    else:
        spark.conf.set("spark.sql.sources.commitProtocolClass", "org.apache.spark.sql.execution.datasources.SQLHadoopMapReduceCommitProtocol")
        spark.conf.set("spark.sql.parquet.output.committer.class", "org.apache.parquet.hadoop.ParquetOutputCommitter")
        hconf.set("mapreduce.fileoutputcommitter.algorithm.version", "2")
times = {"magic": [], "file-v2": []}
for rep in range(reps + 1):
    for mode in ("file-v2", "magic"):
        use(mode)
        began = time.time()
        df.write.mode("overwrite").parquet("%s/%s-%d/" % (base, mode, rep))
        if rep > 0:  # the first round warms both paths up
            times[mode].append(time.time() - began)
print("BURST_COMMITTER_COST=" + json.dumps(times))
spark.stop()
`;

export interface CommitterCostResult {
  readonly files: number;
  readonly rows: number;
  /** Seconds per write, one per measured round (the first round warms both paths up, unmeasured). */
  readonly fileV2: Sample;
  readonly magic: Sample;
  /** magic / file-v2, per round. */
  readonly ratio: Sample;
}

export interface CommitterCostSize {
  readonly files: number;
  readonly rows: number;
  readonly rounds: number;
}

export const fullCommitterSize: CommitterCostSize = { files: 16, rows: 400_000, rounds: 3 };
export const quickCommitterSize: CommitterCostSize = { files: 4, rows: 40_000, rounds: 1 };

export async function measureCommitterCost(
  size: CommitterCostSize,
  log: (line: string) => void,
): Promise<CommitterCostResult> {
  const spark = await ensureSpark("3.5.3", log);
  const s3 = await startS3Server({ log: () => {} });
  const work = await mkdtemp(join(tmpdir(), "burst-committer-cost-"));
  try {
    await s3.client().send(new CreateBucketCommand({ Bucket: "bench" }));
    await writeFile(
      join(work, "spark-defaults.conf"),
      renderSparkDefaults({
        s3: { endpoint: s3.endpoint, pathStyle: true, region: s3.region },
        eventLogDir: work,
      }).replace("spark.eventLog.enabled true", "spark.eventLog.enabled false"),
    );
    await writeFile(join(work, "spark-env.sh"), renderSparkEnv({ pysparkPython: spark.pythonExec }));
    await writeFile(join(work, "job.py"), JOB_PY);
    const result = await run(
      spark.sparkSubmit,
      [
        "--master",
        "local[2]",
        "--conf",
        "spark.ui.enabled=false",
        join(work, "job.py"),
        "s3a://bench",
        String(size.files),
        String(size.rows),
        String(size.rounds),
      ],
      {
        cwd: work,
        timeoutMs: 20 * 60_000,
        env: {
          SPARK_HOME: spark.sparkHome,
          SPARK_CONF_DIR: work,
          PYSPARK_PYTHON: spark.pythonExec,
          SPARK_LOCAL_IP: "127.0.0.1",
          AWS_ACCESS_KEY_ID: s3.accessKeyId,
          AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
          AWS_SESSION_TOKEN: undefined,
          AWS_PROFILE: undefined,
        },
      },
    );
    const line = result.stdout.split("\n").find((l) => l.startsWith("BURST_COMMITTER_COST="));
    if (result.code !== 0 || !line) throw new Error(`spark-submit failed:\n${result.stderr.slice(-3000)}`);
    const times = JSON.parse(line.slice("BURST_COMMITTER_COST=".length)) as Record<"magic" | "file-v2", number[]>;
    const fileV2 = times["file-v2"];
    log(
      `  file-v2 ${fileV2.map((x) => x.toFixed(2)).join(", ")} s; magic ${times.magic.map((x) => x.toFixed(2)).join(", ")} s`,
    );
    return {
      files: size.files,
      rows: size.rows,
      fileV2: sample(fileV2),
      magic: sample(times.magic),
      ratio: sample(times.magic.map((magic, round) => magic / (fileV2[round] ?? Number.NaN))),
    };
  } finally {
    await s3.stop();
    await rm(work, { recursive: true, force: true });
  }
}
