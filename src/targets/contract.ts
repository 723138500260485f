// The provisioning contract every target fulfils, read by the lifecycle, `down` and `gc`. A new
// target is a folder under src/targets/ that fulfils it, a folder under stacks/ that synthesizes
// its cluster, and one line in the registry (./index.ts); docs/architecture.md says what else
// (its parameters) it touches.
import type { ClusterOutputs, ClusterPlacement, RunIdentity } from "../../stacks/contract.ts";
import type { EventSink } from "../lifecycle/events.ts";
import type { NodeBootHints, NodeConsole } from "../lifecycle/node-bootstrap.ts";
import type { Params } from "../params/types.ts";
import type { SshEndpoint } from "../remote/ssh.ts";
import type { Spec, TargetName } from "../runspec/types.ts";
import type { S3Access } from "../storage/s3.ts";
import type { TerraformEvent } from "../terraform/events.ts";
import type { TerraformProvider } from "../terraform/provider-installation.ts";

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
  /** How the cluster is shown to people (dry run, results): presentation, not infrastructure. */
  readonly view: ClusterView;
  /** A folder on the master that outlives the run, where installed Python dependency sets are reused; absent: installed every run. */
  readonly pythonDependencyCache?: string;
  /** Estimated cost of the run in USD, when known. */
  readonly costUsd?: number;
  /** Why costUsd is absent (an unpriced instance type or region): maxCostUsd then refuses the run. */
  readonly costUnknown?: string;
  /** What a user can change so the cost can be estimated (where the target's prices are). */
  readonly costUnknownHint?: string;
  /** Hand every node the run's secrets (the Spark auth secret) once the stack is applied; absent: the stack's nodes already have them. */
  deliverSecrets?(outputs: ClusterOutputs, signal?: AbortSignal): Promise<void>;
  /** Each node's console, where the node role reports its steps and ready/failed (aws). */
  nodeConsoles?(outputs: ClusterOutputs): readonly NodeConsole[];
  /** What to tell a user whose nodes (read through nodeConsoles) failed or were late to boot. */
  readonly nodeBootHints?: NodeBootHints;
  /** How long the nodes may take to become ready (target-specific, from parameters). */
  readonly readyTimeoutMs?: number;
  /** After a failed apply: re-synthesize into the same folder for another try (e.g. no capacity) and say whether to apply again. */
  retryAfterApplyFailure?(errorText: string): Promise<boolean>;
}

export interface ClusterView {
  /** Human summary of what would be provisioned (dry run, and the manifest). */
  readonly plan: readonly string[];
  /** Where a user can look at an s3:// URI directly (local: a folder). */
  browse(uri: string): string | undefined;
}

/** A run's stack once apply has started: what destroy needs, all of it in the run record. */
export interface AppliedStack {
  /** Folder holding cdk.tf.json and the run's state. */
  readonly stackDir: string;
  /** The run's private folder (terraform's CLI config is written here). */
  readonly runDir: string;
  /** terraform or tofu, the one that applied the stack. */
  readonly terraformBinary: string;
  /** Values removed from everything terraform prints. */
  readonly secrets?: readonly string[];
  /** Every line terraform prints, redacted, is appended here (the run's terraform.log). */
  readonly logFile?: string;
}

/** A kept run's cluster, as its record knows it: its stack, where it ran, how the run reached its master. */
export interface KeptCluster extends AppliedStack {
  readonly runId: string;
  /** Where the cluster ran (aws: the AZ, and so the region, of its nodes). */
  readonly placement?: ClusterPlacement;
  /** The run's own key and the master's pinned host key, once the master answered. */
  readonly master?: SshEndpoint;
}

/** What endClusterBy could not do. */
export interface ClusterEndReport {
  /** Nodes whose TTL guard still stands at the spec's TTL, each with why ("worker i-0abc: could not SSH to …"). */
  readonly unreached: readonly string[];
}

export interface Target {
  readonly name: TargetName;
  /** Prefixes of the CLI's environment variables its stack's providers read; terraform gets no other. */
  readonly terraformEnv: readonly string[];
  /** The provider its stacks pin, which a local mirror may hold; absent: terraform's built-in one only. */
  readonly terraformProvider?: TerraformProvider;
  /** Everything the stack needs before synthesis: runtimes, keys, ports, parameters. */
  prepare(context: RunContext, mode: PrepareMode): Promise<PreparedCluster>;
  /** Destroy a run's applied stack from its folder and state; throws if anything is left in the state. */
  destroy(stack: AppliedStack, onEvent: (event: TerraformEvent) => void): Promise<void>;
  /** Resources of this target that no run record on this machine accounts for (absent: the target leaves none beyond its runs' state). */
  readonly leftovers?: LeftoverSweeper;
  /**
   * Bring the nodes' TTL guard forward to `deadline` (a cluster kept after a failure), only ever
   * earlier; absent: the spec's TTL ends it. Throws when the master's cannot be moved (the cluster
   * is then destroyed rather than kept); other nodes it could not reach are reported.
   */
  endClusterBy?(cluster: KeptCluster, deadline: Date): Promise<ClusterEndReport>;
  /** Copy `<resultsUri><prefix>` of a run whose cluster is gone into `localDir` (from where the run's record placed it); false when nothing is there. */
  fetchResults?(resultsUri: string, prefix: string, localDir: string, placement?: ClusterPlacement): Promise<boolean>;
  /** Replace `<resultsUri><name>` with `localFile` once the cluster is gone (the manifest with its actual cost); absent: the copy uploaded at collect stays. */
  replaceResult?(resultsUri: string, name: string, localFile: string, placement?: ClusterPlacement): Promise<void>;
  /** SPARK_HOME of the Spark this machine runs burst's own tools with (`burst ui`'s History Server). */
  toolSpark?(version: string, log: (message: string) => void): Promise<string>;
  /** What a destroyed run's nodes cost, from their actual lifetimes (absent: the target records no cost). */
  actualCost?(request: ActualCostRequest): Promise<ActualCost>;
}

/** A destroyed run, as its record knows it: whose nodes to price, and the cluster's lifetime by burst's clock. */
export interface ActualCostRequest {
  readonly runId: string;
  /** When apply started (the first node could launch). */
  readonly clusterStartedAt: Date;
  /** When destroy ended (the last node was gone). */
  readonly clusterEndedAt: Date;
  /** The availability zone the cluster ran in (aws), from the run record. */
  readonly availabilityZone?: string;
  /** The CLI's environment (credentials, endpoints, region). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The run's parameters, when the caller has them (the run's own teardown). */
  readonly params?: Params;
}

/** What a run cost, node by node. */
export interface ActualCost {
  readonly totalUsd: number;
  readonly nodes: readonly NodeCost[];
  /** Where the prices came from ("EC2 spot price history", the price table's date...). */
  readonly priceSources: readonly string[];
  /** Nodes no price was found for: totalUsd is then a lower bound. */
  readonly unpriced: readonly string[];
}

export interface NodeCost {
  /** The instance id (aws) or node name (local). */
  readonly id: string;
  readonly instanceType?: string;
  readonly lifecycle: "on-demand" | "spot" | "local";
  readonly launchedAt: string;
  readonly endedAt: string;
  readonly hours: number;
  /** Absent when unpriced. */
  readonly perHourUsd?: number;
  readonly usd: number;
}

/** What `burst gc` asks of a target whose resources can outlive every run record (the cloud's). */
export interface LeftoverSweeper {
  /**
   * Get ready to sweep with this machine's configuration (aws: an EC2 client for the region), or
   * say why this machine has nothing to sweep with ("no AWS region configured").
   */
  open(context: LeftoverContext): Promise<LeftoverSession | { readonly notSwept: string }>;
}

export interface LeftoverContext {
  /** The CLI's environment: credentials, and whether the user turned sweeping off. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** This machine's parameters, resolved only if the sweeper needs them. */
  readonly params: () => Promise<Params>;
}

export interface LeftoverSession {
  /** Find the leftovers and remove them in dependency order (a dry run lists them), each reported on the sink; a failure to remove one is counted, not thrown. */
  sweep(request: LeftoverRequest): Promise<LeftoverReport>;
  /** Release what open() acquired. */
  close(): void;
}

export interface LeftoverRequest {
  /** Runs this machine's records say are live: their unexpired resources stay. */
  readonly knownRuns: ReadonlySet<string>;
  readonly now: Date;
  /** When set, an unexpired resource of an unknown run goes only if this owner's; expired ones go whoever owns them. */
  readonly orphanOwner?: string;
  /** List what would be removed; change nothing. */
  readonly dryRun: boolean;
  readonly sink: EventSink;
}

export interface LeftoverReport {
  /** One per leftover, in removal order. */
  readonly results: readonly LeftoverResult[];
  readonly failed: number;
}

export interface LeftoverResult {
  readonly leftover: { readonly kind: string; readonly id: string; readonly runId: string };
  readonly action: "removed" | "would-remove" | "already-gone" | "failed";
  readonly error?: string;
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
