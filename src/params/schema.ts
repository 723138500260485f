// Every parameter burst knows: its key, its type, whether it is required, its built-in
// default, its environment variable, the config file that declares it and who writes it.

import { isSecretKey } from "../util/redact.ts";
import {
  amiId,
  awsRegion,
  boolean,
  bucketName,
  type Codec,
  cidr,
  dynamoTable,
  httpUrl,
  instanceProfileName,
  instanceType,
  integer,
  list,
  oneOf,
  s3Uri,
  securityGroupId,
  simpleName,
  sparkMemory,
  sparkVersion,
  subnetId,
  unixUser,
  vpcId,
} from "./codecs.ts";
import type { NodeAddress, NodeDownloadSource } from "./types.ts";

/**
 * Who writes a key into Consul. `npm run config:push --prune` only removes keys the files own;
 * the others are written by the VPC stack or by an operator (secrets never live in git).
 */
export type KeyOwner = "files" | "vpc-stack" | "operator";

export interface Leaf<T, Required extends boolean = boolean> {
  /** Relative to the prefix: "aws/region". */
  readonly key: string;
  readonly codec: Codec<T>;
  /** Optional leaves resolve to undefined when absent or set to "". */
  readonly required: Required;
  /** Built-in default, the last source consulted. */
  readonly fallback?: T;
  readonly env: string;
  /** Config file (in config/) whose YAML declares this key. */
  readonly file: string;
  readonly owner: KeyOwner;
  readonly secret: boolean;
}

// biome-ignore lint/suspicious/noExplicitAny: a leaf of any value type.
export type AnyLeaf = Leaf<any>;
export type LeafValue<L> = L extends Leaf<infer T, true> ? T : L extends Leaf<infer T, false> ? T | undefined : never;

/** BURST_<SECTION>_<KEY> in screaming snake case: aws/vpcName -> BURST_AWS_VPC_NAME. */
export const envNameFor = (key: string): string =>
  `BURST_${key
    .split("/")
    .map((segment) =>
      segment
        .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
        .replace(/-/g, "_")
        .toUpperCase(),
    )
    .join("_")}`;

const fileOfSection: Record<string, string> = {
  defaults: "defaults.yml",
  notify: "defaults.yml",
  aws: "aws.yml",
  "vpc-config": "aws.yml",
  vpc: "vpc.yml",
  local: "local.yml",
};

interface LeafOptions<T> {
  readonly fallback?: T;
  readonly env?: string;
  readonly owner?: KeyOwner;
  readonly secret?: boolean;
}

function leaf<T, R extends boolean>(required: R, key: string, codec: Codec<T>, options: LeafOptions<T>): Leaf<T, R> {
  const section = key.split("/")[0] ?? key;
  return {
    key,
    codec,
    required,
    fallback: options.fallback,
    env: options.env ?? envNameFor(key),
    file: fileOfSection[section] ?? `${section}.yml`,
    owner: options.owner ?? "files",
    secret: options.secret ?? isSecretKey(key),
  };
}

const need = <T>(key: string, codec: Codec<T>, options: LeafOptions<T> = {}) => leaf(true, key, codec, options);
const maybe = <T>(key: string, codec: Codec<T>, options: LeafOptions<T> = {}) => leaf(false, key, codec, options);

export const defaultsLeaves = {
  // ${results}: the target's results bucket (local/resultsBucket, or the VPC's resultsBucket on aws).
  results: need("defaults/results", s3Uri, { fallback: "s3://${results}/runs/" }),
  workers: need("defaults/workers", integer(1, 1000), { fallback: 2 }),
  masterInstanceType: need("defaults/masterInstanceType", instanceType, { fallback: "m5.xlarge" }),
  workerInstanceType: need("defaults/workerInstanceType", instanceType, { fallback: "m5.xlarge" }),
  spark: need("defaults/spark", sparkVersion, { fallback: "3.5.3" }),
  ttlMinutes: need("defaults/ttlMinutes", integer(5, 7 * 24 * 60), { fallback: 120 }),
  diskGb: need("defaults/diskGb", integer(8, 16_384), { fallback: 50 }),
} as const;

export const awsLeaves = {
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
} as const;

export const vpcConfigLeaves = {
  cidr: need("vpc-config/cidr", cidr({ ipv6: false, minPrefix: 16, maxPrefix: 24 }), { fallback: "10.42.0.0/16" }),
  azCount: need("vpc-config/azCount", integer(1, 6), { fallback: 2 }),
  privateSubnets: need("vpc-config/privateSubnets", boolean, { fallback: false }),
} as const;

export const localLeaves = {
  workerCores: need("local/workerCores", integer(1, 256), { fallback: 1 }),
  workerMemory: need("local/workerMemory", sparkMemory, { fallback: "1g" }),
  // The local S3 server's buckets a spec names as ${data} and ${results}; it creates them.
  dataBucket: need("local/dataBucket", bucketName, { fallback: "burst-data" }),
  resultsBucket: need("local/resultsBucket", bucketName, { fallback: "burst-results" }),
} as const;

export const notifyLeaves = {
  // Set by an operator in Consul or the environment, never committed: prune keeps it.
  webhook: maybe("notify/webhook", httpUrl, { owner: "operator", secret: true }),
} as const;

export const VPC_OUTPUT_NAMES = [
  "vpcId",
  "subnetIds",
  "securityGroupId",
  "instanceProfileName",
  "artifactsBucket",
  "dataBucket",
  "resultsBucket",
] as const;

/** burst/vpc/<name>/..., written by the VPC stack; one environment variable per output whatever the name. */
export function vpcOutputLeaves(vpcName: string) {
  const options = (name: string) => ({ owner: "vpc-stack" as const, env: envNameFor(`vpc/${name}`) });
  const output = <T>(name: (typeof VPC_OUTPUT_NAMES)[number], codec: Codec<T>) =>
    need(`vpc/${vpcName}/${name}`, codec, options(name));
  return {
    vpcId: output("vpcId", vpcId),
    subnetIds: output("subnetIds", list(subnetId, 1)),
    securityGroupId: output("securityGroupId", securityGroupId),
    instanceProfileName: output("instanceProfileName", instanceProfileName),
    // Optional: a VPC made by hand (config/vpc.yml) may have none; aws/downloads: bucket then refuses.
    artifactsBucket: maybe(`vpc/${vpcName}/artifactsBucket`, bucketName, options("artifactsBucket")),
    // The account's own buckets a spec names as ${data} and ${results} (optional for the same reason).
    dataBucket: maybe(`vpc/${vpcName}/dataBucket`, bucketName, options("dataBucket")),
    resultsBucket: maybe(`vpc/${vpcName}/resultsBucket`, bucketName, options("resultsBucket")),
  } as const;
}

const fixedLeaves: readonly AnyLeaf[] = [defaultsLeaves, awsLeaves, vpcConfigLeaves, localLeaves, notifyLeaves].flatMap(
  (section) => Object.values(section) as AnyLeaf[],
);
const fixedByKey = new Map(fixedLeaves.map((entry) => [entry.key, entry]));

/** Every fixed key, for "did you mean" and documentation. */
export const knownKeys = (): readonly string[] => [
  ...fixedByKey.keys(),
  ...VPC_OUTPUT_NAMES.map((name) => `vpc/<name>/${name}`),
];

/** The leaf describing a stored key, or undefined for a key burst does not know. */
export function leafForKey(key: string): AnyLeaf | undefined {
  const fixed = fixedByKey.get(key);
  if (fixed) return fixed;
  const match = /^vpc\/([^/]+)\/([^/]+)$/.exec(key);
  if (!match?.[1] || !match[2] || !simpleName.decode(match[1]).ok) return undefined;
  return (vpcOutputLeaves(match[1]) as Record<string, AnyLeaf>)[match[2]];
}

/** Secret values are masked in every output: by schema, or by a key name that says so. */
export const isSecretParam = (key: string): boolean =>
  leafForKey(key)?.secret === true || isSecretKey(key) || /webhook/i.test(key);
