// What a run's Spark cluster on EC2 is made from: the spec's shape, the parameters, the VPC, the
// run's key and address. Plain types, no CDKTF: the CLI builds them, the stack reads them.

import type { AwsParams, VpcOutputs } from "../../src/targets/aws/params.ts";
import type { ClusterShape, RunIdentity } from "../contract.ts";
import type { AwsApiEndpoints } from "./api-endpoints.ts";

/** The aws-only part of a cluster's shape: what EC2 runs it on. */
export interface AwsClusterShape {
  readonly masterInstanceType: string;
  readonly workerInstanceType: string;
  /** Workers on spot (the master never is). */
  readonly spot: boolean;
  readonly maxPrice?: number;
  /** Whether a retry after short spot capacity may use on-demand workers. */
  readonly spotFallback: boolean;
  /** Root disk of every node, in GB. */
  readonly diskGb: number;
}

export interface SparkClusterProps extends RunIdentity, ClusterShape, AwsClusterShape {
  readonly params: AwsParams;
  /** The VPC the cluster launches into (burst/vpc/<vpcName>/... in Consul). */
  readonly vpc: VpcOutputs;
  /** Public half of the run's ephemeral SSH key. */
  readonly sshPublicKey: string;
  /** The launching machine's public address as a CIDR (x.x.x.x/32); SSH is open to it. */
  readonly callerCidr: string;
  /** Extra spark-defaults.conf settings every node gets (the job's own conf goes on spark-submit). */
  readonly sparkConf: Readonly<Record<string, string>>;
  /** The spec's tags, added to burst's on every resource. */
  readonly tags?: Readonly<Record<string, string>>;
  /** Which of the VPC's subnets (one per AZ) the whole cluster is in (a retry after a capacity error moves it). */
  readonly subnetIndex?: number;
  /** Changes the master's private address (a retry after "address in use" bumps it). */
  readonly masterAddressAttempt?: number;
  /** Maven repository nodes fetch the s3a jars from with aws/downloads: mirror (Maven Central by default). */
  readonly mavenRepo?: string;
  /** The artifacts bucket's address for nodes; default its regional S3 address (a test serves its own). */
  readonly artifactsUrl?: string;
  /** AWS API endpoints other than AWS's own (AWS_ENDPOINT_URL*); absent for real AWS. */
  readonly endpoints?: AwsApiEndpoints;
}
