// The resolved shape of a spark.yml after parsing, validation and defaults.
// Field names are the spec's own keys, so an error's key path reads like the file.

import type { SourceLocation } from "../errors.ts";
import type { TargetName } from "../targets/names.ts";

export type { TargetName };
export type JobType = "pyspark" | "jar" | "shell";

export interface CodeSpec {
  /** git URL (https, ssh, file://) or a local path, resolved against the spec's folder. */
  readonly repo: string;
  /** Branch, tag or commit. */
  readonly ref: string;
  /** Folder inside the repo the job runs from; "" is the repo root. */
  readonly subdirectory: string;
}

export interface JobSpec {
  readonly type: JobType;
  /** Path of the .py / .jar / shell command, relative to code.subdirectory. */
  readonly entrypoint: string;
  /** Main class, required for jar jobs. */
  readonly class?: string;
  readonly args: readonly string[];
  /** Spark conf passed as --conf key=value. */
  readonly conf: Readonly<Record<string, string>>;
  /** Environment variables for the job process. */
  readonly env: Readonly<Record<string, string>>;
  /** Kill the job after this many minutes (0 = only the cluster TTL applies). */
  readonly timeoutMinutes: number;
}

/** One step of a run: a job with a name, run in order with the others on the same cluster. */
export interface StepSpec extends JobSpec {
  /** Unique within the spec; "job" for a spec written with a single job:, "on-error" for onError. */
  readonly name: string;
  /** Run the step again up to this many times when it fails (0-10). */
  readonly retries: number;
}

/** Cluster-wide dependencies of every step, given to spark-submit. */
export interface DependenciesSpec {
  /** Maven coordinates group:artifact:version (spark-submit --packages). */
  readonly packages: readonly string[];
  /** Paths of .jar files relative to the repository root (spark-submit --jars). */
  readonly jars: readonly string[];
  /** pip requirements (PEP 508), installed for every step's driver and executors. */
  readonly pip: readonly string[];
  /** Path of a pip requirements file relative to the repository root, installed on every node. */
  readonly requirements?: string;
}

export type NotifyEvent = "success" | "failure";

export interface NotifySpec {
  /** An https URL, or "${NAME}": read the URL from environment variable NAME (see resolveWebhook). A secret. */
  readonly webhook: string;
  readonly on: readonly NotifyEvent[];
}

export interface NodeSpec {
  readonly instanceType: string;
}

export interface WorkerNodeSpec extends NodeSpec {
  readonly spot: boolean;
  /** Highest spot price in USD per hour; absent = on-demand price cap. */
  readonly maxPrice?: number;
  /** Fall back to on-demand when spot capacity is unavailable. */
  readonly spotFallback: boolean;
  /** Cores and memory each worker offers Spark (local target uses these directly). */
  readonly cores?: number;
  readonly memory?: string;
}

export interface ClusterSpec {
  readonly workers: number;
  readonly master: NodeSpec;
  readonly worker: WorkerNodeSpec;
  /** Spark version, e.g. "3.5.3". */
  readonly spark: string;
  readonly diskGb: number;
  /** Nodes shut themselves down after this many minutes, whatever happens to the CLI. */
  readonly ttlMinutes: number;
}

/** A local file or folder staged into S3 before the job runs. */
export interface InputSpec {
  /** Local path, resolved against the spec's folder. */
  readonly from: string;
  /** s3:// URI (a trailing "/" means "into this prefix"). */
  readonly to: string;
}

export interface SpecSource {
  /** Absolute path of the spec file. */
  readonly file: string;
  /** Folder relative paths in the spec are resolved against. */
  readonly dir: string;
  /** sha256 of the file's bytes. */
  readonly sha256: string;
  /** Environment overlay files merged over the spec, in the order applied (absent: none). */
  readonly overlays?: readonly { readonly file: string; readonly sha256: string }[];
  /** The block of a legacy (Terraform + Consul + Ansible) spec file this spec was translated from. */
  readonly legacyBlock?: string;
  /** Where maxCostUsd is written (file and line), for the refusal that happens after parsing, once the cost is known. */
  readonly maxCostUsdAt?: SourceLocation;
}

/** What ${data} and ${results} stand for in a spec's S3 URIs on one target (from its parameters). */
export interface NamedBuckets {
  readonly data?: string;
  readonly results?: string;
  /** The parameters that name them, for errors: "local/dataBucket", "vpc/main/dataBucket". */
  readonly params: { readonly data: string; readonly results: string };
  /** How to get them named when they are not. */
  readonly hint: string;
}

export interface Spec {
  readonly name: string;
  readonly target: TargetName;
  /** The environment whose overlay was merged in (--env); absent: the spec as written. */
  readonly environment?: string;
  readonly code: CodeSpec;
  /**
   * The first step (steps[0]) without its name and retries. Kept for code written when a
   * spec ran exactly one job; code that runs steps reads `steps`.
   */
  readonly job: JobSpec;
  /** What to run, in order, on one cluster; never empty. A spec written with job: has one step named "job". */
  readonly steps: readonly StepSpec[];
  /** Run once, after the failing step, when a step fails (its retries used up). */
  readonly onError?: StepSpec;
  readonly dependencies: DependenciesSpec;
  readonly cluster: ClusterSpec;
  readonly inputs: readonly InputSpec[];
  /** Files or folders (relative to the job's working folder on the master) copied to results. */
  readonly outputs: readonly string[];
  /** s3:// prefix; the run writes to <results>/<name>/<runId>/. */
  readonly results: string;
  /** Buckets the run uses (derived from inputs, results and s3a:// args; the local target creates them). */
  readonly buckets: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
  /** Refuse to launch when the cost estimate is above this (USD). */
  readonly maxCostUsd?: number;
  /** Webhook told about the run's outcome; absent: no notifications. */
  readonly notify?: NotifySpec;
  /** Things the user should know that are not errors (keys of a legacy spec that no longer apply), each "file:line:col: key: sentence". */
  readonly warnings: readonly string[];
  /** What a translation wants the user to know that is no problem (a legacy block: which buckets the run reaches). */
  readonly notes?: readonly string[];
  readonly source: SpecSource;
}
