import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildManifest } from "../../src/lifecycle/manifest.ts";
import { readClusterOutputs } from "../../src/targets/contract.ts";
import { params, spec } from "../targets/aws/fixtures.ts";

const stackOutputs = {
  masterHost: "198.51.100.20",
  sshPort: 22,
  sshUser: "admin",
  hostKey: "",
  sparkMasterUrl: "spark://10.42.16.9:7077",
  uiUrl: "http://localhost:8080",
  workDir: "/opt/burst/run",
  sparkHome: "/opt/spark",
  nodeIds: ["i-0master", "i-0worker"],
};

const manifestOf = (raw: Record<string, unknown>) =>
  buildManifest({
    version: "0.1.0",
    runId: "20250101-020000-ab12",
    owner: "ana",
    spec: spec(),
    resolvedSpec: "",
    code: { displayRepo: "repo", ref: "HEAD", sha: "0".repeat(40), source: { kind: "local", path: "/repo" } },
    params: params(),
    outputs: readClusterOutputs(raw),
    phases: [],
    startedAt: new Date("2025-01-01T02:00:00Z"),
    outcome: "succeeded",
    exitCode: 0,
    jobExitCode: 0,
    resultsUri: "s3://burst-results/runs/",
    files: [],
    missingOutputs: [],
  });

describe("manifest: where the cluster ran", () => {
  it("records the AZ and subnet the aws stack reported", () => {
    const manifest = manifestOf({ ...stackOutputs, availabilityZone: "eu-west-1b", subnetId: "subnet-0bbb" });
    assert.deepEqual(manifest.cluster.placement, { availabilityZone: "eu-west-1b", subnetId: "subnet-0bbb" });
  });

  it("has no placement for a stack that reports none (the local target)", () => {
    assert.equal(manifestOf(stackOutputs).cluster.placement, undefined);
  });
});
