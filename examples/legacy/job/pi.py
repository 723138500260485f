"""Estimates pi by sampling points in the unit square: the job of the legacy example.

The old setup passed spark_job_args as ONE argument, so this job takes one: the number of
partitions to sample in (each samples 100,000 points).
"""

import random
import sys
from operator import add

from pyspark.sql import SparkSession

SAMPLES_PER_PARTITION = 100_000


def inside(_: int) -> int:
    x, y = random.random(), random.random()
    return 1 if x * x + y * y <= 1 else 0


def main(partitions: int) -> None:
    spark = SparkSession.builder.appName("pi").getOrCreate()
    total = partitions * SAMPLES_PER_PARTITION
    hits = spark.sparkContext.parallelize(range(total), partitions).map(inside).reduce(add)
    print(f"pi is roughly {4.0 * hits / total:.5f} ({total} samples in {partitions} partitions)")
    spark.stop()


if __name__ == "__main__":
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.exit("usage: pi.py <partitions>")
    main(int(sys.argv[1]))
