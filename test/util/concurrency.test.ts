import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { chunks, Limiter, mapLimit, sleep } from "../../src/util/concurrency.ts";

/** An action that counts how many run at once and finishes after `ms`. */
function gauge() {
  let inFlight = 0;
  let most = 0;
  const started: number[] = [];
  const track = async <T>(item: number, ms: number, result: () => T): Promise<T> => {
    started.push(item);
    inFlight++;
    most = Math.max(most, inFlight);
    try {
      await sleep(ms);
      return result();
    } finally {
      inFlight--;
    }
  };
  return { track, started, most: () => most, inFlight: () => inFlight };
}

describe("mapLimit", () => {
  test("never more than the limit in flight, every item done, results in input order", async () => {
    const { track, most } = gauge();
    const items = Array.from({ length: 12 }, (_, i) => i);
    // Later items finish first: the results must still come back in input order.
    const results = await mapLimit(items, 3, (item) => track(item, 12 - item, () => item * 10));
    assert.equal(most(), 3);
    assert.deepEqual(
      results,
      items.map((item) => item * 10),
    );
  });

  test("starts items in input order and passes each its index", async () => {
    const { track, started } = gauge();
    const indexes: number[] = [];
    await mapLimit(["a", "b", "c", "d", "e"], 2, (item, index) => {
      indexes.push(index);
      return track(index, 1, () => item);
    });
    assert.deepEqual(started, [0, 1, 2, 3, 4]);
    assert.deepEqual(indexes, [0, 1, 2, 3, 4]);
  });

  test("the first failure rejects, stops new items from starting, and waits for those in flight", async () => {
    const { track, started, inFlight } = gauge();
    const items = Array.from({ length: 10 }, (_, i) => i);
    await assert.rejects(
      mapLimit(items, 3, (item) =>
        track(item, item === 1 ? 5 : 30, () => {
          if (item === 1) throw new Error("item 1 failed");
          if (item === 2) throw new Error("item 2 failed later");
          return item;
        }),
      ),
      /item 1 failed/,
    );
    // 0, 1 and 2 started together; 1 failed first, so 3 (next in line) never started.
    assert.deepEqual(started, [0, 1, 2]);
    assert.equal(inFlight(), 0, "nothing was left running behind the rejection");
  });

  test("an empty list, and a limit below one (treated as one)", async () => {
    assert.deepEqual(await mapLimit([], 4, async () => 1), []);
    const { track, most } = gauge();
    assert.deepEqual(await mapLimit([1, 2, 3], 0, (item) => track(item, 1, () => item)), [1, 2, 3]);
    assert.equal(most(), 1);
  });
});

describe("Limiter", () => {
  test("shares one budget between callers that arrive over time, first come first served", async () => {
    const limiter = new Limiter(2);
    const { track, started, most } = gauge();
    const runs = [0, 1, 2, 3, 4].map((item) => limiter.run(() => track(item, 10, () => item)));
    assert.deepEqual(await Promise.all(runs), [0, 1, 2, 3, 4]);
    assert.equal(most(), 2);
    assert.deepEqual(started, [0, 1, 2, 3, 4]);
  });

  test("a failed action gives its slot back", async () => {
    const limiter = new Limiter(1);
    await assert.rejects(
      limiter.run(async () => {
        throw new Error("boom");
      }),
      /boom/,
    );
    assert.equal(await limiter.run(async () => "next"), "next");
  });
});

test("sleep ends early when its signal aborts, and at once when it already has", async () => {
  const controller = new AbortController();
  const began = Date.now();
  setTimeout(() => controller.abort(), 10);
  await sleep(10_000, controller.signal);
  assert.ok(Date.now() - began < 1000, "the abort cut the sleep short");
  const again = Date.now();
  await sleep(10_000, controller.signal);
  assert.ok(Date.now() - again < 100);
});

test("chunks splits into arrays of at most the size", () => {
  assert.deepEqual(chunks([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
  assert.deepEqual(chunks([], 3), []);
});
