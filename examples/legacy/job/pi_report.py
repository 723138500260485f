"""Estimates pi and writes the estimate to S3: a legacy job whose one argument carries several.

The old setup passed spark_job_args as ONE argument, so jobs that needed several values took
them `;`-separated: "<partitions>;<samples per partition>;<s3a:// output prefix>".
"""

import random
import sys
from operator import add

from pyspark.sql import SparkSession


def inside(_: int) -> int:
    x, y = random.random(), random.random()
    return 1 if x * x + y * y <= 1 else 0


def main(arg: str) -> None:
    parts = arg.split(";")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        sys.exit(f"usage: pi_report.py '<partitions>;<samples>;<s3a://out/>', got {arg!r}")
    partitions, samples, out = int(parts[0]), int(parts[1]), parts[2]
    spark = SparkSession.builder.appName("pi-report").getOrCreate()
    total = partitions * samples
    hits = spark.sparkContext.parallelize(range(total), partitions).map(inside).reduce(add)
    estimate = 4.0 * hits / total
    spark.createDataFrame([(partitions, samples, estimate)], ["partitions", "samples", "pi"]).coalesce(1).write.mode(
        "overwrite"
    ).json(out)
    print(f"pi_report: {estimate:.5f} from {partitions} partitions x {samples} samples -> {out}")
    spark.stop()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: pi_report.py '<partitions>;<samples>;<s3a://out/>' (one argument)")
    main(sys.argv[1])
