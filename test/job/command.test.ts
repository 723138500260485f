// What runs on the master for each kind of job: the argv (never a shell string) and the
// environment every job is told.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type JobContext, jobLaunch } from "../../src/job/command.ts";
import type { JobSpec } from "../../src/runspec/types.ts";

const context: JobContext = {
  name: "wordcount",
  runId: "20261122-030101-a1b2",
  step: "count",
  sparkMasterUrl: "spark://10.0.0.5:7077",
  resultsUri: "s3://burst-results/wordcount/20261122-030101-a1b2/",
};

const job = (changes: Partial<JobSpec>): JobSpec => ({
  type: "pyspark",
  entrypoint: "wordcount.py",
  args: [],
  conf: {},
  env: {},
  timeoutMinutes: 0,
  ...changes,
});

describe("jobLaunch", () => {
  test("a pyspark job is spark-submit in client mode on the cluster's master, named for the run and step", () => {
    const launch = jobLaunch(
      job({ args: ["s3://in/text", "--top", "10"], conf: { "spark.executor.memory": "2g" } }),
      context,
    );
    assert.deepEqual(launch.argv, [
      "spark-submit",
      "--master",
      "spark://10.0.0.5:7077",
      "--deploy-mode",
      "client",
      "--name",
      "wordcount-count-20261122-030101-a1b2",
      "--conf",
      "spark.executor.memory=2g",
      "wordcount.py",
      "s3://in/text",
      "--top",
      "10",
    ]);
  });

  test("a jar job names its main class before the jar", () => {
    const launch = jobLaunch(job({ type: "jar", entrypoint: "etl.jar", class: "com.acme.Etl", args: ["x"] }), context);
    assert.deepEqual(launch.argv.slice(-4), ["--class", "com.acme.Etl", "etl.jar", "x"]);
    assert.equal(launch.argv[0], "spark-submit");
  });

  test("a shell job runs its script with bash, arguments kept apart (no shell string)", () => {
    const launch = jobLaunch(job({ type: "shell", entrypoint: "run.sh", args: ["a b", "$HOME; rm -rf /"] }), context);
    assert.deepEqual(launch.argv, ["bash", "run.sh", "a b", "$HOME; rm -rf /"]);
  });

  test("every job is told its run, step, results folder and master; the spec's env is kept", () => {
    const launch = jobLaunch(job({ env: { LEVEL: "debug", BURST_STEP: "spoofed" } }), context);
    assert.deepEqual(launch.env, {
      LEVEL: "debug",
      BURST_RUN_ID: "20261122-030101-a1b2",
      BURST_STEP: "count",
      BURST_RESULTS: "s3://burst-results/wordcount/20261122-030101-a1b2/",
      SPARK_MASTER_URL: "spark://10.0.0.5:7077",
    });
  });

  test("packages and jars go to spark-submit as comma-separated lists", () => {
    const launch = jobLaunch(job({}), context, {
      packages: ["org.apache.spark:spark-avro_2.12:3.5.1", "io.delta:delta-spark_2.12:3.1.0"],
      jars: ["/opt/burst/run/jars/a.jar", "/opt/burst/run/jars/b.jar"],
    });
    const at = (flag: string) => launch.argv[launch.argv.indexOf(flag) + 1];
    assert.equal(at("--packages"), "org.apache.spark:spark-avro_2.12:3.5.1,io.delta:delta-spark_2.12:3.1.0");
    assert.equal(at("--jars"), "/opt/burst/run/jars/a.jar,/opt/burst/run/jars/b.jar");
  });

  test("without dependencies there is no --packages or --jars", () => {
    const { argv } = jobLaunch(job({}), context);
    assert.ok(!argv.includes("--packages"));
    assert.ok(!argv.includes("--jars"));
  });

  test("pip requirements reach the driver by PYTHONPATH and the executors as an archive, beside the spec's own archives", () => {
    const launch = jobLaunch(job({ conf: { "spark.archives": "s3a://b/env.tar.gz#env" } }), context, {
      packages: [],
      jars: [],
      pythonPath: "/opt/burst/run/pydeps",
    });
    assert.equal(launch.env.PYTHONPATH, "/opt/burst/run/pydeps");
    const confs = launch.argv.flatMap((arg, index) => (launch.argv[index - 1] === "--conf" ? [arg] : []));
    assert.deepEqual(confs, [
      "spark.archives=s3a://b/env.tar.gz#env,/opt/burst/run/pydeps.zip#burst-pydeps",
      "spark.executorEnv.PYTHONPATH=burst-pydeps",
    ]);
  });

  test("a shell job with pip requirements gets PYTHONPATH too", () => {
    const launch = jobLaunch(job({ type: "shell", entrypoint: "run.sh" }), context, {
      packages: [],
      jars: [],
      pythonPath: "/opt/burst/run/pydeps",
    });
    assert.equal(launch.env.PYTHONPATH, "/opt/burst/run/pydeps");
    assert.deepEqual(launch.argv, ["bash", "run.sh"]);
  });
});
