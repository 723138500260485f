import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity/index.js";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket/index.js";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls/index.js";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block/index.js";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js";
import { Construct } from "constructs";

export interface JobBucketsProps {
  /** The VPC's name (aws/vpcName). */
  readonly name: string;
  readonly region: string;
}

/** The roles a spec names the buckets by: s3://${data}/..., s3://${results}/... */
export const jobBucketRoles = ["data", "results"] as const;
export type JobBucketRole = (typeof jobBucketRoles)[number];

/**
 * burst-<vpcName>-<role>-<account>-<region>: unique to the account and region without asking
 * anyone (as `cdk bootstrap` names its bucket), at most 62 characters. `account` may be a
 * terraform reference.
 */
export function jobBucketName(vpcName: string, role: JobBucketRole, account: string, region: string): string {
  const vpc = vpcName
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .slice(0, 20)
    .replace(/-+$/, "");
  return `burst-${vpc}-${role}-${account}-${region}`;
}

/**
 * The account's own buckets for jobs' data and runs' results, so a first burst needs no bucket
 * made by hand and names none a fresh account cannot own. Private and encrypted; kept when not
 * empty (no force_destroy): a `vpc destroy` never deletes anyone's data or results.
 */
export class JobBuckets extends Construct {
  readonly buckets: Readonly<Record<JobBucketRole, S3Bucket>>;

  constructor(scope: Construct, id: string, props: JobBucketsProps) {
    super(scope, id);
    const account = new DataAwsCallerIdentity(this, "account").accountId;
    const bucket = (role: JobBucketRole) => {
      const made = new S3Bucket(this, role, { bucket: jobBucketName(props.name, role, account, props.region) });
      new S3BucketOwnershipControls(this, `${role}_ownership`, {
        bucket: made.id,
        rule: { objectOwnership: "BucketOwnerEnforced" },
      });
      new S3BucketServerSideEncryptionConfigurationA(this, `${role}_encryption`, {
        bucket: made.id,
        rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
      });
      new S3BucketPublicAccessBlock(this, `${role}_public_access`, {
        bucket: made.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
      return made;
    };
    this.buckets = { data: bucket("data"), results: bucket("results") };
  }
}
