// After an aws run, with the real CLI, moto_server as S3 and the Spark History Server burst
// installs: `burst ui` of a destroyed aws run whose local results are gone fetches the event log
// collect uploaded to the run's results in S3, and the History Server lists its application.
// The run's record is written as an aws run leaves it (the whole run is the twin's test).

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { type MotoServer, motoRegion, startMoto } from "../../scripts/servers/moto.ts";
import type { RunRecord } from "../../src/lifecycle/run-record.ts";
import { startBurst, tempBurstHome } from "../helpers/burst.ts";
import { eventLogFiles } from "../helpers/event-log.ts";
import { waitFor } from "../helpers/wait.ts";

const bucket = `burst-main-results-123456789012-${motoRegion}`;
const runId = "20261207-101500-a1b2";
const appId = "app-20261207101530-0000";
const resultsUri = `s3://${bucket}/runs/wordcount/${runId}/`;

describe("burst ui of an aws run whose local copy is gone", { timeout: 300_000 }, () => {
  let moto: MotoServer;
  let burstHome: string;
  before(async () => {
    moto = await startMoto();
    const s3 = moto.s3();
    try {
      await s3.send(
        new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: motoRegion } }),
      );
      for (const [name, body] of Object.entries(eventLogFiles(appId, "wordcount"))) {
        await s3.send(
          new PutObjectCommand({ Bucket: bucket, Key: `runs/wordcount/${runId}/logs/eventlog/${name}`, Body: body }),
        );
      }
    } finally {
      s3.destroy();
    }
    burstHome = await tempBurstHome();
    const runDir = join(burstHome, "runs", runId);
    await mkdir(runDir, { recursive: true });
    const record: RunRecord = {
      runId,
      name: "wordcount",
      owner: "ana",
      target: "aws",
      specFile: "/home/ana/wordcount/spark.yml",
      runDir,
      stackDir: join(runDir, "stack", "stacks", "burst"),
      terraformBinary: "terraform",
      startedAt: "2026-12-07T10:15:00.000Z",
      expiresAt: "2026-12-07T11:15:00.000Z",
      resultsUri,
      pid: 999_999_999,
      phase: "destroy",
      outcome: "succeeded",
      endedAt: "2026-12-07T10:19:00.000Z",
      destroyed: true,
      placement: { availabilityZone: `${motoRegion}b`, subnetId: "subnet-0abc" },
    };
    await writeFile(join(runDir, "run.json"), `${JSON.stringify(record, null, 2)}\n`);
  });
  after(async () => {
    await moto?.stop();
  });

  test("fetches the event log from the run's results in S3 and serves its application on loopback until Ctrl-C", async () => {
    let stderr = "";
    let announced: { url: string; applications: { runId: string; appId: string; name: string }[] } | undefined;
    const ui = startBurst(["ui", runId, "--json"], {
      burstHome,
      env: { ...moto.env(), AWS_REGION: undefined, BURST_AWS_REGION: undefined },
      onLine: (line, stream) => {
        if (stream === "stdout" && line.includes('"type":"ui"')) announced = JSON.parse(line);
        if (stream === "stderr") stderr += `${line}\n`;
      },
    });
    try {
      await waitFor("burst ui to print its URL", () => announced !== undefined, 180_000);
      assert.match(stderr, new RegExp(`run ${runId}: event log fetched from ${resultsUri}logs/eventlog/`));
      assert.deepEqual(
        announced?.applications.map((app) => [app.runId, app.appId, app.name]),
        [[runId, appId, "wordcount"]],
      );
      const listed = (await (await fetch(`${announced?.url}api/v1/applications`)).json()) as { id: string }[];
      assert.deepEqual(
        listed.map((app) => app.id),
        [appId],
      );
      assert.ok(
        existsSync(join(burstHome, "runs", runId, "results", "logs", "eventlog", `eventlog_v2_${appId}`)),
        "the fetched copy stays in the run folder for the next time",
      );
    } finally {
      ui.child.kill("SIGINT");
    }
    const ended = await ui.done;
    assert.equal(ended.code, 0, ended.stderr);
  });
});
