// bootWithOneRetry (test/helpers/boot-retry.ts), the booted-node test's retry, on attempts
// that succeed or fail on cue: a retry happens only for an environment that never reached the
// code under test, is recorded either way, is never done twice, and any other failure (a
// container that could not even be started included) surfaces as itself.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type BootAttempt, bootWithOneRetry } from "./boot-retry.ts";

class Stuck extends Error {}

/** Runs bootWithOneRetry over `outcomes` (an error to throw, or undefined for ready), one per attempt. */
function boots(outcomes: readonly (Error | undefined)[]) {
  const attempts: BootAttempt[] = [];
  const calls: number[] = [];
  let retries = 0;
  const done = bootWithOneRetry(
    attempts,
    async (number) => {
      calls.push(number);
      const outcome = outcomes[number - 1];
      if (outcome) throw outcome;
    },
    (error) => (error instanceof Stuck ? "burst-master never reached cloud-init's final stage" : undefined),
    async () => {
      retries++;
    },
  );
  return { done, attempts, calls, retries: () => retries };
}

describe("bootWithOneRetry", () => {
  test("a first boot that is ready is recorded once, with no retry", async () => {
    const run = boots([undefined]);
    await run.done;
    assert.deepEqual(run.calls, [1]);
    assert.deepEqual(
      run.attempts.map((a) => a.outcome),
      ["ready"],
    );
  });

  test("a first boot stuck before the code under test is retried once, and both are recorded", async () => {
    const run = boots([new Stuck("no key"), undefined]);
    await run.done;
    assert.deepEqual(run.calls, [1, 2]);
    assert.equal(run.retries(), 1);
    assert.deepEqual(
      run.attempts.map((a) => a.outcome),
      ["burst-master never reached cloud-init's final stage", "ready"],
    );
  });

  test("stuck twice in a row fails, naming both attempts; there is no third", async () => {
    const run = boots([new Stuck("no key"), new Stuck("no key again"), undefined]);
    await assert.rejects(
      run.done,
      /boot attempt 2 of 2: burst-master never reached .* \(attempt 1: burst-master never/,
    );
    assert.deepEqual(run.calls, [1, 2]);
    assert.equal(run.attempts.length, 2);
  });

  test("a boot that throws is reported as itself, not retried", async () => {
    const own = new Error("systemd-nspawn: cannot open the root");
    const run = boots([own]);
    await assert.rejects(run.done, (error) => error === own);
    assert.deepEqual(run.calls, [1]);
    assert.equal(run.retries(), 0);
    assert.deepEqual(
      run.attempts.map((a) => a.outcome),
      ["failed: systemd-nspawn: cannot open the root"],
    );
  });
});
