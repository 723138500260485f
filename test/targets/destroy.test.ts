// component: terraform (applies and destroys a tiny stack of terraform_data)
// Target.destroy, the one destroy every target shares (src/terraform/destroy.ts): on a real stack
// applied with the real terraform (one terraform_data whose destroy provisioner stops a detached
// process), it stops what the stack started and empties the state, and a destroy that fails
// throws with the state still holding the cluster.

import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { resourcesInState } from "../../src/fleet/status.ts";
import { loadTarget, targetNames } from "../../src/targets/index.ts";
import type { TerraformEvent } from "../../src/terraform/events.ts";
import { createLocalRun, deadPid, killLeftoverNodes, makeHome, processRunning } from "../fleet/local-runs.ts";

const homes: string[] = [];
after(async () => {
  for (const dir of homes) {
    await killLeftoverNodes(dir);
    await rm(dir, { recursive: true, force: true });
  }
});

/** Whether the process is gone within a few seconds (a killed process takes a moment to exit on a busy machine). */
async function exits(pid: number): Promise<boolean> {
  for (let waited = 0; waited < 5_000; waited += 50) {
    if (!processRunning(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

async function appliedRun(failingDestroy = false) {
  const home = await makeHome();
  homes.push(home);
  return createLocalRun(home, { runId: "run-applied", pid: await deadPid(), expiresInMinutes: 60, failingDestroy });
}

describe("Target.destroy", () => {
  for (const name of targetNames) {
    test(`${name}: stops what the stack started and leaves an empty state`, async () => {
      const run = await appliedRun();
      const events: TerraformEvent[] = [];
      const logFile = join(run.record.runDir, "terraform.log");
      const target = await loadTarget(name);
      await target.destroy(
        {
          stackDir: run.record.stackDir,
          runDir: run.record.runDir,
          terraformBinary: run.record.terraformBinary,
          logFile,
        },
        (event) => events.push(event),
      );
      assert.ok(await exits(run.nodePid), "the node process still runs");
      assert.equal(await resourcesInState(run.record.stackDir), 0);
      assert.ok(events.length > 0, "terraform's events reach the caller");
    });
  }

  test("a destroy that fails throws, and the state still holds the cluster", async () => {
    const run = await appliedRun(true);
    const target = await loadTarget("local");
    await assert.rejects(
      target.destroy(
        { stackDir: run.record.stackDir, runDir: run.record.runDir, terraformBinary: run.record.terraformBinary },
        () => {},
      ),
      /destroy/i,
    );
    assert.equal(await resourcesInState(run.record.stackDir), 1);
    assert.equal(processRunning(run.nodePid), true, "a failed destroy stopped the node anyway");
  });
});
