"""Generates the ML example's data: customers of a phone plan and whether they churned.

Synthetic and seeded (the same rows every run), written as CSV with a header to the path given:
an s3a:// prefix (run as a burst step, written through Spark) or a local folder.

    spark-submit generate_data.py s3a://burst-data/ml/customers/ [rows]
"""

import sys

import numpy as np
from pyspark.sql import SparkSession

PLANS = ["basic", "plus", "premium"]


def customers(rows: int, seed: int = 7):
    rng = np.random.default_rng(seed)
    plan = rng.choice(PLANS, size=rows, p=[0.5, 0.3, 0.2])
    tenure = rng.integers(1, 72, size=rows)
    minutes = rng.gamma(shape=4.0, scale=60.0, size=rows).round(1)
    calls = rng.poisson(lam=1.5, size=rows)
    # Churn grows with support calls, shrinks with tenure and with richer plans.
    plan_effect = np.select([plan == "basic", plan == "plus"], [0.6, 0.0], default=-0.8)
    logit = -1.2 + 0.9 * calls - 0.05 * tenure + plan_effect + rng.normal(0, 0.5, size=rows)
    churned = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    for i in range(rows):
        yield (f"c{i:05d}", str(plan[i]), int(tenure[i]), float(minutes[i]), int(calls[i]), int(churned[i]))


def main(out: str, rows: int) -> None:
    spark = SparkSession.builder.appName("ml-generate-data").getOrCreate()
    columns = ["customer_id", "plan", "tenure_months", "monthly_minutes", "support_calls", "churned"]
    frame = spark.createDataFrame(list(customers(rows)), columns)
    frame.coalesce(1).write.mode("overwrite").option("header", True).csv(out)
    churn_rate = frame.agg({"churned": "avg"}).first()[0]
    print(f"generated {rows} customers (churn rate {churn_rate:.2f}) -> {out}")
    spark.stop()


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: generate_data.py <out: s3a://bucket/prefix/ or a folder> [rows]")
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) == 3 else 5000)
