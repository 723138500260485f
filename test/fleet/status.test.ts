// component: terraform
// burst status <run-id>: the record, what the terraform state still holds, age and time to TTL.

import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { Writable } from "node:stream";
import { after, describe, test } from "node:test";
import { resolveCliParams } from "../../src/cli/validate.ts";
import { BurstError } from "../../src/errors.ts";
import { gc } from "../../src/fleet/gc.ts";
import { showStatus, statusOf } from "../../src/fleet/status.ts";
import { createLocalRun, deadPid, killLeftoverNodes, liveOwner, makeHome } from "./local-runs.ts";

const homes: string[] = [];
const owners: { stop: () => void }[] = [];
after(async () => {
  for (const dir of homes) {
    await killLeftoverNodes(dir);
    await rm(dir, { recursive: true, force: true });
  }
  for (const owner of owners) owner.stop();
});
const home = async () => {
  const dir = await makeHome();
  homes.push(dir);
  return dir;
};

function captured(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString("utf8") };
}

describe("statusOf", () => {
  test("a running run: its cluster is up, with age and time left", async () => {
    const burstHome = await home();
    const owner = liveOwner();
    owners.push(owner);
    const { record } = await createLocalRun(burstHome, { runId: "run-a", pid: owner.pid, expiresInMinutes: 60 });
    const now = new Date();
    const status = await statusOf(burstHome, "run-a", now);

    assert.equal(status.state, "running");
    assert.equal(status.cluster, "up");
    assert.equal(status.resourcesInState, 1);
    assert.equal(status.ageSeconds, Math.round((now.getTime() - Date.parse(record.startedAt)) / 1000));
    assert.ok(status.expiresInSeconds > 3500 && status.expiresInSeconds <= 3600, String(status.expiresInSeconds));
    assert.equal(status.expired, false);
    assert.deepEqual(status.record, record);
  });

  test("an orphaned run, before and after gc", async () => {
    const burstHome = await home();
    await createLocalRun(burstHome, { runId: "run-b", pid: await deadPid(), expiresInMinutes: -1 });
    const before = await statusOf(burstHome, "run-b");
    assert.equal(before.state, "orphaned");
    assert.equal(before.cluster, "up");
    assert.equal(before.expired, true);
    assert.ok(before.expiresInSeconds < 0);

    await gc({ burstHome, dryRun: false, sink: () => {}, env: {}, params: () => resolveCliParams(undefined, {}) });
    const afterwards = await statusOf(burstHome, "run-b");
    assert.equal(afterwards.cluster, "destroyed");
    assert.equal(afterwards.resourcesInState, 0);
  });

  test("an unknown run id is bad input (exit 2)", async () => {
    const burstHome = await home();
    for (const runId of ["no-such-run", "../../etc"]) {
      await assert.rejects(statusOf(burstHome, runId), (error: unknown) => {
        assert.ok(error instanceof BurstError);
        assert.equal(error.kind, "bad-input");
        assert.equal(error.exitCode, 2);
        return true;
      });
    }
  });
});

describe("showStatus", () => {
  test("prints one JSON object with --json, and a readable table otherwise", async () => {
    const burstHome = await home();
    await createLocalRun(burstHome, {
      runId: "run-c",
      pid: await deadPid(),
      expiresInMinutes: 30,
      kept: true,
      outcome: "succeeded",
    });
    const json = captured();
    assert.equal(await showStatus(burstHome, "run-c", { json: true, out: json.stream }), 0);
    const parsed = JSON.parse(json.text()) as Record<string, unknown>;
    assert.equal(parsed.runId, "run-c");
    assert.equal(parsed.state, "succeeded");
    assert.equal(parsed.cluster, "kept");
    assert.equal(parsed.resourcesInState, 1);
    assert.equal(typeof parsed.expiresInSeconds, "number");

    const human = captured();
    assert.equal(await showStatus(burstHome, "run-c", { json: false, out: human.stream }), 0);
    assert.match(human.text(), /^run {7}run-c \(wordcount\)$/m);
    assert.match(human.text(), /^cluster {3}kept \(1 in state\)$/m);
    assert.match(human.text(), /^expires {3}\S+ \(in (29|30) min\)$/m);
    assert.match(human.text(), /^owner {5}alice \(pid \d+, gone\)$/m);
  });
});
