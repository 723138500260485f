// Synthesis time and resource count by worker count: the AWS cluster stack (workers are one EC2
// Fleet request, so it should not grow) and the local stack (one terraform_data per worker).
// The local stack is synthesized through the local target's own prepare/synth, as a run does.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileStore, resolveParams } from "../../src/params/index.ts";
import { parseSpec } from "../../src/runspec/load.ts";
import { namedBucketsOf } from "../../src/runspec/named-buckets.ts";
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
  // Every size once before any is measured (JIT, caches), then each round visits the sizes in a
  // new random order: a fixed ascending order would credit the later sizes with the warm-up.
  for (const workers of awsWorkers) synthClusterForBench(workers);
  const awsTimes = new Map<number, number[]>(awsWorkers.map((workers) => [workers, []]));
  const awsResources = new Map<number, number>();
  const awsConfigs = new Map<number, TerraformConfig>();
  for (let round = 0; round < repetitions; round++) {
    for (const workers of shuffled(awsWorkers)) {
      const synth = synthClusterForBench(workers);
      awsTimes.get(workers)?.push(synth.ms);
      awsResources.set(workers, synth.resourceCount);
      awsConfigs.set(workers, synth.config);
    }
  }
  const aws = awsWorkers.map((workers) => point(workers, awsResources.get(workers) ?? 0, awsTimes.get(workers) ?? []));
  for (const entry of aws)
    log(`  aws synth, ${entry.workers} workers: ${entry.resources} resources, ${entry.ms.median.toFixed(0)} ms`);

  const params = await resolveParams({ store: new FileStore(), env: {}, target: "local" });
  for (const workers of localWorkers) await localSynth(workers, params);
  const localTimes = new Map<number, number[]>(localWorkers.map((workers) => [workers, []]));
  const localResources = new Map<number, number>();
  for (let round = 0; round < repetitions; round++) {
    for (const workers of shuffled(localWorkers)) {
      const synth = await localSynth(workers, params);
      localTimes.get(workers)?.push(synth.ms);
      localResources.set(workers, synth.resources);
    }
  }
  const local = localWorkers.map((workers) =>
    point(workers, localResources.get(workers) ?? 0, localTimes.get(workers) ?? []),
  );
  for (const entry of local)
    log(`  local synth, ${entry.workers} workers: ${entry.resources} resources, ${entry.ms.median.toFixed(0)} ms`);
  return { aws, local, awsConfigs };
}

function point(workers: number, resources: number, times: readonly number[]): SynthPoint {
  return { workers, resources, ms: sample(times) };
}

/** A copy in random order (Fisher-Yates). */
function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
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
      { defaults: params.defaults, namedBuckets: namedBucketsOf(params) },
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
