// Synthesis time and resource count by worker count: the AWS cluster stack (workers are one EC2
// Fleet request, so it should not grow) and the local stack (one terraform_data per worker).
// The local stack is synthesized through the local target's own prepare/synth, as a run does.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileStore, resolveParams } from "../../src/params/index.ts";
import { parseSpec } from "../../src/runspec/load.ts";
import { localTarget } from "../../src/targets/local/target.ts";
import type { TerraformConfig } from "../../stacks/aws/bench.ts";
import { type Sample, sample } from "./stats.ts";

export interface SynthPoint {
  readonly workers: number;
  readonly resources: number;
  readonly ms: Sample;
}

export interface SynthResult {
  readonly aws: readonly SynthPoint[];
  readonly local: readonly SynthPoint[];
  /** The AWS stack as synthesized for each worker count (for the launch model). */
  readonly awsConfigs: ReadonlyMap<number, TerraformConfig>;
}

export async function measureSynthesis(
  awsWorkers: readonly number[],
  localWorkers: readonly number[],
  repetitions: number,
  log: (line: string) => void,
): Promise<SynthResult> {
  // CDKTF loads here, not with the bench's other parts, and is JIT-ed once outside the measurements.
  const { synthClusterForBench } = await import("../../stacks/aws/bench.ts");
  synthClusterForBench(1);
  const aws: SynthPoint[] = [];
  const awsConfigs = new Map<number, TerraformConfig>();
  for (const workers of awsWorkers) {
    const times: number[] = [];
    let resources = 0;
    for (let round = 0; round < repetitions; round++) {
      const synth = synthClusterForBench(workers);
      times.push(synth.ms);
      resources = synth.resourceCount;
      awsConfigs.set(workers, synth.config);
    }
    aws.push({ workers, resources, ms: sample(times) });
    log(`  aws synth, ${workers} workers: ${resources} resources, ${sample(times).median.toFixed(0)} ms`);
  }

  const params = await resolveParams({ store: new FileStore(), env: {}, target: "local" });
  const local: SynthPoint[] = [];
  await localSynth(1, params); // warm-up, as above
  for (const workers of localWorkers) {
    const times: number[] = [];
    let resources = 0;
    for (let round = 0; round < repetitions; round++) {
      const synth = await localSynth(workers, params);
      times.push(synth.ms);
      resources = synth.resources;
    }
    local.push({ workers, resources, ms: sample(times) });
    log(`  local synth, ${workers} workers: ${resources} resources, ${sample(times).median.toFixed(0)} ms`);
  }
  return { aws, local, awsConfigs };
}

async function localSynth(
  workers: number,
  params: Awaited<ReturnType<typeof resolveParams>>,
): Promise<{ resources: number; ms: number }> {
  const runDir = await mkdtemp(join(tmpdir(), "burst-bench-local-"));
  try {
    const spec = parseSpec(
      `name: bench\ntarget: local\ncode: { repo: ${runDir} }\njob: { type: shell, entrypoint: run.sh }\ncluster: { workers: ${workers} }\n`,
      join(runDir, "spark.yml"),
      { defaults: params.defaults },
    );
    const identity = {
      runId: "bench-run",
      name: "bench",
      owner: "bench",
      commit: "0".repeat(40),
      expiresAt: "2030-01-01T00:00:00.000Z",
    };
    const prepared = await localTarget.prepare(
      { runId: "bench-run", runDir, spec, params, identity, log: () => {} },
      "plan",
    );
    const began = performance.now();
    const synth = prepared.synth(join(runDir, "stack"));
    return { resources: synth.resourceCount, ms: performance.now() - began };
  } finally {
    await rm(runDir, { recursive: true, force: true });
  }
}
