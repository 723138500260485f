import { createHash } from "node:crypto";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile/index.js";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import { Construct } from "constructs";
import { bucketActions, ec2AssumeRolePolicy, nodeS3Policy, objectActions } from "../node-access-policy.ts";

export interface NodeInstanceProfileProps {
  readonly name: string;
  /** IAM is global: the region goes into the names so each region's VPC stack owns its own role. */
  readonly region: string;
  /** Buckets besides the VPC's own that nodes may list, read and write (aws/buckets). */
  readonly buckets: readonly string[];
  /** The VPC's own buckets (terraform references): the data and results buckets. */
  readonly ownBuckets: readonly string[];
}

/**
 * The identity cluster nodes run as: S3 access to the configured buckets through the instance
 * profile (temporary credentials from IMDSv2), never access keys.
 */
export class NodeInstanceProfile extends Construct {
  readonly role: IamRole;
  readonly profile: IamInstanceProfile;

  constructor(scope: Construct, id: string, props: NodeInstanceProfileProps) {
    super(scope, id);
    const name = nodeRoleName(props.name, props.region);
    this.role = new IamRole(this, "role", {
      name,
      description: "burst Spark cluster nodes",
      assumeRolePolicy: JSON.stringify(ec2AssumeRolePolicy),
    });
    // The configured names are checked (a "*" would widen the grant); the stack's own are its references.
    const configured = props.buckets.length > 0 ? nodeS3Policy(props.buckets).Statement : [];
    const own = props.ownBuckets.length > 0 ? bucketStatements(props.ownBuckets, "TheVpcBuckets") : [];
    new IamRolePolicy(this, "buckets", {
      name: "burst-buckets",
      role: this.role.id,
      policy: JSON.stringify({ Version: "2012-10-17", Statement: [...configured, ...own] }),
    });
    this.profile = new IamInstanceProfile(this, "profile", { name, role: this.role.name });
  }
}

/** List the buckets, read and write their objects: what nodeS3Policy grants, for the stack's own buckets. */
function bucketStatements(buckets: readonly string[], sid: string) {
  return [
    { Sid: `List${sid}`, Effect: "Allow", Action: bucketActions, Resource: buckets.map((b) => `arn:aws:s3:::${b}`) },
    {
      Sid: `ReadWrite${sid}`,
      Effect: "Allow",
      Action: objectActions,
      Resource: buckets.map((b) => `arn:aws:s3:::${b}/*`),
    },
  ];
}

/** IAM's limit on role names (instance profile names allow 128). */
export const iamRoleNameLimit = 64;

/**
 * burst-<vpcName>-<region>-node, unique per VPC and region, ending in "-node" (the operator
 * policy's iam:PassRole pattern). A VPC name too long for the limit is cut and a hash of the
 * whole name keeps two long names apart.
 */
export function nodeRoleName(vpcName: string, region: string): string {
  const full = `burst-${vpcName}-${region}-node`;
  if (full.length <= iamRoleNameLimit) return full;
  const hash = createHash("sha256").update(vpcName).digest("hex").slice(0, 8);
  const room = iamRoleNameLimit - `burst--${hash}-${region}-node`.length;
  return `burst-${vpcName.slice(0, room).replace(/-+$/, "")}-${hash}-${region}-node`;
}
