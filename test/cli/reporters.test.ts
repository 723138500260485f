// What a run prints: newline-delimited JSON on stdout for CI (nothing else there), or phases on
// stderr and the job's own output on stdout for people. A secret the run learned is never printed.
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, test } from "node:test";
import { humanReporter, jsonReporter } from "../../src/cli/reporters.ts";
import type { BurstEvent } from "../../src/lifecycle/events.ts";

function capture(): PassThrough & { text: () => string } {
  const stream = new PassThrough();
  let text = "";
  stream.on("data", (chunk: Buffer) => {
    text += chunk.toString();
  });
  return Object.assign(stream, { text: () => text });
}

const secrets: string[] = [];
const streams = () => {
  const stdout = capture();
  const stderr = capture();
  return { stdout, stderr, runId: () => "20261122-030101-a1b2", secrets: () => secrets };
};

const run: BurstEvent[] = [
  {
    type: "run-start",
    runId: "20261122-030101-a1b2",
    name: "wordcount",
    target: "local",
    runDir: "/home/alice/.burst/runs/r",
    spec: "spark.yml",
  },
  { type: "phase-start", phase: "apply" },
  {
    type: "terraform",
    phase: "apply",
    event: { type: "resource-failed", address: "terraform_data.worker[0]", action: "create" },
  },
  { type: "phase-end", phase: "apply", seconds: 12.34, ok: true },
  { type: "job-log", stream: "stdout", line: "the 42" },
  { type: "job-log", stream: "stderr", line: "WARN slow" },
  { type: "warning", message: "the TTL is close" },
  { type: "results", uri: "s3://burst-results/wordcount/r/", localDir: "/tmp/results" },
  { type: "run-end", outcome: "succeeded", exitCode: 0, seconds: 61.04 },
];

describe("jsonReporter", () => {
  test("one JSON object per event on stdout, with its time and the run's id; nothing on stderr", () => {
    const io = streams();
    const sink = jsonReporter(io);
    for (const event of run) sink(event);
    const lines = io.stdout.text().trimEnd().split("\n");
    assert.equal(lines.length, run.length);
    lines.forEach((line, index) => {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      assert.match(String(parsed.ts), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.equal(parsed.runId, "20261122-030101-a1b2");
      assert.deepEqual(
        { ...parsed, ts: undefined, runId: undefined },
        { ...run[index], ts: undefined, runId: undefined },
      );
    });
    assert.equal(io.stderr.text(), "");
  });

  test("a secret learned during the run is hidden in every later event", () => {
    const io = streams();
    const sink = jsonReporter(io);
    secrets.push("hunter2-webhook-token");
    try {
      sink({ type: "job-log", stream: "stdout", line: "posting to https://hooks.example/hunter2-webhook-token" });
      sink({ type: "run-end", outcome: "failed", exitCode: 1, seconds: 1, message: "hunter2-webhook-token rejected" });
    } finally {
      secrets.length = 0;
    }
    assert.doesNotMatch(io.stdout.text(), /hunter2-webhook-token/);
    assert.equal(io.stdout.text().trimEnd().split("\n").length, 2, "each event is still one JSON line");
    for (const line of io.stdout.text().trimEnd().split("\n")) JSON.parse(line);
  });
});

describe("humanReporter", () => {
  test("phases and the outcome on stderr, the job's stdout on stdout, plain text off a terminal", () => {
    const io = streams();
    const sink = humanReporter({ ...io, color: false, verbose: false });
    for (const event of run) sink(event);
    assert.equal(io.stdout.text(), "job │ the 42\n");
    assert.equal(
      io.stderr.text(),
      [
        "burst wordcount · run 20261122-030101-a1b2 · target local",
        "  terraform_data.worker[0] failed to create",
        "ok apply        12.3s",
        "job ┆ WARN slow",
        "warning: the TTL is close",
        "results: s3://burst-results/wordcount/r/",
        "  local copy: /tmp/results",
        "succeeded in 61.0s (exit 0)",
        "",
      ].join("\n"),
    );
  });

  test("a failed phase is marked FAILED; the failure itself is told once, by run-end", () => {
    const io = streams();
    const sink = humanReporter({ ...io, color: false, verbose: false });
    sink({ type: "phase-end", phase: "validate", seconds: 0.01, ok: false, error: "spark.yml:3:1: bad" });
    sink({ type: "run-end", outcome: "bad-input", exitCode: 2, seconds: 0.1, message: "spark.yml:3:1: bad" });
    assert.equal(io.stderr.text(), "FAILED validate      0.0s\nbad-input in 0.1s (exit 2): spark.yml:3:1: bad\n");
  });

  test("a failed job's last lines say what failed: the exception, the job's own line, the stage", () => {
    const io = streams();
    const sink = humanReporter({ ...io, color: false, verbose: false });
    sink({
      type: "run-end",
      outcome: "failed",
      exitCode: 1,
      seconds: 40.2,
      message: "the job exited with code 1",
      failedStep: "job",
      digest: {
        kind: "python-exception",
        summary: "KeyError: 'no weight for customer 7' at scores.py:8 in score",
        exception: "KeyError: 'no weight for customer 7'",
        at: "scores.py:8 in score",
        stage: "task 1 in stage 0.0 failed 4 times (last: TID 4 on executor 0, 127.0.0.1)",
      },
    });
    assert.equal(
      io.stderr.text(),
      [
        "failed in 40.2s (exit 1): the job exited with code 1",
        "what failed:",
        "  KeyError: 'no weight for customer 7'",
        "    at scores.py:8 in score",
        "    task 1 in stage 0.0 failed 4 times (last: TID 4 on executor 0, 127.0.0.1)",
        "",
      ].join("\n"),
    );
  });

  test("on a terminal: symbols and colours", () => {
    const io = streams();
    const sink = humanReporter({ ...io, color: true, verbose: false });
    sink({ type: "phase-end", phase: "apply", seconds: 1, ok: true });
    assert.ok(io.stderr.text().startsWith("\u001b[32m✔\u001b[0m apply"), JSON.stringify(io.stderr.text()));
  });

  test("--verbose adds the run folder, each phase's start and every resource and provisioner line", () => {
    const io = streams();
    const sink = humanReporter({ ...io, color: false, verbose: true });
    sink(run[0] as BurstEvent);
    sink({ type: "phase-start", phase: "apply" });
    sink({
      type: "terraform",
      phase: "apply",
      event: { type: "resource-done", address: "terraform_data.master", action: "create", seconds: 3 },
    });
    sink({
      type: "terraform",
      phase: "apply",
      event: { type: "provisioner-output", address: "terraform_data.master", line: "up" },
    });
    assert.equal(
      io.stderr.text(),
      [
        "burst wordcount · run 20261122-030101-a1b2 · target local",
        "  run folder /home/alice/.burst/runs/r",
        "… apply",
        "  terraform_data.master created in 3s",
        "  terraform_data.master: up",
        "",
      ].join("\n"),
    );
  });

  test("secrets are hidden in the job's output too", () => {
    const io = streams();
    const sink = humanReporter({ ...io, color: false, verbose: false });
    secrets.push("s3cr3t-value");
    try {
      sink({ type: "job-log", stream: "stdout", line: "password=s3cr3t-value" });
    } finally {
      secrets.length = 0;
    }
    assert.doesNotMatch(io.stdout.text(), /s3cr3t-value/);
  });
});
