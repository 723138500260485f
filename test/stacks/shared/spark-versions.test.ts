import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hadoopCloudVersion, SPARK_LINES, sparkLine } from "../../../stacks/shared/spark-versions.ts";

describe("spark-hadoop-cloud release for a Spark version", () => {
  const line = sparkLine("3.5.3");
  assert.ok(line);

  it("is the version itself when Apache published it", () => {
    for (const version of ["3.5.1", "3.5.4", "3.5.8"]) assert.equal(hadoopCloudVersion(line, version), version);
  });

  it("is the newest published release below an unpublished patch, else the oldest above", () => {
    assert.equal(hadoopCloudVersion(line, "3.5.3"), "3.5.1");
    assert.equal(hadoopCloudVersion(line, "3.5.6"), "3.5.5");
    assert.equal(hadoopCloudVersion(line, "3.5.9"), "3.5.8");
    assert.equal(hadoopCloudVersion(line, "3.5.0"), "3.5.1");
  });

  it("exists for every supported line", () => {
    for (const l of SPARK_LINES) assert.ok(l.hadoopCloudVersions.length > 0, l.line);
  });
});
