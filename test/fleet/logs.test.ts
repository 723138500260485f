// component: terraform
// burst logs <run-id> [--follow]: finished runs print the collected copy (and say where it is in
// S3); running runs print what burst has written so far, and with --follow keep printing as the
// files grow until the run ends, its CLI dies, or the user interrupts.

import assert from "node:assert/strict";
import { appendFile, mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, describe, test } from "node:test";
import { BurstError } from "../../src/errors.ts";
import { logsOf } from "../../src/fleet/logs.ts";
import type { BurstEvent } from "../../src/lifecycle/events.ts";
import { writeRecord } from "../../src/lifecycle/run-record.ts";
import { deadPid, liveOwner, makeHome, writeRunRecord } from "./local-runs.ts";

const homes: string[] = [];
const owners: { stop: () => void }[] = [];
after(async () => {
  for (const dir of homes) await rm(dir, { recursive: true, force: true });
  for (const owner of owners) owner.stop();
});
const home = async () => {
  const dir = await makeHome();
  homes.push(dir);
  return dir;
};
const owner = () => {
  const process = liveOwner();
  owners.push(process);
  return process;
};

function output() {
  const text = { stdout: "", stderr: "" };
  const stream = (name: "stdout" | "stderr") =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        text[name] += chunk.toString("utf8");
        done();
      },
    });
  const events: BurstEvent[] = [];
  return {
    text,
    events,
    messages: () => events.map((e) => ("message" in e ? (e.message ?? "") : "")),
    options: {
      stdout: stream("stdout"),
      stderr: stream("stderr"),
      sink: (e: BurstEvent) => events.push(e),
      pollMs: 20,
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("logsOf a finished run", () => {
  test("prints the collected logs and where they are in S3", async () => {
    const burstHome = await home();
    const record = await writeRunRecord(burstHome, {
      runId: "run-a",
      pid: await deadPid(),
      expiresInMinutes: 60,
      outcome: "succeeded",
    });
    const collected = join(record.runDir, "results", "logs");
    await mkdir(join(collected, "job", "attempt-1"), { recursive: true });
    await writeFile(join(collected, "job", "attempt-1", "stdout.log"), "(the, 4)\n(fox, 2)\n");
    await writeFile(
      join(collected, "job", "attempt-1", "stderr.log"),
      "INFO SparkContext: Running Spark version 3.5.3\n",
    );
    const steps = [{ name: "job", outcome: "succeeded", attempts: [{ folder: "job/attempt-1", exitCode: 0 }] }];
    await writeFile(join(record.runDir, "results", "manifest.json"), JSON.stringify({ steps }));
    // The live copy is shorter (as streamed); the collected one wins.
    await mkdir(join(record.runDir, "logs"), { recursive: true });
    await writeFile(join(record.runDir, "logs", "job-stdout.log"), "(the, 4)\n");

    const out = output();
    assert.equal(await logsOf(burstHome, "run-a", { ...out.options, follow: false }), 0);
    assert.equal(out.text.stdout, "(the, 4)\n(fox, 2)\n");
    assert.equal(out.text.stderr, "INFO SparkContext: Running Spark version 3.5.3\n");
    assert.ok(out.messages().some((m) => m.includes(`in S3: ${record.resultsUri}logs/`) && m.includes(collected)));
  });

  test("prints every step attempt in the manifest's order, each under its own heading", async () => {
    const burstHome = await home();
    const record = await writeRunRecord(burstHome, {
      runId: "run-steps",
      pid: await deadPid(),
      expiresInMinutes: 60,
      outcome: "succeeded",
    });
    const logs = join(record.runDir, "results", "logs");
    const attempts: [string, string][] = [
      ["ingest/attempt-1", "first try failed\n"],
      ["ingest/attempt-2", "second try ok\n"],
      ["report/attempt-1", "report done\n"],
    ];
    for (const [folder, text] of attempts) {
      await mkdir(join(logs, folder), { recursive: true });
      await writeFile(join(logs, folder, "stdout.log"), text);
    }
    const steps = [
      {
        name: "ingest",
        outcome: "succeeded",
        attempts: [{ folder: "ingest/attempt-1" }, { folder: "ingest/attempt-2" }],
      },
      { name: "report", outcome: "succeeded", attempts: [{ folder: "report/attempt-1" }] },
    ];
    await writeFile(join(record.runDir, "results", "manifest.json"), JSON.stringify({ steps }));

    const out = output();
    assert.equal(await logsOf(burstHome, "run-steps", { ...out.options, follow: false }), 0);
    assert.equal(out.text.stdout, "first try failed\nsecond try ok\nreport done\n");
    assert.equal(out.text.stderr, "── ingest/attempt-1 ──\n── ingest/attempt-2 ──\n── report/attempt-1 ──\n");
  });

  test("falls back to what burst streamed when the logs were not collected", async () => {
    const burstHome = await home();
    const record = await writeRunRecord(burstHome, {
      runId: "run-b",
      pid: await deadPid(),
      expiresInMinutes: 60,
      outcome: "interrupted",
    });
    await mkdir(join(record.runDir, "logs"), { recursive: true });
    await writeFile(join(record.runDir, "logs", "job-stdout.log"), "partial\n");

    const out = output();
    assert.equal(await logsOf(burstHome, "run-b", { ...out.options, follow: true }), 0);
    assert.equal(out.text.stdout, "partial\n");
    assert.ok(out.messages().some((m) => /not collected/.test(m)));
  });

  test("says so when the job never wrote anything", async () => {
    const burstHome = await home();
    await writeRunRecord(burstHome, {
      runId: "run-c",
      pid: await deadPid(),
      expiresInMinutes: 60,
      outcome: "bad-input",
    });
    const out = output();
    assert.equal(await logsOf(burstHome, "run-c", { ...out.options, follow: false }), 0);
    assert.deepEqual(out.text, { stdout: "", stderr: "" });
    assert.ok(out.messages().some((m) => /before the job wrote anything/.test(m)));
  });
});

describe("logsOf a running run", () => {
  test("without --follow prints what there is so far", async () => {
    const burstHome = await home();
    const record = await writeRunRecord(burstHome, { runId: "run-d", pid: owner().pid, expiresInMinutes: 60 });
    await mkdir(join(record.runDir, "logs"), { recursive: true });
    await writeFile(join(record.runDir, "logs", "job-stdout.log"), "line 1\n");
    const out = output();
    assert.equal(await logsOf(burstHome, "run-d", { ...out.options, follow: false }), 0);
    assert.equal(out.text.stdout, "line 1\n");
  });

  test("--follow streams both files as they grow and stops when the run's outcome is recorded", async () => {
    const burstHome = await home();
    const record = await writeRunRecord(burstHome, { runId: "run-e", pid: owner().pid, expiresInMinutes: 60 });
    const logs = join(record.runDir, "logs");
    const out = output();
    const following = logsOf(burstHome, "run-e", { ...out.options, follow: true });
    await mkdir(logs, { recursive: true }); // the files do not exist yet when following starts
    const expected = { stdout: "", stderr: "" };
    for (let i = 1; i <= 20; i++) {
      await appendFile(join(logs, "job-stdout.log"), `out ${i}\n`);
      expected.stdout += `out ${i}\n`;
      if (i % 4 === 0) {
        await appendFile(join(logs, "job-stderr.log"), `err ${i}\n`);
        expected.stderr += `err ${i}\n`;
      }
      await sleep(i % 5 === 0 ? 60 : 5);
    }
    await appendFile(join(logs, "job-stdout.log"), "last line\n");
    expected.stdout += "last line\n";
    await writeRecord({ ...record, outcome: "succeeded", endedAt: new Date().toISOString() });

    assert.equal(await following, 0);
    assert.deepEqual(out.text, expected);
    assert.ok(out.messages().some((m) => m.startsWith("run run-e succeeded")));
  });

  test("--follow stops when the run's CLI dies without recording an outcome", async () => {
    const burstHome = await home();
    const cli = owner();
    const record = await writeRunRecord(burstHome, { runId: "run-f", pid: cli.pid, expiresInMinutes: 60 });
    await mkdir(join(record.runDir, "logs"), { recursive: true });
    await writeFile(join(record.runDir, "logs", "job-stderr.log"), "before the crash\n");
    const out = output();
    const following = logsOf(burstHome, "run-f", { ...out.options, follow: true });
    await sleep(100);
    cli.stop();
    assert.equal(await following, 0);
    assert.equal(out.text.stderr, "before the crash\n");
    assert.ok(out.events.some((e) => e.type === "warning" && /is gone/.test(e.message)));
  });

  test("--follow ends with 130 when interrupted", async () => {
    const burstHome = await home();
    await writeRunRecord(burstHome, { runId: "run-g", pid: owner().pid, expiresInMinutes: 60 });
    const out = output();
    const controller = new AbortController();
    const following = logsOf(burstHome, "run-g", { ...out.options, follow: true, signal: controller.signal });
    await sleep(60);
    controller.abort();
    assert.equal(await following, 130);
  });
});

test("logsOf an unknown run is bad input (exit 2)", async () => {
  const burstHome = await home();
  const out = output();
  await assert.rejects(logsOf(burstHome, "nope", { ...out.options, follow: false }), (error: unknown) => {
    assert.ok(error instanceof BurstError && error.exitCode === 2);
    return true;
  });
});
