// Ctrl-C, SIGTERM and SIGHUP during a run, delivered to this process for real: the first stops the
// run (its work is aborted, teardown goes on), the second says what is still running, the third quits.
import assert from "node:assert/strict";
import { once } from "node:events";
import { describe, test } from "node:test";
import { watchInterrupts } from "../../src/lifecycle/interrupts.ts";

/** Delivers `signal` to this process and lets its handlers run. */
async function deliver(signal: NodeJS.Signals): Promise<void> {
  const handled = once(process, signal);
  // A signal listener does not keep the event loop alive while the signal is on its way.
  const keepAlive = setTimeout(() => {}, 10_000);
  process.kill(process.pid, signal);
  await handled.finally(() => clearTimeout(keepAlive));
}

describe("watchInterrupts", () => {
  for (const first of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    test(`a first ${first} aborts the run's signal and is remembered as what stopped it`, async () => {
      let seconds = 0;
      const interrupts = watchInterrupts({ onSecond: () => seconds++, onThird: () => assert.fail("not a third") });
      try {
        assert.equal(interrupts.signal.aborted, false);
        assert.equal(interrupts.received(), undefined);
        await deliver(first);
        assert.equal(interrupts.signal.aborted, true);
        assert.equal((interrupts.signal.reason as Error).message, `received ${first}`);
        assert.equal(interrupts.received(), first);
        assert.equal(seconds, 0, "the first signal only asks the run to stop");
      } finally {
        interrupts.dispose();
      }
    });
  }

  test("the second signal (of any kind) warns, the third quits", async () => {
    const calls: string[] = [];
    const interrupts = watchInterrupts({
      onSecond: () => calls.push("second"),
      onThird: () => calls.push("third"),
    });
    try {
      await deliver("SIGINT");
      assert.deepEqual(calls, []);
      await deliver("SIGTERM");
      assert.deepEqual(calls, ["second"]);
      await deliver("SIGINT");
      assert.deepEqual(calls, ["second", "third"]);
      assert.equal(interrupts.received(), "SIGINT", "the first signal is the one reported");
    } finally {
      interrupts.dispose();
    }
  });

  test("dispose gives the signals back: after the run, Ctrl-C is the process's own again", () => {
    const before = ["SIGINT", "SIGTERM", "SIGHUP"].map((signal) => process.listenerCount(signal));
    const interrupts = watchInterrupts({ onSecond: () => {}, onThird: () => {} });
    assert.deepEqual(
      ["SIGINT", "SIGTERM", "SIGHUP"].map((signal) => process.listenerCount(signal)),
      before.map((count) => count + 1),
    );
    interrupts.dispose();
    assert.deepEqual(
      ["SIGINT", "SIGTERM", "SIGHUP"].map((signal) => process.listenerCount(signal)),
      before,
    );
  });
});
