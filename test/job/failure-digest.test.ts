// The failure digest read from real job logs: each fixture under test/fixtures/job-logs/ is what a
// failing burst on the local target wrote (made by test/fixtures/job-logs/capture.sh).
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { digestLines, type FailedAttempt, failureDigest } from "../../src/job/failure-digest.ts";
import type { JobType } from "../../src/runspec/types.ts";

const fixtures = join(import.meta.dirname, "..", "fixtures", "job-logs");

function captured(name: string, jobType: JobType, extra: Partial<FailedAttempt> = {}): FailedAttempt {
  const read = (stream: string) => {
    const file = join(fixtures, name, `${stream}.log`);
    return existsSync(file) ? readFileSync(file, "utf8").split("\n") : [];
  };
  const attempt = {
    jobType,
    stdout: read("stdout"),
    stderr: read("stderr"),
    exitCode: 1,
    timedOut: false,
    timeoutMinutes: 0,
    ...extra,
  };
  assert.ok(attempt.stdout.length + attempt.stderr.length > 2, `fixture ${name} has output`);
  return attempt;
}

describe("failure digest", () => {
  test("a Python exception in the driver: its type and message, and the job's own file:line, not PySpark's", () => {
    const digest = failureDigest(captured("python", "pyspark"));
    assert.equal(digest.kind, "python-exception");
    assert.equal(digest.exception, "ValueError: could not convert string to float: 'n/a'");
    assert.equal(digest.at, "etl/clean.py:5 in parse_amount");
    assert.equal(digest.stage, undefined);
    assert.equal(
      digest.summary,
      "ValueError: could not convert string to float: 'n/a' at etl/clean.py:5 in parse_amount",
    );
  });

  test("a Python exception on the executors: the executor's exception (not py4j's wrapper), the job's line, the failed task", () => {
    const digest = failureDigest(captured("executor", "pyspark"));
    assert.equal(digest.kind, "python-exception");
    assert.equal(digest.exception, "KeyError: 'no weight for customer 7'");
    assert.equal(digest.at, "scores.py:8 in score");
    assert.equal(digest.stage, "task 1 in stage 0.0 failed 4 times (last: TID 4 on executor 0, 127.0.0.1)");
  });

  test("an exception thrown in a jar: the JVM exception, its root cause, and the first frame in the job's classes", () => {
    const digest = failureDigest(captured("jar", "jar"));
    assert.equal(digest.kind, "jvm-exception");
    assert.equal(digest.exception, "java.lang.IllegalStateException: bad row count in config: ten");
    assert.equal(digest.cause, 'java.lang.NumberFormatException: For input string: "ten"');
    assert.equal(digest.at, "example.Ingest.parseRows(Ingest.java:10)");
  });

  test("an executor killed for memory: the executor-lost reason in words, and the stage that failed", () => {
    const digest = failureDigest(captured("oom", "pyspark"));
    assert.equal(digest.kind, "executor-lost");
    assert.equal(digest.executorLost, "out of memory (Command exited with code 52)");
    assert.equal(digest.stage, "task 0 in stage 0.0 failed 2 times (last: TID 1 on executor 0, 127.0.0.1)");
    assert.equal(digest.at, "hoard.py:6 in <module>", "the job's line that ran the action");
  });

  test("a failing shell job: its last stderr lines, the last one in the summary", () => {
    const digest = failureDigest(captured("shell", "shell", { exitCode: 2 }));
    assert.equal(digest.kind, "exit");
    assert.deepEqual(digest.lastLines, [
      "warning: west has no rows yet",
      'psql: error: connection to server at "db.internal" (10.0.3.7), port 5432 failed: Connection refused',
      "\tIs the server running on that host and accepting TCP/IP connections?",
    ]);
    assert.match(digest.summary, /^exited with code 2: \tIs the server running/);
  });

  test("a job stopped at its timeout: the limit, and the last thing it said", () => {
    const digest = failureDigest(captured("timeout", "pyspark", { exitCode: null, timedOut: true, timeoutMinutes: 1 }));
    assert.equal(digest.kind, "timeout");
    assert.equal(digest.summary, "stopped after timeoutMinutes (1)");
    assert.deepEqual(digest.lastLines, ["waiting for the upstream table"]);
  });

  test("a job that printed nothing: the exit code alone", () => {
    const digest = failureDigest({
      jobType: "shell",
      stdout: [],
      stderr: [""],
      exitCode: 137,
      timedOut: false,
      timeoutMinutes: 0,
    });
    assert.deepEqual(digest, { kind: "exit", summary: "exited with code 137" });
  });

  test("the lines a person reads: exception, where, cause, then the stage", () => {
    assert.deepEqual(digestLines(failureDigest(captured("jar", "jar"))), [
      "java.lang.IllegalStateException: bad row count in config: ten",
      "  at example.Ingest.parseRows(Ingest.java:10)",
      '  caused by java.lang.NumberFormatException: For input string: "ten"',
    ]);
    assert.deepEqual(digestLines(failureDigest(captured("oom", "pyspark"))), [
      "executor lost: out of memory (Command exited with code 52)",
      "  at hoard.py:6 in <module>",
      "  task 0 in stage 0.0 failed 2 times (last: TID 1 on executor 0, 127.0.0.1)",
    ]);
  });
});
