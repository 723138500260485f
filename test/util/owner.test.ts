import assert from "node:assert/strict";
import { userInfo } from "node:os";
import { test } from "node:test";
import { runOwner } from "../../src/util/owner.ts";

test("a run's owner is BURST_OWNER when set, else the login name (an empty BURST_OWNER counts as unset)", () => {
  assert.equal(runOwner({ BURST_OWNER: "alice" }), "alice");
  assert.equal(runOwner({}), userInfo().username);
  assert.equal(runOwner({ BURST_OWNER: "" }), userInfo().username);
});
