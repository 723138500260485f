// What every cluster stack takes and gives back. Plain types only (no CDKTF imports), so the
// engine in src/ can speak to any target's stack without loading CDKTF or a provider.

/** Identity of one run; tagged onto every resource a stack creates. */
export interface RunIdentity {
  readonly runId: string;
  readonly name: string;
  readonly owner: string;
  /** Commit SHA of the job's code, when known before launch. */
  readonly commit?: string;
  /** ISO-8601 time after which the cluster is garbage (ttlMinutes after launch). */
  readonly expiresAt: string;
}

/** What every target's cluster has; a target's own parts (aws: instance types, spot, disks) are in its stack's props. */
export interface ClusterShape {
  readonly workers: number;
  readonly sparkVersion: string;
  readonly ttlMinutes: number;
  /** Cores and memory each worker offers Spark. */
  readonly workerCores: number;
  readonly workerMemory: string;
}

/** A synthesized cluster stack. */
export interface ClusterSynth {
  /** <outdir>/stacks/<id>: cdk.tf.json, and the run's local state once terraform ran. */
  readonly stackDir: string;
  readonly resourceCount: number;
}

/** Outputs every cluster stack must define (terraform output names = these keys). */
export interface ClusterOutputs {
  /** Host the CLI SSHes to. */
  readonly masterHost: string;
  readonly sshPort: number;
  readonly sshUser: string;
  /** "ssh-ed25519 AAAA..." the master's sshd presents; the CLI refuses any other. Empty on aws: read from the console. */
  readonly hostKey: string;
  /** spark://host:port as seen from the master itself. */
  readonly sparkMasterUrl: string;
  /** Master web UI as seen from the master itself (wait-ready polls its /json endpoint over SSH). */
  readonly uiUrl: string;
  /** Folder on the master where burst keeps the job's code, logs and outputs. */
  readonly workDir: string;
  /** SPARK_HOME on the master. */
  readonly sparkHome: string;
  /** Instance ids (aws) or node names (local). */
  readonly nodeIds: readonly string[];
  /** Where the cluster ran (aws: outputs availabilityZone and subnetId); absent on the local target. */
  readonly placement?: ClusterPlacement;
}

export interface ClusterPlacement {
  readonly availabilityZone: string;
  readonly subnetId: string;
}

export const clusterOutputNames = [
  "masterHost",
  "sshPort",
  "sshUser",
  "hostKey",
  "sparkMasterUrl",
  "uiUrl",
  "workDir",
  "sparkHome",
  "nodeIds",
] as const satisfies readonly (keyof ClusterOutputs)[];
