"""Word count: reads text files under an s3a:// prefix, writes (word, count) CSV to another.

The same code runs on the local target and on AWS: only the S3 endpoint differs, and burst
configures that in spark-defaults.conf, not here.
"""

import sys

from pyspark.sql import SparkSession
from pyspark.sql import functions as F


def main(source: str, destination: str) -> None:
    spark = SparkSession.builder.appName("wordcount").getOrCreate()
    lines = spark.read.text(source)
    words = lines.select(F.explode(F.split(F.lower(F.col("value")), r"[^a-z']+")).alias("word"))
    counts = words.where(F.col("word") != "").groupBy("word").count().orderBy(F.desc("count"), "word")
    counts.coalesce(1).write.mode("overwrite").option("header", True).csv(destination)
    top = counts.limit(5).collect()
    print("top words: " + ", ".join(f"{row['word']}={row['count']}" for row in top))
    print(f"distinct words: {counts.count()}")
    spark.stop()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: wordcount.py <s3a://input/> <s3a://output/>")
    main(sys.argv[1], sys.argv[2])
