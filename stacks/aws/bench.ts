// Synthesis cost of a cluster stack by worker count, for `npm run bench`. Workers are one EC2
// Fleet request, so the stack (and the time to write it) should not grow with `workers`.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "cdktf";
import { type SparkClusterProps, SparkClusterStack } from "./spark-cluster-stack.ts";

export function benchClusterProps(workers: number): SparkClusterProps {
  return {
    runId: "bench-run",
    name: "bench",
    owner: "bench",
    commit: "0000000",
    expiresAt: "2030-01-01T00:00:00.000Z",
    workers,
    masterInstanceType: "m5.xlarge",
    workerInstanceType: "m5.xlarge",
    spot: true,
    spotFallback: true,
    sparkVersion: "3.5.3",
    diskGb: 50,
    ttlMinutes: 120,
    workerCores: 4,
    workerMemory: "14g",
    params: {
      region: "eu-west-1",
      vpcName: "main",
      baseAmi: "ami-0123456789abcdef0",
      sshUser: "admin",
      sshAllowedCidrs: [],
      sshWaitSeconds: 900,
      bootMinutes: 15,
      bakedBootMinutes: 3,
      sshAddress: "public",
      downloads: "bucket",
      buckets: ["burst-results"],
    },
    vpc: {
      vpcId: "vpc-0123456789abcdef0",
      subnetIds: ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb", "subnet-0cccccccccccccccc"],
      securityGroupId: "sg-0123456789abcdef0",
      instanceProfileName: "burst-main-node",
      artifactsBucket: "burst-main-artifacts-0bench",
    },
    sshPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBenchBenchBenchBenchBenchBenchBenchBenchBench bench",
    callerCidr: "198.51.100.7/32",
    sparkConf: {},
  };
}

/** The synthesized cdk.tf.json, for walking its dependency graph. */
export interface TerraformConfig {
  readonly resource: Record<string, Record<string, unknown>>;
  readonly data?: Record<string, Record<string, unknown>>;
  readonly locals?: Record<string, unknown>;
}

/** Builds and writes the cluster stack for `workers` workers; how many resources, how long, and what. */
export function synthClusterForBench(workers: number): { resourceCount: number; ms: number; config: TerraformConfig } {
  const outdir = mkdtempSync(join(tmpdir(), "burst-bench-aws-"));
  try {
    const began = performance.now();
    const app = new App({ outdir });
    new SparkClusterStack(app, "cluster", benchClusterProps(workers));
    app.synth();
    const ms = performance.now() - began;
    const config = JSON.parse(
      readFileSync(join(outdir, "stacks", "cluster", "cdk.tf.json"), "utf8"),
    ) as TerraformConfig;
    const resourceCount = Object.values(config.resource).reduce((sum, byName) => sum + Object.keys(byName).length, 0);
    return { resourceCount, ms, config };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
