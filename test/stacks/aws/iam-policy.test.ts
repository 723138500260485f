import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { tagKeys } from "../../../stacks/aws/tags.ts";
import { type Check, evaluateAll, type Policy } from "../../helpers/iam-policy-eval.ts";
import type { Tags } from "../../helpers/iam-traffic.ts";
import * as model from "../../helpers/iam-traffic.ts";
import { params, type Synthesized, synthCluster, synthVpc } from "./helpers.ts";

interface Statement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

const policy = JSON.parse(
  readFileSync(fileURLToPath(new URL("../../../docs/iam-policy.json", import.meta.url)), "utf8"),
) as {
  Version: string;
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
  // sts:GetCallerIdentity needs no permission: AWS answers it for every principal.
  "data.aws_caller_identity": [],
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
  // Every taggable resource: default tags are applied in the create call and read back. Tags never
  // change after creation (a run's are fixed; the VPC stack's are its name), so no DeleteTags.
  tags: ["ec2:CreateTags", "ec2:DescribeTags"],
  // terraform's own (the capacity attempt): no AWS call.
  terraform_data: [],
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

  it("tags only inside the call that creates, and only with the ec2:CreateAction condition", () => {
    const tagging = policy.Statement.filter((s) => s.Action.includes("ec2:CreateTags"));
    assert.equal(tagging.length, 1);
    assert.deepEqual(Object.keys(tagging[0]?.Condition as object), ["StringEquals"]);
    assert.ok(!allowed.has("ec2:DeleteTags"));
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

// ---- the policy evaluated against calls burst makes and calls an attacker would ----

const account = "123456789012";
const concrete: Policy = JSON.parse(
  JSON.stringify(policy)
    .replaceAll("ACCOUNT_ID", account)
    .replaceAll("STATE_BUCKET", "acme-tfstate")
    .replaceAll("LOCK_TABLE", "acme-tflock")
    .replaceAll("RESULTS_BUCKET", "acme-results")
    .replaceAll("DATA_BUCKET", "acme-data"),
) as Policy;

const where = { account, region: "eu-west-1" };
const run: Tags = { [tagKeys.runId]: "nightly-20250101-abcd", [tagKeys.owner]: "ci", Name: "nightly-worker" };
const vpc: Tags = { [tagKeys.vpc]: "main", Name: "burst-main" };
const none: Tags = { Name: "prod-db" };
const ec2Arn = (type: string, id: string) => model.ec2Arn(where, type, id);
const creates = (action: string, type: string, tags: Tags | undefined) => model.creates(where, action, type, tags);
const uses = (action: string, type: string, id: string, tags: Tags) => model.uses(where, action, type, id, tags);
const passRole = (role: string, service: string) => model.passRole(where, role, service);

/** RunInstances as AWS authorizes it (test/helpers/iam-traffic.ts): every resource it creates or uses. */
function launch(
  o: {
    action?: model.Launch["action"];
    tags?: Tags;
    subnet?: Tags;
    groups?: Tags[];
    template?: Tags;
    keyPair?: Tags;
    spot?: boolean;
    /** Tags of the spot requests (default: the launch's). */
    spotRequest?: Tags;
  } = {},
): Check[] {
  const tags = "tags" in o ? o.tags : run;
  const spotRequest = "spotRequest" in o ? o.spotRequest : tags;
  return model.launchChecks(where, {
    action: o.action ?? "ec2:RunInstances",
    tags: {
      instance: tags,
      volume: tags,
      "network-interface": tags,
      fleet: tags,
      "spot-instances-request": spotRequest,
    },
    spot: o.spot,
    subnets: [{ id: "subnet-1", tags: o.subnet ?? vpc }],
    groups: (o.groups ?? [vpc, run]).map((groupTags, i) => ({ id: `sg-${i}`, tags: groupTags })),
    template: { id: "lt-1", tags: o.template ?? run },
    keyPair: { id: "burst-key", tags: o.keyPair ?? run },
    image: "ami-0debian12",
  });
}

const tagContext = model.tagContext;

interface Call {
  readonly what: string;
  readonly checks: readonly Check[];
  readonly allowed: boolean;
}

const calls: readonly Call[] = [
  // What burst does for a run (terraform's cluster stack, the sweeper, the CLI).
  { what: "launch the master with the run's tags", checks: launch(), allowed: true },
  { what: "launch the workers as an EC2 fleet", checks: launch({ action: "ec2:CreateFleet" }), allowed: true },
  {
    what: "launch spot workers as an EC2 fleet, the spot requests tagged by the launch template",
    checks: launch({ action: "ec2:CreateFleet", spot: true }),
    allowed: true,
  },
  {
    what: "create the run's launch template",
    checks: creates("ec2:CreateLaunchTemplate", "launch-template", run),
    allowed: true,
  },
  { what: "import the run's key pair", checks: creates("ec2:ImportKeyPair", "key-pair", run), allowed: true },
  {
    what: "create the run's security group in the burst VPC",
    checks: [
      ...creates("ec2:CreateSecurityGroup", "security-group", run),
      uses("ec2:CreateSecurityGroup", "vpc", "vpc-1", vpc),
    ],
    allowed: true,
  },
  {
    what: "open the run's security group to the caller",
    checks: [
      uses("ec2:AuthorizeSecurityGroupIngress", "security-group", "sg-run", run),
      ...creates("ec2:AuthorizeSecurityGroupIngress", "security-group-rule", run),
    ],
    allowed: true,
  },
  {
    what: "terminate a run's instance",
    checks: [uses("ec2:TerminateInstances", "instance", "i-run", run)],
    allowed: true,
  },
  { what: "delete a run's fleet", checks: [uses("ec2:DeleteFleets", "fleet", "fleet-run", run)], allowed: true },
  {
    what: "delete a run's launch template",
    checks: [uses("ec2:DeleteLaunchTemplate", "launch-template", "lt-1", run)],
    allowed: true,
  },
  { what: "delete a run's key pair", checks: [uses("ec2:DeleteKeyPair", "key-pair", "burst-key", run)], allowed: true },
  {
    what: "delete a run's security group",
    checks: [uses("ec2:DeleteSecurityGroup", "security-group", "sg-run", run)],
    allowed: true,
  },
  {
    what: "delete a run's leftover interface",
    checks: [uses("ec2:DeleteNetworkInterface", "network-interface", "eni-run", run)],
    allowed: true,
  },
  {
    what: "release a run's leftover address",
    checks: [uses("ec2:ReleaseAddress", "elastic-ip", "eipalloc-run", run)],
    allowed: true,
  },
  {
    what: "read instances and console output",
    checks: [
      { action: "ec2:DescribeInstances", resource: "*" },
      { action: "ec2:GetConsoleOutput", resource: ec2Arn("instance", "i-run") },
    ],
    allowed: true,
  },
  {
    what: "check the master's private address before apply",
    checks: [
      { action: "ec2:DescribeSubnets", resource: "*" },
      { action: "ec2:DescribeNetworkInterfaces", resource: "*" },
      { action: "ec2:DescribeInstances", resource: "*" },
    ],
    allowed: true,
  },
  { what: "pass the node role to EC2", checks: [passRole("burst-main-node", "ec2.amazonaws.com")], allowed: true },
  {
    what: "preflight: buckets, type offerings, vCPU quotas",
    checks: [
      { action: "s3:ListBucket", resource: "arn:aws:s3:::acme-results" },
      { action: "s3:ListBucket", resource: "arn:aws:s3:::acme-data" },
      { action: "ec2:DescribeSubnets", resource: "*" },
      { action: "ec2:DescribeInstanceTypeOfferings", resource: "*" },
      { action: "ec2:DescribeInstanceTypes", resource: "*" },
      { action: "servicequotas:GetServiceQuota", resource: "*" },
      { action: "servicequotas:GetAWSDefaultServiceQuota", resource: "*" },
    ],
    allowed: true,
  },
  {
    // The DryRun launches no key pair and no run security group (neither exists before apply).
    what: "preflight: DryRun of a spot worker's launch with the run's tags into the VPC",
    checks: model.launchChecks(where, {
      action: "ec2:RunInstances",
      tags: { instance: run, volume: run, "network-interface": run, "spot-instances-request": run },
      spot: true,
      subnets: [{ id: "subnet-1", tags: vpc }],
      groups: [{ id: "sg-vpc", tags: vpc }],
      image: "ami-0debian12",
      role: "burst-main-node",
    }),
    allowed: true,
  },
  // What the VPC stack does.
  { what: "create the VPC with its tag", checks: creates("ec2:CreateVpc", "vpc", vpc), allowed: true },
  {
    what: "create a subnet in the burst VPC",
    checks: [...creates("ec2:CreateSubnet", "subnet", vpc), uses("ec2:CreateSubnet", "vpc", "vpc-1", vpc)],
    allowed: true,
  },
  {
    what: "create and attach the internet gateway",
    checks: [
      ...creates("ec2:CreateInternetGateway", "internet-gateway", vpc),
      uses("ec2:AttachInternetGateway", "internet-gateway", "igw-1", vpc),
      uses("ec2:AttachInternetGateway", "vpc", "vpc-1", vpc),
    ],
    allowed: true,
  },
  {
    what: "create a route table, its default route and association",
    checks: [
      ...creates("ec2:CreateRouteTable", "route-table", vpc),
      uses("ec2:CreateRouteTable", "vpc", "vpc-1", vpc),
      uses("ec2:CreateRoute", "route-table", "rtb-1", vpc),
      uses("ec2:AssociateRouteTable", "route-table", "rtb-1", vpc),
      uses("ec2:AssociateRouteTable", "subnet", "subnet-1", vpc),
    ],
    allowed: true,
  },
  {
    what: "create the NAT gateway on its address",
    checks: [
      ...creates("ec2:AllocateAddress", "elastic-ip", vpc),
      ...creates("ec2:CreateNatGateway", "natgateway", vpc),
      uses("ec2:CreateNatGateway", "subnet", "subnet-1", vpc),
      uses("ec2:CreateNatGateway", "elastic-ip", "eipalloc-1", vpc),
    ],
    allowed: true,
  },
  {
    what: "create the S3 gateway endpoint",
    checks: [
      ...creates("ec2:CreateVpcEndpoint", "vpc-endpoint", vpc),
      uses("ec2:CreateVpcEndpoint", "vpc", "vpc-1", vpc),
      uses("ec2:CreateVpcEndpoint", "route-table", "rtb-1", vpc),
    ],
    allowed: true,
  },
  {
    what: "create the cluster security group and its rules",
    checks: [
      ...creates("ec2:CreateSecurityGroup", "security-group", vpc),
      uses("ec2:CreateSecurityGroup", "vpc", "vpc-1", vpc),
      uses("ec2:AuthorizeSecurityGroupIngress", "security-group", "sg-vpc", vpc),
      ...creates("ec2:AuthorizeSecurityGroupIngress", "security-group-rule", vpc),
    ],
    allowed: true,
  },
  {
    what: "change and destroy the VPC stack",
    checks: [
      uses("ec2:ModifyVpcAttribute", "vpc", "vpc-1", vpc),
      uses("ec2:ModifySubnetAttribute", "subnet", "subnet-1", vpc),
      uses("ec2:DeleteNatGateway", "natgateway", "nat-1", vpc),
      uses("ec2:DeleteSubnet", "subnet", "subnet-1", vpc),
      uses("ec2:DeleteVpc", "vpc", "vpc-1", vpc),
    ],
    allowed: true,
  },
  // Attacks and mistakes.
  {
    what: "attack step 1: tag any instance with a burst run id",
    checks: [
      { action: "ec2:CreateTags", resource: ec2Arn("instance", "i-prod"), context: tagContext("aws:RequestTag", run) },
    ],
    allowed: false,
  },
  {
    what: "attack step 2: terminate that (untagged) instance",
    checks: [uses("ec2:TerminateInstances", "instance", "i-prod", none)],
    allowed: false,
  },
  {
    what: "re-tag a run's own instance after launch",
    checks: [
      { action: "ec2:CreateTags", resource: ec2Arn("instance", "i-run"), context: tagContext("aws:RequestTag", run) },
    ],
    allowed: false,
  },
  { what: "remove tags from any resource", checks: [uses("ec2:DeleteTags", "instance", "i-run", run)], allowed: false },
  { what: "launch an instance without the run tag", checks: launch({ tags: undefined }), allowed: false },
  {
    what: "launch spot workers whose spot requests carry no run tag",
    checks: launch({ action: "ec2:CreateFleet", spot: true, spotRequest: undefined }),
    allowed: false,
  },
  {
    what: "launch a spot instance without the run tag",
    checks: launch({ spot: true, tags: undefined }),
    allowed: false,
  },
  { what: "launch into a subnet outside the burst VPC", checks: launch({ subnet: none }), allowed: false },
  { what: "launch with someone else's security group", checks: launch({ groups: [none] }), allowed: false },
  { what: "launch from someone else's launch template", checks: launch({ template: none }), allowed: false },
  {
    what: "open someone else's security group",
    checks: [
      uses("ec2:AuthorizeSecurityGroupIngress", "security-group", "sg-prod", none),
      ...creates("ec2:AuthorizeSecurityGroupIngress", "security-group-rule", run),
    ],
    allowed: false,
  },
  {
    what: "delete someone else's security group",
    checks: [uses("ec2:DeleteSecurityGroup", "security-group", "sg-prod", none)],
    allowed: false,
  },
  {
    what: "change someone else's instance",
    checks: [uses("ec2:ModifyInstanceAttribute", "instance", "i-prod", none)],
    allowed: false,
  },
  {
    what: "delete someone else's launch template",
    checks: [uses("ec2:DeleteLaunchTemplate", "launch-template", "lt-prod", none)],
    allowed: false,
  },
  { what: "delete someone else's VPC", checks: [uses("ec2:DeleteVpc", "vpc", "vpc-prod", none)], allowed: false },
  {
    what: "add a route to someone else's route table",
    checks: [uses("ec2:CreateRoute", "route-table", "rtb-prod", none)],
    allowed: false,
  },
  { what: "create a VPC without the VPC tag", checks: creates("ec2:CreateVpc", "vpc", undefined), allowed: false },
  {
    what: "create a security group in someone else's VPC",
    checks: [
      ...creates("ec2:CreateSecurityGroup", "security-group", run),
      uses("ec2:CreateSecurityGroup", "vpc", "vpc-prod", none),
    ],
    allowed: false,
  },
  {
    what: "release someone else's address",
    checks: [uses("ec2:ReleaseAddress", "elastic-ip", "eipalloc-prod", none)],
    allowed: false,
  },
  { what: "pass an admin role to EC2", checks: [passRole("admin", "ec2.amazonaws.com")], allowed: false },
  {
    what: "pass the node role to Lambda",
    checks: [passRole("burst-main-node", "lambda.amazonaws.com")],
    allowed: false,
  },
  {
    what: "create an IAM user",
    checks: [{ action: "iam:CreateUser", resource: `arn:aws:iam::${account}:user/x` }],
    allowed: false,
  },
];

describe("docs/iam-policy.json evaluated against burst's calls and an attacker's", () => {
  for (const call of calls) {
    it(`${call.allowed ? "allows" : "denies"}: ${call.what}`, () => {
      const result = evaluateAll(concrete, call.checks);
      assert.equal(
        result.allowed,
        call.allowed,
        call.allowed
          ? `denied: ${result.denied.map((c) => `${c.action} on ${c.resource}`).join("; ")}`
          : "allowed, but must be denied",
      );
    });
  }

  it("denies the attack 'tag any instance, then terminate it' at both steps", () => {
    const attack = calls.filter((c) => c.what.startsWith("attack step"));
    assert.equal(attack.length, 2);
    for (const step of attack) assert.equal(evaluateAll(concrete, step.checks).allowed, false, step.what);
  });

  it("requires the run tag or the VPC tag on every create call it allows", () => {
    for (const statement of concrete.Statement) {
      const creating = [statement.Action ?? []]
        .flat()
        .filter((a) => /^ec2:(Create|Run|Import|Allocate|Request)/.test(a));
      if (
        creating.length === 0 ||
        statement.Sid === "LaunchFromAnyImage" ||
        statement.Sid === "TagOnlyInTheCallThatCreates"
      )
        continue;
      const nulls = Object.keys(statement.Condition?.Null ?? {});
      assert.ok(
        nulls.some((key) => /^aws:(RequestTag|ResourceTag)\/burst:(run-id|vpc)$/.test(key)),
        `${statement.Sid} allows ${creating.join(", ")} without a burst tag condition`,
      );
    }
  });
});
