import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { synthClusterForBench } from "../../../stacks/aws/bench.ts";

describe("synthClusterForBench", () => {
  it("writes the stack and counts its resources, the same for 1 and 1000 workers", () => {
    const one = synthClusterForBench(1);
    const thousand = synthClusterForBench(1000);
    assert.ok(one.resourceCount > 0 && one.ms > 0);
    assert.equal(thousand.resourceCount, one.resourceCount);
  });
});
