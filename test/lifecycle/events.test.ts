// How a run's or a command's error is reported: the outcome in run-end matches the exit code's meaning.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BurstError, type ErrorKind, ExitCode } from "../../src/errors.ts";
import { outcomeOfError, phases } from "../../src/lifecycle/events.ts";

describe("outcomeOfError", () => {
  const cases: [ErrorKind, string, number][] = [
    ["bad-input", "bad-input", ExitCode.badInput],
    ["infrastructure", "infrastructure-failed", ExitCode.infrastructure],
    ["job-failed", "failed", ExitCode.jobFailed],
    ["interrupted", "interrupted", ExitCode.interrupted],
  ];
  for (const [kind, outcome, exitCode] of cases) {
    test(`a ${kind} error ends as "${outcome}" with exit ${exitCode}`, () => {
      const error = new BurstError(kind, "something went wrong");
      assert.equal(outcomeOfError(error), outcome);
      assert.equal(error.exitCode, exitCode);
    });
  }
});

describe("phases", () => {
  test("parameters come before validation (the spec takes its defaults from them) and destroy is last", () => {
    assert.ok(phases.indexOf("params") < phases.indexOf("validate"));
    assert.ok(phases.indexOf("apply") < phases.indexOf("run"));
    assert.equal(phases.at(-1), "destroy");
  });
});
