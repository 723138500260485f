// component: moto
// A finished aws run's results in S3 (moto_server on loopback): copied back once their local copy is
// gone (what `burst ui` does with the event log collect uploaded), and the manifest replaced after
// destroy with the one that holds the actual cost.

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { type MotoServer, motoRegion, startMoto, useMotoEnvironment } from "../../../scripts/servers/moto.ts";
import { BurstError, ExitCode } from "../../../src/errors.ts";
import { awsTarget } from "../../../src/targets/aws/target.ts";
import { eventLogFiles } from "../../helpers/event-log.ts";

const bucket = "burst-main-results-123456789012-eu-west-1";
const runId = "20261207-101500-a1b2";
const resultsUri = `s3://${bucket}/runs/wordcount/${runId}/`;
const placement = { availabilityZone: `${motoRegion}a`, subnetId: "subnet-1" };
const appId = "app-20261207101530-0000";

let moto: MotoServer;
let s3: S3Client;
let environment: { restore(): void };
before(async () => {
  moto = await startMoto();
  s3 = moto.s3();
  environment = useMotoEnvironment({ AWS_ENDPOINT_URL: moto.endpoint, AWS_EC2_METADATA_DISABLED: "true" });
  await s3.send(
    new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: motoRegion } }),
  );
  const put = (key: string, body: string) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  for (const [name, body] of Object.entries(eventLogFiles(appId, "wordcount"))) {
    await put(`runs/wordcount/${runId}/logs/eventlog/${name}`, body);
  }
  // Beside it: the run's other results, and another run whose key starts the same way.
  await put(`runs/wordcount/${runId}/logs/attempt-1/stdout`, "counted 1000\n");
  await put(`runs/wordcount/${runId}/manifest.json`, "{}\n");
  await put(`runs/wordcount/${runId}0/logs/eventlog/eventlog_v2_app-other/events_1_app-other`, "{}\n");
});
after(async () => {
  environment?.restore();
  s3?.destroy();
  await moto?.stop();
});

const freshDir = async () => join(await mkdtemp(join(tmpdir(), "burst-fetch-")), "eventlog");

describe("fetchResults on aws", () => {
  test("copies the run's event log from its results in S3 into the folder, with the paths Spark wrote, and nothing else", async () => {
    const dir = await freshDir();
    assert.equal(await awsTarget.fetchResults?.(resultsUri, "logs/eventlog/", dir, placement), true);
    const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
      .sort();
    const expected = eventLogFiles(appId, "wordcount");
    assert.deepEqual(files, Object.keys(expected).sort());
    for (const [name, body] of Object.entries(expected)) assert.equal(await readFile(join(dir, name), "utf8"), body);
  });

  test("finds the bucket from the CLI's region when the run's record has no placement", async () => {
    const dir = await freshDir();
    assert.equal(await awsTarget.fetchResults?.(resultsUri, "logs/eventlog/", dir), true);
    assert.ok(existsSync(join(dir, `eventlog_v2_${appId}`, `events_1_${appId}`)));
  });

  test("says false, and writes nothing, when the results hold no such folder (a run that never started Spark)", async () => {
    const dir = await freshDir();
    const empty = `s3://${bucket}/runs/wordcount/20261207-090000-ffff/`;
    assert.equal(await awsTarget.fetchResults?.(empty, "logs/eventlog/", dir, placement), false);
    assert.equal(existsSync(dir), false);
  });

  test("a bucket it cannot read is an infrastructure failure naming the S3 location and the permissions needed", async () => {
    const dir = await freshDir();
    await assert.rejects(
      awsTarget.fetchResults?.("s3://no-such-results-bucket/runs/x/", "logs/eventlog/", dir, placement) ??
        Promise.resolve(),
      (error: unknown) => {
        assert.ok(error instanceof BurstError);
        assert.equal(error.exitCode, ExitCode.infrastructure);
        assert.match(error.message, /s3:\/\/no-such-results-bucket\/runs\/x\/logs\/eventlog\//);
        assert.match(error.hint ?? "", /s3:GetObject/);
        return true;
      },
    );
  });
});

describe("replaceResult on aws", () => {
  test("writes the local manifest over the one collect uploaded, leaving the run's other results as they were", async () => {
    const dir = await mkdtemp(join(tmpdir(), "burst-manifest-"));
    const manifest = join(dir, "manifest.json");
    const withCost = `${JSON.stringify({ runId, costEstimateUsd: 0.05, actualCost: { totalUsd: 0.0123 } }, null, 2)}\n`;
    await writeFile(manifest, withCost);
    await awsTarget.replaceResult?.(resultsUri, "manifest.json", manifest, placement);
    const read = async (key: string) =>
      (await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body?.transformToString()) ?? "";
    assert.equal(await read(`runs/wordcount/${runId}/manifest.json`), withCost);
    assert.equal(await read(`runs/wordcount/${runId}/logs/attempt-1/stdout`), "counted 1000\n");
  });
});
