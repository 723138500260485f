// A spec, parameters and a run context for the aws target tests: what ops and a user would have
// written, resolved the way the lifecycle resolves them.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Params, SpecDefaults } from "../../../src/params/types.ts";
import type { Spec } from "../../../src/runspec/types.ts";
import type { VpcOutputs } from "../../../src/targets/aws/params.ts";
import type { RunContext } from "../../../src/targets/contract.ts";

const defaults: SpecDefaults = {
  results: "s3://burst-results/runs/",
  workers: 2,
  masterInstanceType: "m5.large",
  workerInstanceType: "m5.large",
  spark: "3.5.3",
  ttlMinutes: 60,
  diskGb: 50,
};

/** As if read from Consul: burst/vpc/main/... written by the VPC stack. */
export const consulVpc: VpcOutputs = {
  vpcId: "vpc-0c0nsu1000000000",
  subnetIds: ["subnet-0c0nsu1aaaaaaaaa", "subnet-0c0nsu1bbbbbbbbb"],
  securityGroupId: "sg-0c0nsu1000000000",
  instanceProfileName: "burst-main-node",
  artifactsBucket: "burst-main-artifacts-0c0nsu1",
};

/** The docs' first burst, resolved (built directly, so these tests do not depend on the spec parser). */
const job: Spec["job"] = {
  type: "pyspark",
  entrypoint: "main.py",
  args: [],
  conf: { "spark.executor.memory": "2g" },
  env: {},
  timeoutMinutes: 0,
};

export const wordcount: Spec = {
  name: "wordcount",
  target: "aws",
  code: { repo: "https://github.com/org/jobs.git", ref: "main", subdirectory: "" },
  job,
  steps: [{ ...job, name: "job", retries: 0 }],
  dependencies: { packages: [], jars: [], pip: [] },
  warnings: [],
  cluster: {
    workers: 4,
    master: { instanceType: "m5.xlarge" },
    worker: { instanceType: "m5.2xlarge", spot: true, maxPrice: 0.2, spotFallback: true },
    spark: "3.5.3",
    diskGb: 50,
    ttlMinutes: 120,
  },
  inputs: [],
  outputs: [],
  results: "s3://burst-results/runs/",
  buckets: ["burst-results"],
  tags: { team: "data" },
  source: { file: join(tmpdir(), "spark.yml"), dir: tmpdir(), sha256: "0".repeat(64) },
};

export interface SpecChanges {
  readonly job?: Partial<Spec["job"]>;
  readonly steps?: Spec["steps"];
  readonly worker?: Partial<Spec["cluster"]["worker"]>;
  readonly maxCostUsd?: number;
}

export function spec(changes: SpecChanges = {}): Spec {
  const changedJob = { ...wordcount.job, ...changes.job };
  return {
    ...wordcount,
    job: changedJob,
    steps: changes.steps ?? [{ ...changedJob, name: "job", retries: 0 }],
    cluster: { ...wordcount.cluster, worker: { ...wordcount.cluster.worker, ...changes.worker } },
    ...(changes.maxCostUsd === undefined ? {} : { maxCostUsd: changes.maxCostUsd }),
  };
}

export function params(overrides: { vpc?: VpcOutputs | undefined } = { vpc: consulVpc }): Params {
  return {
    prefix: "burst/",
    defaults,
    aws: {
      region: "eu-west-1",
      vpcName: "main",
      baseAmi: "ami-0base000000000000",
      sshUser: "admin",
      sshAllowedCidrs: ["203.0.113.0/24"],
      sshWaitSeconds: 900,
      bootMinutes: 15,
      bakedBootMinutes: 3,
      sshAddress: "public",
      downloads: "bucket",
      buckets: ["burst-results"],
    },
    vpcConfig: { cidr: "10.42.0.0/16", azCount: 2, privateSubnets: false },
    vpc: overrides.vpc,
    local: { workerCores: 2, workerMemory: "2g", dataBucket: "burst-data", resultsBucket: "burst-results" },
    provenance: new Map(),
  };
}

export interface TestRun {
  readonly context: RunContext;
  readonly logs: string[];
  remove(): Promise<void>;
}

export async function testRun(options: { spec?: Spec; params?: Params } = {}): Promise<TestRun> {
  const runDir = await mkdtemp(join(tmpdir(), "burst-aws-target-"));
  const logs: string[] = [];
  const runSpec = options.spec ?? spec();
  const runId = "20250101-0200-wordcount-ab12";
  return {
    context: {
      runId,
      runDir,
      spec: runSpec,
      params: options.params ?? params(),
      identity: {
        runId,
        name: runSpec.name,
        owner: "alice",
        commit: "0123abc",
        expiresAt: "2025-01-01T04:00:00.000Z",
      },
      log: (message) => logs.push(message),
    },
    logs,
    remove: () => rm(runDir, { recursive: true, force: true }),
  };
}
