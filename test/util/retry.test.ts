import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BurstError } from "../../src/errors.ts";
import { backoffDelay, retry } from "../../src/util/retry.ts";

/** An action that fails `failures` times with `error`, then answers "ok"; counts its calls. */
function flaky(failures: number, error: () => unknown = () => new Error("store is down")) {
  let calls = 0;
  const action = async (attempt: number) => {
    calls++;
    assert.equal(attempt, calls, "attempts are numbered from 1");
    if (calls <= failures) throw error();
    return "ok";
  };
  return { action, calls: () => calls };
}

describe("retry", () => {
  test("tries until the action succeeds, waiting before each retry", async () => {
    const { action, calls } = flaky(2);
    const waits: [number, number][] = [];
    const answer = await retry(action, {
      what: "read the thing",
      attempts: 5,
      firstDelayMs: 1,
      onRetry: (attempt, _error, delayMs) => waits.push([attempt, delayMs]),
    });
    assert.equal(answer, "ok");
    assert.equal(calls(), 3);
    assert.deepEqual(waits, [
      [1, 1],
      [2, 2],
    ]);
  });

  test("the final error names what was tried, the attempts and the last failure, as an infrastructure error", async () => {
    const { action, calls } = flaky(10);
    const error = await retry(action, { what: "upload a.txt to s3://b/a.txt", attempts: 3, firstDelayMs: 1 }).then(
      () => assert.fail("retry resolved"),
      (thrown: unknown) => thrown,
    );
    assert.equal(calls(), 3);
    assert.ok(error instanceof BurstError);
    assert.equal(error.kind, "infrastructure");
    assert.equal(error.message, "could not upload a.txt to s3://b/a.txt after 3 attempts: store is down");
    assert.ok(error.cause instanceof Error && error.cause.message === "store is down");
  });

  test("a non-retryable error passes through at once, as it is", async () => {
    const fatal = Object.assign(new Error("access denied"), { name: "AuthFailure" });
    const { action, calls } = flaky(10, () => fatal);
    await assert.rejects(
      retry(action, {
        what: "read the console",
        attempts: 5,
        firstDelayMs: 1,
        retryable: (error) => (error as Error).name !== "AuthFailure",
      }),
      (error) => error === fatal,
    );
    assert.equal(calls(), 1);
  });

  test("the waits grow by the factor and stop growing at the cap", async () => {
    const waits: number[] = [];
    await retry(flaky(6).action, {
      what: "x",
      attempts: 7,
      firstDelayMs: 1,
      factor: 3,
      maxDelayMs: 20,
      onRetry: (_attempt, _error, delayMs) => waits.push(delayMs),
    });
    assert.deepEqual(waits, [1, 3, 9, 20, 20, 20]);
  });

  test("a deadline ends the retries, trimming the last wait to it; giveUp makes the caller's error", async () => {
    const { action, calls } = flaky(1000);
    const waits: number[] = [];
    const began = Date.now();
    const error = await retry(action, {
      what: "x",
      timeoutMs: 60,
      firstDelayMs: 25,
      onRetry: (_attempt, _error, delayMs) => waits.push(delayMs),
      giveUp: (end) => new Error(`${end.reason} after ${end.attempts}: ${(end.lastError as Error).message}`),
    }).then(
      () => assert.fail("retry resolved"),
      (thrown: unknown) => thrown as Error,
    );
    const took = Date.now() - began;
    assert.equal(error.message, `timeout after ${calls()}: store is down`);
    // Waits of 25 then 50 would pass the deadline: the second is trimmed to what is left (about 35
    // on a quiet machine, less when timers fire late on a busy one, which may also leave no second).
    assert.equal(waits.length, calls() - 1, "one wait between tries");
    assert.ok(calls() >= 2, `${calls()} tries`);
    assert.ok(waits.length < 2 || (waits[1] ?? 50) < 50, `the second wait is trimmed: ${waits.join(", ")}`);
    assert.ok(waits.reduce((sum, wait) => sum + wait, 0) <= 60, `no wait runs past the deadline: ${waits.join(", ")}`);
    assert.ok(took >= 55 && took < 500, `took ${took} ms`);
  });

  test("an abort stops the wait at once and the retries before the next try", async () => {
    const controller = new AbortController();
    const { action, calls } = flaky(1000);
    const began = Date.now();
    setTimeout(() => controller.abort(), 20);
    const error = await retry(action, {
      what: "SSH to admin@10.0.0.1:22",
      firstDelayMs: 10_000,
      signal: controller.signal,
    }).then(
      () => assert.fail("retry resolved"),
      (thrown: unknown) => thrown,
    );
    assert.ok(Date.now() - began < 1000, "the 10 s wait was cut short");
    assert.equal(calls(), 1);
    assert.ok(error instanceof BurstError);
    assert.equal(error.kind, "interrupted");
    assert.equal(error.message, "could not SSH to admin@10.0.0.1:22: interrupted");
  });

  test("an already aborted signal means no try at all", async () => {
    const { action, calls } = flaky(0);
    await assert.rejects(
      retry(action, { what: "x", firstDelayMs: 1, signal: AbortSignal.abort() }),
      /could not x: interrupted/,
    );
    assert.equal(calls(), 0);
  });
});

test("backoffDelay: jitter makes that share of the wait random, never longer than the wait itself", () => {
  const options = { firstDelayMs: 500, maxDelayMs: 2000, jitter: 0.7 };
  const delay = (attempt: number, random: number) => backoffDelay(attempt, options, () => random);
  assert.deepEqual([delay(1, 0), delay(1, 1), delay(2, 0.5), delay(5, 1)], [150, 500, 650, 2000]);
  const plain = backoffDelay(3, { firstDelayMs: 100 }, () => 0);
  assert.equal(plain, 400, "no jitter by default");
});
