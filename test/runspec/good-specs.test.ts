// What a valid spark.yml resolves to: defaults from ops, normalised URIs, absolute paths, buckets.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadSpec } from "../../src/runspec/load.ts";
import { SUPPORTED_SPARK_VERSIONS } from "../../stacks/shared/spark-versions.ts";
import { DEFAULTS, FIXTURES, INLINE_FILE, MINIMAL, OPTIONS, parse } from "./helpers.ts";

describe("a minimal spec", () => {
  const spec = parse(MINIMAL);

  it("takes cluster sizes, Spark version and results from the ops defaults", () => {
    assert.equal(spec.cluster.workers, DEFAULTS.workers);
    assert.equal(spec.cluster.master.instanceType, DEFAULTS.masterInstanceType);
    assert.equal(spec.cluster.worker.instanceType, DEFAULTS.workerInstanceType);
    assert.equal(spec.cluster.spark, DEFAULTS.spark);
    assert.equal(spec.cluster.ttlMinutes, DEFAULTS.ttlMinutes);
    assert.equal(spec.cluster.diskGb, DEFAULTS.diskGb);
    assert.equal(spec.results, DEFAULTS.results);
  });

  it("fills the built-in defaults for everything else", () => {
    assert.equal(spec.target, "local");
    assert.deepEqual(spec.code, { repo: "https://github.com/org/jobs.git", ref: "HEAD", subdirectory: "" });
    assert.deepEqual(spec.job, {
      type: "pyspark",
      entrypoint: "main.py",
      args: [],
      conf: {},
      env: {},
      timeoutMinutes: 0,
    });
    assert.deepEqual(spec.cluster.worker, {
      instanceType: DEFAULTS.workerInstanceType,
      spot: false,
      spotFallback: true,
    });
    assert.deepEqual(spec.inputs, []);
    assert.deepEqual(spec.outputs, []);
    assert.deepEqual(spec.tags, {});
    assert.equal(spec.maxCostUsd, undefined);
    assert.ok(!("maxCostUsd" in spec), "absent optional keys are left out, not set to undefined");
  });

  it("needs only the buckets of the results prefix", () => {
    assert.deepEqual(spec.buckets, ["ops-results"]);
  });

  it("records where it came from and the sha256 of its text", () => {
    assert.equal(spec.source.file, INLINE_FILE);
    assert.equal(spec.source.dir, join(FIXTURES, "good"));
    assert.equal(spec.source.sha256, createHash("sha256").update(MINIMAL).digest("hex"));
  });
});

describe("values in the spec", () => {
  it("beat the ops defaults", () => {
    const spec = parse(
      `${MINIMAL}cluster: { workers: 7, spark: 3.5.3, ttlMinutes: 30, diskGb: 200 }\nresults: s3://mine/out/\n`,
    );
    assert.equal(spec.cluster.workers, 7);
    assert.equal(spec.cluster.spark, "3.5.3");
    assert.equal(spec.cluster.ttlMinutes, 30);
    assert.equal(spec.cluster.diskGb, 200);
    assert.equal(spec.results, "s3://mine/out/");
  });

  it("accept every Spark version burst can provide", () => {
    for (const version of SUPPORTED_SPARK_VERSIONS) {
      assert.equal(parse(`${MINIMAL}cluster: { spark: ${version} }\n`).cluster.spark, version);
    }
  });

  it("lose to a --target override", () => {
    const spec = parse(`${MINIMAL}target: local\n`, { ...OPTIONS, overrides: { target: "aws" } });
    assert.equal(spec.target, "aws");
  });

  it("may be null on optional keys, which then take their defaults", () => {
    const spec = parse(`${MINIMAL}target:\ncluster:\nmaxCostUsd: ~\n`);
    assert.equal(spec.target, "local");
    assert.equal(spec.cluster.workers, DEFAULTS.workers);
    assert.ok(!("maxCostUsd" in spec));
  });
});

describe("S3 locations", () => {
  const spec = parse(`name: wordcount
code: { repo: https://github.com/org/jobs.git }
job:
  type: pyspark
  entrypoint: main.py
  args: [s3a://raw-data/2024/, --out=s3://curated.data/counts/, --in, s3a://raw-data/2025/, local.txt]
inputs:
  - { from: ../data/words.txt, to: s3a://staging-in/words.txt }
results: s3a://burst-results/runs
`);

  it("written as s3a:// become s3:// outside the job's own arguments", () => {
    assert.equal(spec.inputs[0]?.to, "s3://staging-in/words.txt");
    assert.equal(spec.results, "s3://burst-results/runs/");
  });

  it("keep s3a:// in the job's arguments, where Spark needs it", () => {
    assert.equal(spec.job.args[0], "s3a://raw-data/2024/");
  });

  it("end in / when they are the results prefix", () => {
    assert.ok(spec.results.endsWith("/"));
  });

  it("name the buckets the run uses, sorted and without repeats", () => {
    assert.deepEqual(spec.buckets, ["burst-results", "curated.data", "raw-data", "staging-in"]);
  });
});

describe("paths in the spec", () => {
  it("are resolved against the spec's folder", async () => {
    const file = join(FIXTURES, "good", "spark.yml");
    const spec = await loadSpec(file, OPTIONS);
    assert.equal(spec.code.repo, join(FIXTURES, "jobs"));
    assert.equal(spec.inputs[0]?.from, join(FIXTURES, "data", "words.txt"));
    assert.equal(spec.source.file, file);
    assert.equal(spec.source.sha256, createHash("sha256").update(readFileSync(file)).digest("hex"));
  });

  it("inside the repository and the job folder are normalised", () => {
    const spec = parse(
      `${MINIMAL.replace("jobs.git }", "jobs.git, subdirectory: ./wordcount/ }")}outputs: [./out/, metrics.json]\n`,
    );
    assert.equal(spec.code.subdirectory, "wordcount");
    assert.deepEqual(spec.outputs, ["out", "metrics.json"]);
  });
});

describe("accepted forms", () => {
  const repos = [
    "https://github.com/org/jobs.git",
    "https://user:token@git.example.com/org/jobs.git",
    "git@github.com:org/jobs.git",
    "ssh://git@github.com/org/jobs.git",
    `file://${join(FIXTURES, "jobs")}`,
    "../jobs",
  ];
  for (const repo of repos) {
    it(`code.repo: ${repo}`, () => {
      assert.ok(parse(MINIMAL.replace("https://github.com/org/jobs.git", repo)).code.repo.length > 0);
    });
  }

  for (const instanceType of [
    "m5.xlarge",
    "c7gd.2xlarge",
    "r6i.metal",
    "m7i-flex.large",
    "u-6tb1.metal",
    "r7iz.metal-16xl",
  ]) {
    it(`instanceType: ${instanceType}`, () => {
      const spec = parse(`${MINIMAL}cluster: { master: { instanceType: ${instanceType} } }\n`);
      assert.equal(spec.cluster.master.instanceType, instanceType);
    });
  }

  it("workers: 0 for a shell job, which runs on the master alone", () => {
    const spec = parse(
      MINIMAL.replace("type: pyspark, entrypoint: main.py", "type: shell, entrypoint: ./run.sh").concat(
        "cluster: { workers: 0 }\n",
      ),
    );
    assert.equal(spec.cluster.workers, 0);
  });

  it("a jar job with its main class", () => {
    const spec = parse(
      MINIMAL.replace(
        "type: pyspark, entrypoint: main.py",
        "type: jar, entrypoint: wc.jar, class: com.example.WordCount",
      ),
    );
    assert.equal(spec.job.class, "com.example.WordCount");
  });

  it("spot workers with a price cap and no fallback", () => {
    const spec = parse(
      `${MINIMAL}cluster:\n  worker: { spot: true, maxPrice: 0.12, spotFallback: false, cores: 4, memory: 8g }\n`,
    );
    assert.deepEqual(spec.cluster.worker, {
      instanceType: DEFAULTS.workerInstanceType,
      spot: true,
      maxPrice: 0.12,
      spotFallback: false,
      cores: 4,
      memory: "8g",
    });
  });

  it("numbers and booleans in conf, env, tags and args, taken exactly as written", () => {
    const spec = parse(`name: wordcount
code: { repo: https://github.com/org/jobs.git }
job:
  type: pyspark
  entrypoint: main.py
  args: [0123, 1.10, true]
  conf: { spark.sql.shuffle.partitions: 64, spark.speculation: true }
  env: { RETRIES: 3 }
tags: { cost-center: 0042 }
`);
    assert.deepEqual(spec.job.args, ["0123", "1.10", "true"]);
    assert.deepEqual(spec.job.conf, { "spark.sql.shuffle.partitions": "64", "spark.speculation": "true" });
    assert.deepEqual(spec.job.env, { RETRIES: "3" });
    assert.deepEqual(spec.tags, { "cost-center": "0042" });
  });

  it("any env name, even one JavaScript treats specially, as plain data", () => {
    const spec = parse(MINIMAL.replace("entrypoint: main.py }", "entrypoint: main.py, env: { __proto__: x } }"));
    assert.equal(Object.getPrototypeOf(spec.job.env), Object.prototype);
    assert.deepEqual(Object.entries(spec.job.env), [["__proto__", "x"]]);
  });

  it("YAML anchors and aliases", () => {
    const spec = parse(`${MINIMAL}cluster:\n  master: &node { instanceType: r6i.xlarge }\n  worker: *node\n`);
    assert.equal(spec.cluster.worker.instanceType, "r6i.xlarge");
  });
});
