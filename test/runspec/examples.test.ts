// The pipeline and legacy examples are valid specs, and resolve to what their comments promise.

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { loadSpec } from "../../src/runspec/load.ts";
import { OPTIONS } from "./helpers.ts";

const EXAMPLES = fileURLToPath(new URL("../../examples/", import.meta.url));
const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");

describe("examples/pipeline/spark.yml", async () => {
  const file = join(EXAMPLES, "pipeline", "spark.yml");
  const spec = await loadSpec(file, OPTIONS);

  it("runs two steps, the first retried once, with an onError", () => {
    assert.deepEqual(
      spec.steps.map((step) => [step.name, step.type, step.retries]),
      [
        ["count", "pyspark", 1],
        ["check", "shell", 0],
      ],
    );
    assert.equal(spec.onError?.entrypoint, "pipeline/job/on-error.sh");
  });

  it("points at job files that exist in the repository", () => {
    for (const step of [...spec.steps, spec.onError]) {
      const path = join(spec.code.repo, spec.code.subdirectory, step?.entrypoint ?? "");
      assert.ok(existsSync(path), `${path} is missing`);
    }
  });

  it("has a big environment beside it", async () => {
    const big = await loadSpec(file, { ...OPTIONS, environment: "big" });
    assert.equal(big.cluster.workers, 3);
    assert.deepEqual(big.steps[0]?.conf, { "spark.executor.memory": "1g" });
    assert.deepEqual(big.tags, { team: "data-science", size: "big" });
  });
});

describe("examples/legacy/spark.yml", () => {
  const file = join(EXAMPLES, "legacy", "spark.yml");

  for (const [block, name, workers, partitions, spark, warnings] of [
    ["pi", "pi", 1, "8", "3.5.3", 2],
    ["pi_large", "pi-large", 2, "32", OPTIONS.defaults.spark, 3],
  ] as const) {
    it(`translates block ${block}`, async () => {
      const spec = await loadSpec(file, { ...OPTIONS, block });
      assert.equal(spec.name, name);
      assert.equal(spec.code.repo, REPO_ROOT);
      assert.equal(spec.job.type, "pyspark");
      assert.deepEqual(spec.job.args, [partitions]);
      assert.equal(spec.cluster.workers, workers);
      assert.equal(spec.cluster.spark, spark);
      assert.equal(spec.warnings.length, warnings);
      assert.ok(existsSync(join(spec.code.repo, spec.job.entrypoint)));
    });
  }

  it("passes pi_report's ;-separated values as its one argument, naming the bucket in it", async () => {
    const spec = await loadSpec(file, { ...OPTIONS, block: "pi_report" });
    assert.deepEqual(spec.job.args, ["4;50000;s3a://burst-data/legacy/pi-report/"]);
    assert.ok(spec.buckets.includes("burst-data"));
    assert.deepEqual(spec.warnings, []);
  });

  it("runs pi_jar's class from a jar", async () => {
    const spec = await loadSpec(file, { ...OPTIONS, block: "pi_jar" });
    assert.equal(spec.job.type, "jar");
    assert.equal(spec.job.class, "example.LegacyPi");
    assert.ok(existsSync(join(REPO_ROOT, "examples/legacy/jar/src/example/LegacyPi.java")));
  });
});
