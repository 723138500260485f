// Where results and inputs go in S3, and what a store that cannot be reached does to a run: it is
// retried with growing waits, then an infrastructure error (exit 3) saying what could not be done.
// Real S3 behaviour (uploads, multipart, buckets) is tested against a real S3 server:
// test/targets/local/runtime.test.ts and test/stacks/aws/role-downloads.test.ts.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { BurstError } from "../../src/errors.ts";
import { joinKey, ObjectStore, parseS3Uri } from "../../src/storage/s3.ts";

describe("parseS3Uri", () => {
  test("splits s3:// and s3a:// URIs into bucket and key", () => {
    assert.deepEqual(parseS3Uri("s3://burst-results/wordcount/run-1/"), {
      bucket: "burst-results",
      key: "wordcount/run-1/",
    });
    assert.deepEqual(parseS3Uri("s3a://data/in/text.txt"), { bucket: "data", key: "in/text.txt" });
  });

  test("a bucket alone is its root", () => {
    assert.deepEqual(parseS3Uri("s3://burst-results"), { bucket: "burst-results", key: "" });
    assert.deepEqual(parseS3Uri("s3://burst-results/"), { bucket: "burst-results", key: "" });
  });

  test("anything else is bad input that quotes it", () => {
    for (const uri of ["https://burst-results.s3.amazonaws.com/x", "s3://", "burst-results/x", ""]) {
      assert.throws(
        () => parseS3Uri(uri),
        (error: unknown) =>
          error instanceof BurstError && error.exitCode === 2 && error.message === `"${uri}" is not an s3:// URI`,
        uri,
      );
    }
  });
});

describe("joinKey", () => {
  test("joins parts with one slash, whatever slashes they bring", () => {
    assert.equal(joinKey("wordcount/", "/run-1/", "logs/driver.log"), "wordcount/run-1/logs/driver.log");
    assert.equal(joinKey("a//", "//b"), "a/b");
  });

  test("empty parts (a bucket root) add nothing", () => {
    assert.equal(joinKey("", "run-1", ""), "run-1");
    assert.equal(joinKey("", ""), "");
  });
});

describe("ObjectStore with a store that cannot be reached", () => {
  // Port 1 on loopback: nothing listens, each connection is refused at once.
  const unreachable = {
    region: "us-east-1",
    endpoint: "http://127.0.0.1:1",
    forcePathStyle: true,
    credentials: { accessKeyId: "test", secretAccessKey: "test-secret" },
  };

  test("retries the whole operation with doubling waits, then fails with exit 3 naming it", async () => {
    const retries: [number, number][] = [];
    const store = new ObjectStore(unreachable, {
      attempts: 3,
      firstDelayMs: 5,
      onRetry: (attempt, _error, delayMs) => retries.push([attempt, delayMs]),
    });
    try {
      const error = await store.ensureBuckets(["burst-results"]).then(
        () => assert.fail("an unreachable store must fail"),
        (caught: unknown) => caught as BurstError,
      );
      assert.ok(error instanceof BurstError);
      assert.equal(error.exitCode, 3);
      assert.match(error.message, /^could not create bucket burst-results after 3 attempts: /);
      assert.deepEqual(retries, [
        [1, 5],
        [2, 10],
      ]);
      assert.doesNotMatch(error.render(), /test-secret/);
    } finally {
      store.destroy();
    }
  });

  test("an upload that cannot reach the store names the object it was writing", async () => {
    const dir = await mkdtemp(join(tmpdir(), "burst-s3-"));
    const store = new ObjectStore(unreachable, { attempts: 2, firstDelayMs: 1 });
    try {
      await writeFile(join(dir, "driver.log"), "a log line\n");
      await assert.rejects(
        store.uploadPath(join(dir, "driver.log"), parseS3Uri("s3://burst-results/run-1/driver.log")),
        (error: unknown) => {
          assert.ok(error instanceof BurstError);
          assert.equal(error.exitCode, 3);
          assert.match(error.message, /s3:\/\/burst-results\/run-1\/driver\.log/);
          assert.match(error.message, /after 2 attempts/);
          return true;
        },
      );
    } finally {
      store.destroy();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
