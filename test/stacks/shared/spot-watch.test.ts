// The spot watcher (stacks/shared/node/spot-watch.sh) against a local IMDS stand-in that enforces
// IMDSv2, with a stand-in worker that records the signal it gets. The same script against a real
// Spark worker: test/e2e/spot-decommission.test.ts.

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { run, type Started, start } from "../../../src/util/exec.ts";
import { type ImdsStandIn, startImdsStandIn } from "../../helpers/imds.ts";
import { waitFor } from "../../helpers/wait.ts";

const watcher = fileURLToPath(new URL("../../../stacks/shared/node/spot-watch.sh", import.meta.url));

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "burst-spot-watch-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A process standing in for the Worker daemon: it writes down the signal it receives. */
function fakeWorker(signalFile: string): Started {
  return start("bash", ["-c", `trap 'echo PWR > "$1"; exit 0' PWR; while sleep 0.1; do :; done`, "worker", signalFile]);
}

describe("spot-watch.sh", () => {
  let imds: ImdsStandIn;
  before(async () => {
    imds = await startImdsStandIn();
  });
  after(async () => {
    await imds.close();
  });

  it("uses IMDSv2, waits while there is no notice, then records it and sends SIGPWR to the worker", async () => {
    const state = join(dir, "state-1");
    const signalFile = join(dir, "signal-1");
    const worker = fakeWorker(signalFile);
    const lines: string[] = [];
    const watching = run(
      watcher,
      ["--imds", imds.address, "--interval", "0.2", "--state-dir", state, "--worker-pid", String(worker.pid)],
      { timeoutMs: 60_000, onLine: (line) => lines.push(line) },
    );
    try {
      await waitFor("three polls without a notice", () => imds.requests.filter((r) => r.endsWith(" 404")).length >= 3);
      assert.ok(!existsSync(signalFile), "no signal without a notice");
      assert.ok(!existsSync(join(state, "spot-interruption")));
      // A token that stops being accepted is replaced, not fatal.
      imds.expireTokens();
      await waitFor("a 401 and a new token", () => imds.requests.some((r) => r.endsWith(" 401")));
      const notice = { action: "terminate" as const, time: "2026-11-28T03:00:00Z" };
      imds.interrupt(notice);
      const result = await watching;
      assert.equal(result.code, 0, result.stderr);
      await waitFor("the worker's signal", () => existsSync(signalFile));
      assert.equal((await readFile(signalFile, "utf8")).trim(), "PWR");
      assert.deepEqual(JSON.parse(await readFile(join(state, "spot-interruption"), "utf8")), notice);
      assert.ok(lines.includes(`burst-spot-interruption: ${JSON.stringify(notice)}`), lines.join("\n"));
      // Every metadata read carried a token obtained by PUT (IMDSv2 only).
      assert.ok(imds.requests.some((r) => r.startsWith("PUT /latest/api/token 200")));
      assert.ok(imds.requests.filter((r) => r.startsWith("PUT /latest/api/token 200")).length >= 2, "token refreshed");
    } finally {
      await worker.stop();
    }
  });

  it("talks to 169.254.169.254 unless told otherwise, and refuses to start without a worker", async () => {
    const script = await readFile(watcher, "utf8");
    assert.match(script, /^imds=169\.254\.169\.254$/m);
    const result = await run(watcher, ["--state-dir", join(dir, "x")], { timeoutMs: 10_000 });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /usage: spot-watch\.sh/);
  });
});
