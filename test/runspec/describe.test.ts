// describeSpec: the resolved spec as `burst validate` prints it, with secrets hidden.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { describeSpec } from "../../src/runspec/describe.ts";
import { DEFAULTS, parse } from "./helpers.ts";

const spec = parse(`name: wordcount
code: { repo: "https://deploy:ghp_s3cr3t@github.com/org/jobs.git", ref: v1.2.0 }
job:
  type: pyspark
  entrypoint: main.py
  args: [--db, "jdbc:postgresql://app:pa55@db.internal/prod", s3a://raw-data/in/]
  conf:
    spark.hadoop.fs.s3a.secret.key: abc123
    spark.hadoop.fs.s3a.access.key: AKIAEXAMPLE
    spark.executor.memory: 2g
  env:
    API_TOKEN: tok-123
    DB_PASSWORD: hunter2
    AWS_CREDENTIALS_FILE: /secrets/aws
    LOG_LEVEL: info
`);
const text = describeSpec(spec);
const shown = parseYaml(text);

describe("describeSpec", () => {
  it("is YAML of the resolved spec, defaults included", () => {
    assert.equal(shown.name, "wordcount");
    assert.equal(shown.code.ref, "v1.2.0");
    assert.equal(shown.cluster.workers, DEFAULTS.workers);
    assert.equal(shown.results, DEFAULTS.results);
    assert.deepEqual(shown.buckets, spec.buckets);
  });

  it("names the file it was resolved from in a comment, not as a key", () => {
    assert.ok(text.startsWith(`# resolved from ${spec.source.file} (sha256 ${spec.source.sha256.slice(0, 12)})\n`));
    assert.equal(shown.source, undefined);
  });

  it("hides credentials in the repository URL", () => {
    assert.equal(shown.code.repo, "https://***@github.com/org/jobs.git");
  });

  it("hides credentials in URLs among the job's arguments", () => {
    assert.deepEqual(shown.job.args, ["--db", "jdbc:postgresql://***@db.internal/prod", "s3a://raw-data/in/"]);
  });

  it("hides conf and env values whose key looks secret", () => {
    assert.deepEqual(shown.job.conf, {
      "spark.hadoop.fs.s3a.secret.key": "***",
      "spark.hadoop.fs.s3a.access.key": "***",
      "spark.executor.memory": "2g",
    });
    assert.deepEqual(shown.job.env, {
      API_TOKEN: "***",
      DB_PASSWORD: "***",
      AWS_CREDENTIALS_FILE: "***",
      LOG_LEVEL: "info",
    });
  });

  it("never prints a secret anywhere", () => {
    for (const secret of ["ghp_s3cr3t", "pa55", "abc123", "AKIAEXAMPLE", "tok-123", "hunter2"]) {
      assert.ok(!text.includes(secret), `${secret} leaked:\n${text}`);
    }
  });

  it("leaves the spec itself untouched", () => {
    assert.equal(spec.job.env.API_TOKEN, "tok-123");
    assert.equal(spec.code.repo, "https://deploy:ghp_s3cr3t@github.com/org/jobs.git");
  });
});
