import type { ClusterOutputs, ClusterPlacement } from "../../stacks/contract.ts";
import type { ResolvedCode } from "../job/code.ts";
import type { DecommissionedExecutor } from "../job/decommissions.ts";
import type { FailureDigest } from "../job/failure-digest.ts";
import type { Params } from "../params/types.ts";
import type { Spec } from "../runspec/types.ts";
import type { ActualCost } from "../targets/contract.ts";
import type { Outcome, Phase } from "./events.ts";
import type { StepRecord, StepsResult } from "./steps.ts";

export interface PhaseTiming {
  readonly phase: Phase;
  readonly startedAt: string;
  readonly seconds: number;
  readonly ok: boolean;
}

/** manifest.json: the durable record of a run, uploaded beside its logs and outputs. */
export interface RunManifest {
  readonly burstVersion: string;
  readonly runId: string;
  readonly name: string;
  readonly owner: string;
  readonly target: string;
  readonly spec: {
    readonly file: string;
    readonly sha256: string;
    readonly resolved: string;
    readonly environment?: string;
    readonly legacyBlock?: string;
    readonly overlays?: readonly { readonly file: string; readonly sha256: string }[];
  };
  readonly code: { readonly repo: string; readonly ref: string; readonly commit: string };
  readonly cluster: {
    readonly workers: number;
    readonly sparkVersion: string;
    readonly masterHost?: string;
    readonly sparkMasterUrl?: string;
    readonly nodeIds?: readonly string[];
    /** Where the cluster ran (AZ and subnet on aws). */
    readonly placement?: ClusterPlacement;
  };
  readonly params: Readonly<Record<string, { readonly value: string; readonly source: string }>>;
  readonly phases: readonly PhaseTiming[];
  readonly startedAt: string;
  readonly endedAt: string;
  readonly outcome: Outcome;
  readonly exitCode: number | null;
  readonly jobExitCode: number | null;
  readonly steps: readonly StepRecord[];
  readonly onError?: StepRecord;
  /** What failed: the failed step's digest (its exception, stage, executor loss or last lines). */
  readonly failure?: FailureDigest & { readonly step: string };
  readonly costEstimateUsd?: number;
  /** What the run cost, from its nodes' actual lifetimes: added to the local copy after destroy. */
  readonly actualCost?: ActualCost;
  readonly results: string;
  readonly files: readonly string[];
  readonly missingOutputs: readonly string[];
  /** Workers a spot interruption took away while a job ran (their executors, decommissioned gracefully). */
  readonly interruptedWorkers: readonly DecommissionedExecutor[];
}

export interface ManifestInput {
  readonly version: string;
  readonly runId: string;
  readonly owner: string;
  readonly spec: Spec;
  readonly resolvedSpec: string;
  readonly code: ResolvedCode;
  readonly params: Params;
  readonly outputs?: ClusterOutputs;
  readonly phases: readonly PhaseTiming[];
  readonly startedAt: Date;
  readonly outcome: Outcome;
  readonly exitCode: number | null;
  readonly jobExitCode: number | null;
  readonly steps?: StepsResult;
  readonly costUsd?: number;
  readonly resultsUri: string;
  readonly files: readonly string[];
  readonly missingOutputs: readonly string[];
  readonly interruptedWorkers?: readonly DecommissionedExecutor[];
}

export function buildManifest(input: ManifestInput): RunManifest {
  const params: Record<string, { value: string; source: string }> = {};
  for (const [key, provenance] of input.params.provenance) {
    params[key] = { value: paramValue(input.params, key), source: provenance.where };
  }
  return {
    burstVersion: input.version,
    runId: input.runId,
    name: input.spec.name,
    owner: input.owner,
    target: input.spec.target,
    spec: {
      file: input.spec.source.file,
      sha256: input.spec.source.sha256,
      resolved: input.resolvedSpec,
      environment: input.spec.environment,
      legacyBlock: input.spec.source.legacyBlock,
      overlays: input.spec.source.overlays,
    },
    code: { repo: input.code.displayRepo, ref: input.code.ref, commit: input.code.sha },
    cluster: {
      workers: input.spec.cluster.workers,
      sparkVersion: input.spec.cluster.spark,
      masterHost: input.outputs?.masterHost,
      sparkMasterUrl: input.outputs?.sparkMasterUrl,
      nodeIds: input.outputs?.nodeIds,
      placement: input.outputs?.placement,
    },
    params,
    phases: input.phases,
    startedAt: input.startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    outcome: input.outcome,
    exitCode: input.exitCode,
    jobExitCode: input.jobExitCode,
    steps: input.steps?.steps ?? [],
    onError: input.steps?.onError,
    ...failureOf(input.steps),
    costEstimateUsd: input.costUsd,
    results: input.resultsUri,
    files: input.files,
    missingOutputs: input.missingOutputs,
    interruptedWorkers: input.interruptedWorkers ?? [],
  };
}

function failureOf(steps: StepsResult | undefined): { failure?: RunManifest["failure"] } {
  const failed = steps?.steps.find((step) => step.outcome === "failed");
  return failed?.digest ? { failure: { step: failed.name, ...failed.digest } } : {};
}

/** The value of "section/name" in the typed params, as text. */
function paramValue(params: Params, key: string): string {
  let node: unknown = params;
  for (const part of key.split("/")) {
    node = node !== null && typeof node === "object" ? (node as Record<string, unknown>)[part] : undefined;
  }
  return typeof node === "string" ? node : JSON.stringify(node ?? null);
}
