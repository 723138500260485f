import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { decommissionedExecutors, decommissionsInEventLog } from "../../src/job/decommissions.ts";

// Lines in the shape of Spark 3.5's JsonProtocol (test/e2e/spot-decommission.test.ts reads a real one).
const added = (id: string, host: string, uiPort: number) =>
  JSON.stringify({
    Event: "SparkListenerExecutorAdded",
    Timestamp: 1764298800000,
    "Executor ID": id,
    "Executor Info": {
      Host: host,
      "Total Cores": 1,
      "Log Urls": { stdout: `http://${host}:${uiPort}/logPage/?appId=app-1&executorId=${id}&logType=stdout` },
    },
  });
const removed = (id: string, reason: string) =>
  JSON.stringify({
    Event: "SparkListenerExecutorRemoved",
    Timestamp: 1764298860000,
    "Executor ID": id,
    "Removed Reason": reason,
  });

describe("decommissioned executors in the drivers' event logs", () => {
  it("names the executors removed by decommissioning, with their worker's host and UI port", () => {
    const log = [
      JSON.stringify({ Event: "SparkListenerApplicationStart", "App ID": "app-1" }),
      added("0", "10.0.1.5", 8081),
      added("1", "10.0.1.6", 8081),
      removed("0", "Executor decommission: worker decommissioned"),
      removed("1", "Command exited with code 137"),
      '{"Event":"SparkListenerExecutorRem', // a log cut off mid-line
    ].join("\n");
    assert.deepEqual(decommissionsInEventLog("app-1", log), [
      {
        appId: "app-1",
        executorId: "0",
        host: "10.0.1.5",
        workerUiPort: 8081,
        reason: "Executor decommission: worker decommissioned",
        at: new Date(1764298860000).toISOString(),
      },
    ]);
  });

  it("reads every log in the folder, finished or in progress; a missing folder has none", async () => {
    const dir = await mkdtemp(join(tmpdir(), "burst-eventlog-"));
    try {
      await writeFile(join(dir, "app-1"), [added("0", "h1", 1), removed("0", "Executor decommission: x")].join("\n"));
      await writeFile(
        join(dir, "app-2.inprogress"),
        [added("3", "h2", 2), removed("3", "Executor decommission: y")].join("\n"),
      );
      const found = await decommissionedExecutors(dir);
      assert.deepEqual(
        found.map((e) => [e.appId, e.executorId, e.host]),
        [
          ["app-1", "0", "h1"],
          ["app-2", "3", "h2"],
        ],
      );
      assert.deepEqual(await decommissionedExecutors(join(dir, "missing")), []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("reads a rolling log (burst's: a folder of numbered parts) in part order, an executor added in one part and removed in a later one", async () => {
    const dir = await mkdtemp(join(tmpdir(), "burst-eventlog-"));
    try {
      const app = join(dir, "eventlog_v2_app-3");
      await mkdir(app);
      await writeFile(join(app, "appstatus_app-3.inprogress"), "");
      // Part 10 sorts before part 2 as text: the order must be numeric.
      await writeFile(join(app, "events_2_app-3"), added("7", "h3", 3));
      await writeFile(join(app, "events_10_app-3"), removed("7", "Executor decommission: z"));
      await writeFile(join(app, "events_1_app-3"), removed("7", "Executor decommission: before it was added"));
      const found = await decommissionedExecutors(dir);
      assert.deepEqual(
        found.map((e) => [e.appId, e.executorId, e.host]),
        [
          ["app-3", "7", ""],
          ["app-3", "7", "h3"],
        ],
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
