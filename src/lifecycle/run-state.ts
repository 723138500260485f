// What a run has at each point: every phase takes the state the phases before it produced and
// returns the next one, so a phase cannot use what does not exist yet.
import type { ClusterOutputs, RunIdentity } from "../../stacks/contract.ts";
import type { ResolvedCode } from "../job/code.ts";
import type { JobDependencies } from "../job/command.ts";
import type { RemoteJob } from "../job/remote-job.ts";
import type { Params } from "../params/types.ts";
import type { RemoteNode } from "../remote/ssh.ts";
import type { Spec } from "../runspec/types.ts";
import type { ObjectStore } from "../storage/s3.ts";
import type { PreparedCluster, SynthResult } from "../targets/contract.ts";
import type { TerraformDriver } from "../terraform/driver.ts";
import type { TerraformProvider } from "../terraform/provider-installation.ts";
import type { EventSink } from "./events.ts";
import type { Interrupts } from "./interrupts.ts";
import type { ResourceOwner } from "./resources.ts";
import type { RunRecord } from "./run-record.ts";
import type { RunSeams } from "./seams.ts";
import type { StepsResult } from "./steps.ts";

/** What every phase may use: the run's channels, its owner of resources and its record. */
export interface RunScope {
  readonly sink: EventSink;
  readonly interrupts: Interrupts;
  /** Shared with the reporters: every value added here is hidden from all output. */
  readonly secrets: string[];
  readonly owner: ResourceOwner;
  readonly journal: RunJournal;
  readonly started: Date;
  /** Whose run this is (BURST_OWNER or the login name). */
  readonly runOwner: string;
  /** Where tests reach in (none in production). */
  readonly seams?: RunSeams;
}

/** The run's record (run.json, and the shared registry): absent until synth has a stack. */
export interface RunJournal {
  readonly record: RunRecord | undefined;
  start(record: RunRecord): Promise<void>;
  update(patch: Partial<RunRecord>): Promise<void>;
  /** Replace the whole record (after destroy, which writes its own). */
  replace(record: RunRecord): Promise<void>;
}

/** After `validate`: the spec, its code at a commit, the parameters. Bad input stops before this. */
export interface ValidatedRun {
  readonly params: Params;
  readonly spec: Spec;
  readonly code: ResolvedCode;
  /** The resolved notification URL (a secret). */
  readonly webhook?: string;
}

/** A run that has an id and a folder (from synth on). */
export interface RunPlace {
  readonly runId: string;
  readonly runDir: string;
  readonly identity: RunIdentity;
  /** Where results go: <results>/<name>/<runId>/. */
  readonly resultsUri: string;
}

/** After prepare and synth (shared by a launch and a dry run). */
export interface SynthesizedRun {
  readonly prepared: PreparedCluster;
  readonly synth: SynthResult;
  readonly terraformEnv: readonly string[];
  readonly terraformProvider?: TerraformProvider;
}

/** After `synth` on a launch: a stack terraform can apply, and the record that finds it again. */
export interface LaunchableRun extends ValidatedRun, RunPlace, SynthesizedRun {
  readonly driver: TerraformDriver;
}

/** After `wait-ready`: the cluster's outputs, a connection to its master and its object store. */
export interface ConnectedRun extends LaunchableRun {
  readonly outputs: ClusterOutputs;
  readonly node: RemoteNode;
  readonly store: ObjectStore;
}

/** The job on the master: what collect downloads, whatever happens to the phases after clone starts. */
export interface JobProgress {
  readonly job: RemoteJob;
  /** Attempt folders launched so far, in order (pip's log first when it ran). */
  readonly attempts: string[];
  /** True once anything on the master writes logs collect should save. */
  started: boolean;
  deps: JobDependencies;
  steps?: StepsResult;
}
