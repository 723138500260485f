import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { BurstError } from "../../src/errors.ts";
import { enforceCostLimit } from "../../src/lifecycle/cost-limit.ts";
import type { Spec } from "../../src/runspec/types.ts";
import type { PreparedCluster } from "../../src/targets/contract.ts";

const spec = (maxCostUsd: number | undefined) =>
  ({ maxCostUsd, source: { file: "spark.yml", maxCostUsdAt: { file: "spark.yml", line: 6 } } }) as unknown as Spec;
const prepared = (cost: Partial<PreparedCluster>) => cost as PreparedCluster;

describe("maxCostUsd against the target's estimate", () => {
  test("a run under the limit, or without one, passes", () => {
    enforceCostLimit(spec(5), prepared({ costUsd: 4.99 }));
    enforceCostLimit(spec(undefined), prepared({ costUnknown: "no price" }));
  });

  test("an estimate above the limit is refused", () => {
    assert.throws(
      () => enforceCostLimit(spec(1), prepared({ costUsd: 2 })),
      (error: BurstError) => error.message === "estimated cost $2.00 is above maxCostUsd $1.00",
    );
  });

  test("no estimate is refused with the target's reason and the target's hint", () => {
    assert.throws(
      () => enforceCostLimit(spec(1), prepared({ costUnknown: "no price for x9", costUnknownHint: "add the price" })),
      (error: BurstError) =>
        error.message === "maxCostUsd is set, but this run's cost cannot be estimated: no price for x9" &&
        error.hint === "add the price, or remove maxCostUsd",
    );
    assert.throws(
      () => enforceCostLimit(spec(1), prepared({})),
      (error: BurstError) =>
        error.message.endsWith("cannot be estimated: the target gives no estimate") &&
        error.hint === "remove maxCostUsd",
    );
  });
});
