import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { params, type Synthesized, synthCluster, synthVpc } from "./helpers.ts";

interface Statement {
  Sid: string;
  Effect: string;
  Action: string[];
  Resource: string | string[];
  Condition?: unknown;
}

const policy = JSON.parse(
  readFileSync(fileURLToPath(new URL("../../../docs/iam-policy.json", import.meta.url)), "utf8"),
) as {
  Statement: Statement[];
};
const allowed = new Set(policy.Statement.flatMap((s) => s.Action));

/** What terraform calls to create, read, update and delete each resource type the stacks use. */
const actionsByResourceType: Record<string, string[]> = {
  aws_vpc: [
    "ec2:CreateVpc",
    "ec2:DeleteVpc",
    "ec2:DescribeVpcs",
    "ec2:DescribeVpcAttribute",
    "ec2:ModifyVpcAttribute",
    "ec2:DescribeNetworkAcls",
    "ec2:DescribeRouteTables",
    "ec2:DescribeSecurityGroups",
  ],
  aws_subnet: [
    "ec2:CreateSubnet",
    "ec2:DeleteSubnet",
    "ec2:DescribeSubnets",
    "ec2:ModifySubnetAttribute",
    "ec2:DescribeNetworkInterfaces",
  ],
  aws_internet_gateway: [
    "ec2:CreateInternetGateway",
    "ec2:AttachInternetGateway",
    "ec2:DetachInternetGateway",
    "ec2:DeleteInternetGateway",
    "ec2:DescribeInternetGateways",
  ],
  aws_route_table: ["ec2:CreateRouteTable", "ec2:DeleteRouteTable", "ec2:DescribeRouteTables"],
  aws_route: ["ec2:CreateRoute", "ec2:DeleteRoute", "ec2:ReplaceRoute", "ec2:DescribeRouteTables"],
  aws_route_table_association: [
    "ec2:AssociateRouteTable",
    "ec2:DisassociateRouteTable",
    "ec2:ReplaceRouteTableAssociation",
    "ec2:DescribeRouteTables",
  ],
  aws_eip: [
    "ec2:AllocateAddress",
    "ec2:ReleaseAddress",
    "ec2:DescribeAddresses",
    "ec2:DescribeAddressesAttribute",
    "ec2:AssociateAddress",
    "ec2:DisassociateAddress",
  ],
  aws_nat_gateway: ["ec2:CreateNatGateway", "ec2:DeleteNatGateway", "ec2:DescribeNatGateways"],
  aws_vpc_endpoint: [
    "ec2:CreateVpcEndpoint",
    "ec2:DeleteVpcEndpoints",
    "ec2:DescribeVpcEndpoints",
    "ec2:ModifyVpcEndpoint",
    "ec2:DescribePrefixLists",
    "ec2:DescribeVpcEndpointServices",
  ],
  aws_security_group: [
    "ec2:CreateSecurityGroup",
    "ec2:DeleteSecurityGroup",
    "ec2:DescribeSecurityGroups",
    "ec2:RevokeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupIngress",
    "ec2:DescribeNetworkInterfaces",
  ],
  aws_vpc_security_group_ingress_rule: [
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:RevokeSecurityGroupIngress",
    "ec2:DescribeSecurityGroupRules",
    "ec2:ModifySecurityGroupRules",
  ],
  aws_vpc_security_group_egress_rule: [
    "ec2:AuthorizeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupEgress",
    "ec2:DescribeSecurityGroupRules",
    "ec2:ModifySecurityGroupRules",
  ],
  aws_iam_role: [
    "iam:CreateRole",
    "iam:GetRole",
    "iam:DeleteRole",
    "iam:UpdateRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:ListRolePolicies",
    "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole",
  ],
  aws_iam_role_policy: ["iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"],
  aws_iam_instance_profile: [
    "iam:CreateInstanceProfile",
    "iam:GetInstanceProfile",
    "iam:DeleteInstanceProfile",
    "iam:AddRoleToInstanceProfile",
    "iam:RemoveRoleFromInstanceProfile",
    "iam:TagInstanceProfile",
    "iam:UntagInstanceProfile",
  ],
  aws_key_pair: ["ec2:ImportKeyPair", "ec2:DeleteKeyPair", "ec2:DescribeKeyPairs"],
  aws_launch_template: [
    "ec2:CreateLaunchTemplate",
    "ec2:DeleteLaunchTemplate",
    "ec2:DescribeLaunchTemplates",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:CreateLaunchTemplateVersion",
    "ec2:ModifyLaunchTemplate",
  ],
  aws_network_interface: [
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:ModifyNetworkInterfaceAttribute",
    "ec2:DetachNetworkInterface",
  ],
  aws_instance: [
    "ec2:RunInstances",
    "ec2:TerminateInstances",
    "ec2:DescribeInstances",
    "ec2:DescribeInstanceAttribute",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeVolumes",
    "ec2:DescribeInstanceCreditSpecifications",
    "ec2:ModifyInstanceAttribute",
    "iam:PassRole",
  ],
  aws_ec2_fleet: [
    "ec2:CreateFleet",
    "ec2:DeleteFleets",
    "ec2:DescribeFleets",
    "ec2:DescribeFleetInstances",
    "ec2:ModifyFleet",
    "ec2:RunInstances",
    "ec2:RequestSpotInstances",
    "ec2:DescribeSpotInstanceRequests",
    "iam:PassRole",
    "iam:CreateServiceLinkedRole",
  ],
  aws_s3_bucket: [
    "s3:CreateBucket",
    "s3:DeleteBucket",
    "s3:ListBucket",
    "s3:ListBucketVersions",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:GetBucketTagging",
    "s3:PutBucketTagging",
    "s3:GetBucketAcl",
    "s3:GetBucketCORS",
    "s3:GetBucketWebsite",
    "s3:GetBucketVersioning",
    "s3:GetAccelerateConfiguration",
    "s3:GetBucketRequestPayment",
    "s3:GetBucketLogging",
    "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
    "s3:GetEncryptionConfiguration",
    "s3:GetBucketObjectLockConfiguration",
    "s3:GetBucketPolicy",
  ],
  aws_s3_bucket_ownership_controls: ["s3:PutBucketOwnershipControls", "s3:GetBucketOwnershipControls"],
  aws_s3_bucket_server_side_encryption_configuration: [
    "s3:PutEncryptionConfiguration",
    "s3:GetEncryptionConfiguration",
  ],
  aws_s3_bucket_public_access_block: ["s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock"],
  aws_s3_bucket_policy: ["s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy"],
  "data.aws_availability_zones": ["ec2:DescribeAvailabilityZones"],
  "data.aws_ami": ["ec2:DescribeImages"],
  "data.aws_subnet": ["ec2:DescribeSubnets"],
  "backend.s3": [
    "s3:ListBucket",
    "s3:GetObject",
    "s3:PutObject",
    "s3:DeleteObject",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
  ],
  // Every taggable resource: default tags are applied and read back.
  tags: ["ec2:CreateTags", "ec2:DeleteTags", "ec2:DescribeTags"],
};

/** Every kind of thing terraform manages for burst, over all stack variants. */
function managedKinds(config: Synthesized): string[] {
  return [
    ...Object.keys(config.resource),
    ...Object.keys(config.data ?? {}).map((type) => `data.${type}`),
    ...Object.keys(config.terraform.backend ?? {}).map((kind) => `backend.${kind}`),
  ];
}

const variants = [
  synthVpc({}, { privateSubnets: true }),
  synthVpc({ params: { ...params, stateBucket: "acme-tfstate", stateLockTable: "acme-tflock" } }),
  synthCluster(),
  synthCluster({ spot: false }),
];

describe("docs/iam-policy.json: what an operator needs to run burst", () => {
  it("allows every action terraform needs for every resource type the stacks synthesize", () => {
    const kinds = new Set([...variants.flatMap(managedKinds), "tags"]);
    for (const kind of kinds) {
      if (kind === "backend.local") continue;
      const needed = actionsByResourceType[kind];
      assert.ok(
        needed,
        `${kind} is synthesized but not mapped to IAM actions in this test: add it, and to docs/iam-policy.json`,
      );
      const missing = needed.filter((action) => !allowed.has(action));
      assert.deepEqual(missing, [], `${kind} needs ${missing.join(", ")}`);
    }
  });

  it("names every action: no '*' anywhere in an action", () => {
    for (const action of allowed) assert.match(action, /^[a-z0-9]+:[A-Za-z0-9]+$/, action);
  });

  it("lets the operator pass only the node role, and only to EC2", () => {
    const passRole = policy.Statement.filter((s) => s.Action.includes("iam:PassRole"));
    assert.equal(passRole.length, 1);
    assert.deepEqual(passRole[0]?.Resource, "arn:aws:iam::ACCOUNT_ID:role/burst-*-node");
    assert.deepEqual(passRole[0]?.Condition, { StringEquals: { "iam:PassedToService": "ec2.amazonaws.com" } });
  });

  it("terminates only instances that carry a burst run id", () => {
    const terminate = policy.Statement.filter((s) => s.Action.includes("ec2:TerminateInstances"));
    assert.deepEqual(
      terminate.map((s) => s.Condition),
      [{ Null: { "aws:ResourceTag/burst:run-id": "false" } }],
    );
  });

  it("touches IAM only for burst's node role and profile", () => {
    for (const statement of policy.Statement.filter((s) => s.Action.some((a) => a.startsWith("iam:")))) {
      for (const resource of [statement.Resource].flat()) {
        assert.match(
          resource,
          /^arn:aws:iam::ACCOUNT_ID:(role|instance-profile)\/(burst-\*-node|aws-service-role\/.*)$/,
          statement.Sid,
        );
      }
    }
  });

  it("has unique statement ids and allows only", () => {
    const sids = policy.Statement.map((s) => s.Sid);
    assert.equal(new Set(sids).size, sids.length);
    assert.ok(policy.Statement.every((s) => s.Effect === "Allow"));
  });
});
