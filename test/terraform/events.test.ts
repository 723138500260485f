// What burst reports from `terraform apply -json`: each resource's start, end and failure, a
// provisioner's output, and diagnostics; every other line is not reported.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseUiLine } from "../../src/terraform/events.ts";

const line = (message: Record<string, unknown>) => JSON.stringify({ "@level": "info", ...message });
const hook = (addr: string, extra: Record<string, unknown> = {}) => ({ resource: { addr }, ...extra });

describe("parseUiLine", () => {
  test("a resource starting, done (with its seconds) and failing", () => {
    assert.deepEqual(
      parseUiLine(line({ type: "apply_start", hook: hook("terraform_data.master", { action: "create" }) })),
      {
        type: "resource-start",
        address: "terraform_data.master",
        action: "create",
      },
    );
    assert.deepEqual(
      parseUiLine(
        line({
          type: "apply_complete",
          hook: hook("aws_instance.worker[1]", { action: "delete", elapsed_seconds: 42 }),
        }),
      ),
      { type: "resource-done", address: "aws_instance.worker[1]", action: "delete", seconds: 42 },
    );
    assert.deepEqual(
      parseUiLine(line({ type: "apply_errored", hook: hook("aws_instance.master", { action: "create" }) })),
      {
        type: "resource-failed",
        address: "aws_instance.master",
        action: "create",
      },
    );
  });

  test("a provisioner's output line, as the node printed it", () => {
    assert.deepEqual(
      parseUiLine(
        line({ type: "provision_progress", hook: hook("terraform_data.master", { output: "spark master up" }) }),
      ),
      { type: "provisioner-output", address: "terraform_data.master", line: "spark master up" },
    );
  });

  test("an error diagnostic with the resource it is about; anything not an error is a warning", () => {
    assert.deepEqual(
      parseUiLine(
        line({
          type: "diagnostic",
          "@level": "error",
          diagnostic: {
            severity: "error",
            summary: "creating EC2 Instance",
            detail: "InsufficientInstanceCapacity",
            address: "aws_instance.master",
          },
        }),
      ),
      {
        type: "diagnostic",
        severity: "error",
        summary: "creating EC2 Instance",
        detail: "InsufficientInstanceCapacity",
        address: "aws_instance.master",
      },
    );
    assert.deepEqual(parseUiLine(line({ type: "diagnostic", "@message": "Warning: deprecated", diagnostic: {} })), {
      type: "diagnostic",
      severity: "warning",
      summary: "Warning: deprecated",
      detail: "",
      address: undefined,
    });
  });

  test("progress, plan and summary lines, and lines that are not JSON, are not reported", () => {
    for (const type of ["version", "planned_change", "apply_progress", "change_summary", "outputs", "log"]) {
      assert.equal(parseUiLine(line({ type, hook: hook("x") })), undefined, type);
    }
    assert.equal(parseUiLine("Terraform has been successfully initialized!"), undefined);
    assert.equal(parseUiLine(""), undefined);
    assert.equal(parseUiLine("{half a line"), undefined);
  });
});
