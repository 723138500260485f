import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile/index.js";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import { Construct } from "constructs";
import { ec2AssumeRolePolicy, nodeS3Policy } from "../node-access-policy.ts";

export interface NodeInstanceProfileProps {
  readonly name: string;
  /** The only buckets nodes may list, read and write. */
  readonly buckets: readonly string[];
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
    const name = `burst-${props.name}-node`;
    this.role = new IamRole(this, "role", {
      name,
      description: "burst Spark cluster nodes",
      assumeRolePolicy: JSON.stringify(ec2AssumeRolePolicy),
    });
    new IamRolePolicy(this, "buckets", {
      name: "burst-buckets",
      role: this.role.id,
      policy: JSON.stringify(nodeS3Policy(props.buckets)),
    });
    this.profile = new IamInstanceProfile(this, "profile", { name, role: this.role.name });
  }
}
