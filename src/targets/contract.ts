// The provisioning contract every target fulfils. A new target is a new folder under
// src/targets/ plus its name in ./names.ts and one line in ./index.ts, never new `if`s in the
// lifecycle. (Not yet true everywhere: the params layer still knows aws and local by name.)
import type { ClusterOutputs, RunIdentity } from "../../stacks/contract.ts";
import type { NodeConsole } from "../lifecycle/node-bootstrap.ts";
import type { Params } from "../params/types.ts";
import type { SshEndpoint } from "../remote/ssh.ts";
import type { Spec, TargetName } from "../spec/types.ts";
import type { S3Access } from "../storage/s3.ts";
import type { AppliedStack } from "../terraform/destroy.ts";
import type { TerraformEvent } from "../terraform/events.ts";

export interface RunContext {
  readonly runId: string;
  /** The run's private folder (keys, secrets, stack, state, logs). */
  readonly runDir: string;
  readonly spec: Spec;
  readonly params: Params;
  readonly identity: RunIdentity;
  readonly log: (message: string) => void;
}

/** `plan` (dry run) must not install, start or generate anything lasting. */
export type PrepareMode = "plan" | "launch";

export interface SynthResult {
  /** Folder holding cdk.tf.json; terraform runs here. */
  readonly stackDir: string;
  readonly resourceCount: number;
}

export interface PreparedCluster {
  /** Synthesize the cluster stack (in-process CDKTF) into `outdir`. */
  synth(outdir: string): SynthResult;
  /** How the CLI reaches the master once the stack is applied. */
  sshEndpoint(outputs: ClusterOutputs, signal?: AbortSignal): Promise<SshEndpoint>;
  /** Where inputs are read from and results written to. */
  readonly objectStore: S3Access;
  /** Buckets burst must create before staging (local S3 server); none on aws. */
  readonly createBuckets: boolean;
  /** Values that must never appear in any output. */
  readonly secrets: readonly string[];
  /** Human summary of what would be provisioned (dry run, and the manifest). */
  readonly plan: readonly string[];
  /** A folder on the master that outlives the run, where installed Python dependency sets are reused; absent: installed every run. */
  readonly pythonDependencyCache?: string;
  /** Estimated cost of the run in USD, when known. */
  readonly costUsd?: number;
  /** Why costUsd is absent (an unpriced instance type or region): maxCostUsd then refuses the run. */
  readonly costUnknown?: string;
  /** Where a user can look at an s3:// URI directly (local: a folder). */
  browse(uri: string): string | undefined;
  /** Hand every node the run's secrets (the Spark auth secret) once the stack is applied; absent: the stack's nodes already have them. */
  deliverSecrets?(outputs: ClusterOutputs, signal?: AbortSignal): Promise<void>;
  /** Each node's console, where the node role reports its steps and ready/failed (aws). */
  nodeConsoles?(outputs: ClusterOutputs): readonly NodeConsole[];
  /** How long the nodes may take to become ready (target-specific, from parameters). */
  readonly readyTimeoutMs?: number;
  /** After a failed apply: re-synthesize into the same folder for another try (e.g. no capacity) and say whether to apply again. */
  retryAfterApplyFailure?(errorText: string): Promise<boolean>;
}

export interface Target {
  readonly name: TargetName;
  /** Prefixes of the CLI's environment variables its stack's providers read; terraform gets no other. */
  readonly terraformEnv: readonly string[];
  /** Everything the stack needs before synthesis: runtimes, keys, ports, parameters. */
  prepare(context: RunContext, mode: PrepareMode): Promise<PreparedCluster>;
  /** Destroy a run's applied stack from its folder and state; throws if anything is left in the state. */
  destroy(stack: AppliedStack, onEvent: (event: TerraformEvent) => void): Promise<void>;
}

/** Terraform outputs (name → value) checked into the typed contract. */
export function readClusterOutputs(raw: Record<string, unknown>): ClusterOutputs {
  const text = (name: string) => {
    const value = raw[name];
    if (typeof value !== "string") throw new Error(`stack output ${name} is missing or not a string`);
    return value;
  };
  const port = Number(raw.sshPort);
  if (!Number.isInteger(port)) throw new Error("stack output sshPort is missing or not a number");
  const nodeIds = raw.nodeIds;
  const placement =
    typeof raw.availabilityZone === "string" && typeof raw.subnetId === "string"
      ? { placement: { availabilityZone: raw.availabilityZone, subnetId: raw.subnetId } }
      : {};
  return {
    masterHost: text("masterHost"),
    sshPort: port,
    sshUser: text("sshUser"),
    hostKey: typeof raw.hostKey === "string" ? raw.hostKey : "",
    sparkMasterUrl: text("sparkMasterUrl"),
    uiUrl: text("uiUrl"),
    workDir: text("workDir"),
    sparkHome: text("sparkHome"),
    nodeIds: Array.isArray(nodeIds) ? nodeIds.map(String) : [],
    ...placement,
  };
}
