// The aws target's parameters: its section (aws/...), the VPC stack's inputs (vpc-config/...) and
// the outputs the VPC stack publishes (vpc/<name>/...), with their types. Plain data: every
// command that reads parameters loads it, so it imports nothing but the parameter layer's leaves
// and codecs (test/architecture/layers.test.ts).

import {
  boolean,
  bucketName,
  cidr,
  httpUrl,
  integer,
  list,
  oneOf,
  pattern,
  simpleName,
  unixUser,
} from "../../params/codecs.ts";
import { envNameFor, fixedSection, type ParamSections, publishedSection } from "../../params/section.ts";

/** The command that creates the VPC and publishes its outputs (burst/vpc/<name>/...). */
export const VPC_DEPLOY_COMMAND = "npm run vpc -- deploy";

export type NodeDownloadSource = "bucket" | "mirror";

export type NodeAddress = "public" | "private";

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

// ---- codecs of AWS names and ids ----------------------------------------------------------

// Partition-aware: eu-west-1, us-gov-west-1, cn-north-1, us-isob-east-1.
export const awsRegion = pattern("an AWS region like eu-west-1", /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/);

const awsId = (kind: string) =>
  pattern(`an id like ${kind}-0123456789abcdef0`, new RegExp(`^${kind}-([0-9a-f]{8}|[0-9a-f]{17})$`));
export const amiId = awsId("ami");
export const vpcId = awsId("vpc");
export const subnetId = awsId("subnet");
export const securityGroupId = awsId("sg");
export const dynamoTable = pattern("a DynamoDB table name", /^[a-zA-Z0-9_.-]{3,255}$/);
export const instanceProfileName = pattern("an IAM instance profile name", /^[\w+=,.@-]{1,128}$/);

// ---- the sections -------------------------------------------------------------------------

const awsSection = fixedSection<AwsParams>("aws", "aws.yml", ({ need, maybe }) => ({
  // No built-in region or AMI: both are a site's decision, and the AMI is per region.
  region: need("aws/region", awsRegion),
  vpcName: need("aws/vpcName", simpleName, { fallback: "main" }),
  bakedAmi: maybe("aws/bakedAmi", amiId),
  baseAmi: maybe("aws/baseAmi", amiId),
  sshUser: need("aws/sshUser", unixUser, { fallback: "admin" }),
  sshAllowedCidrs: need("aws/sshAllowedCidrs", list(cidr({ ipv6: true })), { fallback: [] }),
  buckets: need("aws/buckets", list(bucketName), { fallback: [] }),
  stateBucket: maybe("aws/stateBucket", bucketName),
  stateLockTable: maybe("aws/stateLockTable", dynamoTable),
  // A base image installs Java and Spark before its bootstrap prints the host key.
  sshWaitSeconds: need("aws/sshWaitSeconds", integer(5, 3600), { fallback: 900 }),
  downloads: need<NodeDownloadSource>("aws/downloads", oneOf("bucket", "mirror"), { fallback: "bucket" }),
  bootMinutes: need("aws/bootMinutes", integer(1, 120), { fallback: 15 }),
  bakedBootMinutes: need("aws/bakedBootMinutes", integer(1, 120), { fallback: 3 }),
  // The private address serves a caller inside the network (VPN, peering, Direct Connect).
  sshAddress: need<NodeAddress>("aws/sshAddress", oneOf("public", "private"), { fallback: "public" }),
  // Absent: AWS's regional endpoint, through the VPC's gateway endpoint.
  s3Endpoint: maybe("aws/s3Endpoint", httpUrl),
}));
export const awsLeaves = awsSection.leaves;

const vpcConfigSection = fixedSection<VpcConfig>("vpc-config", "aws.yml", ({ need }) => ({
  cidr: need("vpc-config/cidr", cidr({ ipv6: false, minPrefix: 16, maxPrefix: 24 }), { fallback: "10.42.0.0/16" }),
  azCount: need("vpc-config/azCount", integer(1, 6), { fallback: 2 }),
  privateSubnets: need("vpc-config/privateSubnets", boolean, { fallback: false }),
}));
export const vpcConfigLeaves = vpcConfigSection.leaves;

export const VPC_OUTPUT_NAMES = [
  "vpcId",
  "subnetIds",
  "securityGroupId",
  "instanceProfileName",
  "artifactsBucket",
  "dataBucket",
  "resultsBucket",
] as const satisfies readonly (keyof VpcOutputs)[];

// burst/vpc/<name>/..., written by the VPC stack; one environment variable per output whatever the name.
const vpcSection = publishedSection<VpcOutputs>(
  {
    key: "vpc",
    file: "vpc.yml",
    nameKey: awsLeaves.vpcName.key,
    names: VPC_OUTPUT_NAMES,
    publisher: { name: "the VPC stack", what: "the VPC outputs", command: VPC_DEPLOY_COMMAND },
    missingHint: `run \`${VPC_DEPLOY_COMMAND}\` to create the VPC and publish its outputs`,
  },
  ({ need, maybe }, vpcName) => {
    const key = (name: (typeof VPC_OUTPUT_NAMES)[number]) => `vpc/${vpcName}/${name}`;
    const env = (name: (typeof VPC_OUTPUT_NAMES)[number]) => ({ env: envNameFor(`vpc/${name}`) });
    return {
      vpcId: need(key("vpcId"), vpcId, env("vpcId")),
      subnetIds: need(key("subnetIds"), list(subnetId, 1), env("subnetIds")),
      securityGroupId: need(key("securityGroupId"), securityGroupId, env("securityGroupId")),
      instanceProfileName: need(key("instanceProfileName"), instanceProfileName, env("instanceProfileName")),
      // Optional: a VPC made by hand (config/vpc.yml) may have none; aws/downloads: bucket then refuses.
      artifactsBucket: maybe(key("artifactsBucket"), bucketName, env("artifactsBucket")),
      // The account's own buckets a spec names as ${data} and ${results} (optional for the same reason).
      dataBucket: maybe(key("dataBucket"), bucketName, { ...env("dataBucket"), names: "data" }),
      resultsBucket: maybe(key("resultsBucket"), bucketName, { ...env("resultsBucket"), names: "results" }),
    };
  },
);
export const vpcOutputLeaves = vpcSection.leaves;

/** The aws target's parameter sections, by their name in Params: params.aws, params.vpcConfig, params.vpc. */
export const awsParamSections = {
  aws: awsSection,
  vpcConfig: vpcConfigSection,
  vpc: vpcSection,
} as const satisfies ParamSections;

/** A value the VPC stack publishes: lists are stored as JSON, the rest as text. */
type OutputValue = string | readonly string[];

/** The entries the VPC stack publishes for `vpcName`: vpc/<name>/vpcId, subnetIds, ... */
export function vpcOutputEntries(vpcName: string, outputs: VpcOutputs): Record<string, OutputValue> {
  return {
    [`vpc/${vpcName}/vpcId`]: outputs.vpcId,
    [`vpc/${vpcName}/subnetIds`]: outputs.subnetIds,
    [`vpc/${vpcName}/securityGroupId`]: outputs.securityGroupId,
    [`vpc/${vpcName}/instanceProfileName`]: outputs.instanceProfileName,
    ...(outputs.artifactsBucket ? { [`vpc/${vpcName}/artifactsBucket`]: outputs.artifactsBucket } : {}),
    ...(outputs.dataBucket ? { [`vpc/${vpcName}/dataBucket`]: outputs.dataBucket } : {}),
    ...(outputs.resultsBucket ? { [`vpc/${vpcName}/resultsBucket`]: outputs.resultsBucket } : {}),
  };
}
