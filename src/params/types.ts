// Infrastructure parameters: what ops configure once (config/*.yml -> Consul KV) and every
// burst reads at synthesis. Keys are "<prefix><section>/<name>", e.g. "burst/aws/region".

/** Where a parameter's effective value came from, in precedence order (first wins). */
export type ParamSourceKind = "flag" | "env" | "spec" | "consul" | "file" | "default";

export interface ParamProvenance {
  readonly source: ParamSourceKind;
  /** Human pointer: "--region", "BURST_AWS_REGION", "consul:burst/aws/region", "config/aws.yml:3". */
  readonly where: string;
}

/** Spec defaults that ops set centrally (burst/defaults/...). */
export interface SpecDefaults {
  readonly results: string;
  readonly workers: number;
  readonly masterInstanceType: string;
  readonly workerInstanceType: string;
  readonly spark: string;
  readonly ttlMinutes: number;
  readonly diskGb: number;
}

/** burst/aws/... */
export interface AwsParams {
  readonly region: string;
  /** Which VPC's outputs to use: burst/vpc/<vpcName>/... */
  readonly vpcName: string;
  /** Pre-baked AMI with Java + Spark installed; when set, bootstrap skips installation. */
  readonly bakedAmi?: string;
  /** Plain OS image (Debian/Ubuntu) the bootstrap installs Spark on; unset: the newest official Debian 12. */
  readonly baseAmi?: string;
  readonly sshUser: string;
  /** CIDRs allowed to SSH to cluster nodes besides the caller's own address. */
  readonly sshAllowedCidrs: readonly string[];
  /** Buckets cluster nodes may read and write (scopes the instance role). */
  readonly buckets: readonly string[];
  /** Remote state for long-lived stacks: an S3 bucket, locked by a lock file beside the state... */
  readonly stateBucket?: string;
  /** ...or by this DynamoDB table where a site still has one (deprecated by terraform 1.10). */
  readonly stateLockTable?: string;
  /** How long the CLI waits for the master to print its SSH host key (boot + bootstrap). */
  readonly sshWaitSeconds: number;
  /**
   * Where nodes download pyspark, their Python packages and the s3a jars: "bucket" (the VPC's
   * artifacts bucket, staged by `npm run vpc -- stage`; the default) or "mirror" (PyPI and Maven Central).
   */
  readonly downloads: NodeDownloadSource;
  /** How long nodes may take to boot and bootstrap: a base image installs Java and Spark first. */
  readonly bootMinutes: number;
  /** The same for a baked image (Java and Spark already there). */
  readonly bakedBootMinutes: number;
  /** Which of a node's addresses the CLI connects to over SSH: "public" (the default) or "private". */
  readonly sshAddress: NodeAddress;
  /**
   * The S3 endpoint nodes use for s3a and their downloads (an S3 interface endpoint, an
   * S3-compatible store), addressed by path; absent: AWS's regional endpoint.
   */
  readonly s3Endpoint?: string;
}

export type NodeDownloadSource = "bucket" | "mirror";

export type NodeAddress = "public" | "private";

/** burst/vpc/<name>/... — written by the VPC stack after deploy. */
export interface VpcOutputs {
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupId: string;
  readonly instanceProfileName: string;
  /** Where Spark and the s3a jars are staged for nodes (absent for a VPC burst did not create). */
  readonly artifactsBucket?: string;
  /** The bucket a spec names as ${data} (absent for a VPC burst did not create). */
  readonly dataBucket?: string;
  /** The bucket a spec names as ${results}, and the ops default results prefix's bucket. */
  readonly resultsBucket?: string;
}

/** burst/vpc-config/... — inputs of the long-lived VPC stack. */
export interface VpcConfig {
  readonly cidr: string;
  readonly azCount: number;
  readonly privateSubnets: boolean;
}

/** burst/local/... */
export interface LocalParams {
  readonly workerCores: number;
  readonly workerMemory: string;
  /** The local S3 server's buckets a spec names as ${data} and ${results}. */
  readonly dataBucket: string;
  readonly resultsBucket: string;
}

export interface Params {
  readonly prefix: string;
  readonly defaults: SpecDefaults;
  readonly aws: AwsParams;
  readonly vpcConfig: VpcConfig;
  /** Absent until ops ran the VPC stack; the aws target errors with the fixing command. */
  readonly vpc?: VpcOutputs;
  readonly local: LocalParams;
  /** Optional webhook for run summaries. Secret: masked in every output. */
  readonly notifyWebhook?: string;
  /** Provenance of every leaf, keyed by the key relative to the prefix ("aws/region"). */
  readonly provenance: ReadonlyMap<string, ParamProvenance>;
}
