"""Trains a churn model with pyspark.ml on a CSV in S3 and writes predictions back to S3.

    spark-submit train.py s3a://burst-data/ml/customers/ s3a://burst-data/ml/predictions/

StringIndexer + OneHotEncoder for the plan, VectorAssembler for the numbers, LogisticRegression;
evaluated on a held-out fifth (area under ROC). A pandas UDF (pandas + pyarrow on the
executors) turns each probability into a risk band. Metrics go to metrics/metrics.json, which
the spec keeps with the run's results.
"""

import json
import os
import sys

import pandas as pd
from pyspark.ml import Pipeline
from pyspark.ml.classification import LogisticRegression
from pyspark.ml.evaluation import BinaryClassificationEvaluator
from pyspark.ml.feature import OneHotEncoder, StringIndexer, VectorAssembler
from pyspark.ml.functions import vector_to_array
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.functions import pandas_udf
from pyspark.sql.types import StringType


@pandas_udf(StringType())
def risk_band(probability: pd.Series) -> pd.Series:
    return pd.cut(probability, bins=[-0.01, 0.3, 0.6, 1.0], labels=["low", "medium", "high"]).astype(str)


def main(source: str, out: str) -> None:
    spark = SparkSession.builder.appName("ml-train").getOrCreate()
    data = spark.read.option("header", True).option("inferSchema", True).csv(source)
    train, test = data.randomSplit([0.8, 0.2], seed=42)

    pipeline = Pipeline(
        stages=[
            StringIndexer(inputCol="plan", outputCol="plan_index", handleInvalid="keep"),
            OneHotEncoder(inputCols=["plan_index"], outputCols=["plan_vector"]),
            VectorAssembler(
                inputCols=["plan_vector", "tenure_months", "monthly_minutes", "support_calls"], outputCol="features"
            ),
            LogisticRegression(featuresCol="features", labelCol="churned", maxIter=50),
        ]
    )
    model = pipeline.fit(train)
    scored = model.transform(test)
    auc = BinaryClassificationEvaluator(labelCol="churned").evaluate(scored)

    probability = vector_to_array("probability")[1]
    predictions = scored.select(
        "customer_id",
        "plan",
        "churned",
        F.col("prediction").cast("int").alias("predicted"),
        probability.cast("decimal(5,4)").alias("churn_probability"),
        risk_band(probability).alias("risk"),
    )
    predictions.coalesce(1).write.mode("overwrite").option("header", True).csv(out)

    accuracy = predictions.where(F.col("predicted") == F.col("churned")).count() / predictions.count()
    bands = {row["risk"]: row["count"] for row in predictions.groupBy("risk").count().collect()}
    metrics = {"rows_train": train.count(), "rows_test": test.count(), "auc": round(auc, 4),
               "accuracy": round(accuracy, 4), "risk_bands": bands}
    os.makedirs("metrics", exist_ok=True)
    with open("metrics/metrics.json", "w", encoding="utf-8") as f:
        json.dump(metrics, f, indent=2, sort_keys=True)
    print(f"model: AUC {auc:.3f}, accuracy {accuracy:.3f} on {metrics['rows_test']} held-out customers")
    print(f"predictions -> {out}")
    spark.stop()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: train.py <customers CSV: s3a://...> <predictions out: s3a://...>")
    main(sys.argv[1], sys.argv[2])
