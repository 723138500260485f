import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BurstError } from "../../../src/errors.ts";
import { VPC_OUTPUT_NAMES } from "../../../src/targets/aws/params.ts";
import { bucketActions, objectActions } from "../../../stacks/aws/node-access-policy.ts";
import { jobBucketName } from "../../../stacks/aws/vpc/job-buckets.ts";
import { iamRoleNameLimit, nodeRoleName } from "../../../stacks/aws/vpc/node-instance-profile.ts";
import { blocks, type Json, only, params, referencesOf, synthVpc } from "./helpers.ts";

const config = synthVpc();
const ref = (type: string, attribute = "id", construct = "") =>
  `\${${type}.${Object.keys(config.resource[type] ?? {}).find((name) => name.startsWith(construct))}.${attribute}}`;
/** The one block of `type` whose construct path starts with `construct` ("artifacts_", "jobs_data_"). */
const of = (type: string, construct: string) => {
  const found = Object.entries(config.resource[type] ?? {}).filter(([name]) => name.startsWith(construct));
  assert.equal(found.length, 1, `${type} ${construct}`);
  return found[0]?.[1] as Json;
};

describe("VpcStack: network", () => {
  it("creates a VPC with DNS support and hostnames", () => {
    assert.deepEqual(only(config, "aws_vpc"), {
      cidr_block: "10.42.0.0/16",
      enable_dns_support: true,
      enable_dns_hostnames: true,
      tags: { Name: "burst-main-vpc" },
    });
  });

  it("puts one public subnet in each of azCount zones, mapping public IPs", () => {
    const subnets = blocks(config, "aws_subnet");
    assert.deepEqual(
      subnets.map((s) => [s.cidr_block, s.availability_zone, s.map_public_ip_on_launch]),
      [0, 1, 2].map((i) => [
        `10.42.${i * 16}.0/20`,
        `\${element(data.aws_availability_zones.${Object.keys(config.data?.aws_availability_zones ?? {})[0]}.names, ${i})}`,
        true,
      ]),
    );
  });

  it("routes public subnets to an internet gateway", () => {
    assert.equal(only(config, "aws_internet_gateway").vpc_id, ref("aws_vpc"));
    assert.deepEqual(only(config, "aws_route"), {
      route_table_id: ref("aws_route_table"),
      destination_cidr_block: "0.0.0.0/0",
      gateway_id: ref("aws_internet_gateway"),
    });
    assert.equal(blocks(config, "aws_route_table_association").length, 3);
    assert.equal(blocks(config, "aws_nat_gateway").length, 0, "no NAT unless private subnets are asked for");
  });

  it("keeps S3 traffic on a gateway endpoint on every route table", () => {
    const endpoint = only(config, "aws_vpc_endpoint");
    assert.equal(endpoint.service_name, "com.amazonaws.eu-west-1.s3");
    assert.equal(endpoint.vpc_endpoint_type, "Gateway");
    assert.deepEqual(endpoint.route_table_ids, [ref("aws_route_table")]);
  });

  it("adds private subnets behind one NAT gateway when asked", () => {
    const withPrivate = synthVpc({}, { privateSubnets: true, azCount: 2 });
    const privateSubnets = blocks(withPrivate, "aws_subnet").filter((s) => s.map_public_ip_on_launch === undefined);
    assert.deepEqual(
      privateSubnets.map((s) => s.cidr_block),
      ["10.42.128.0/20", "10.42.144.0/20"],
    );
    assert.equal(blocks(withPrivate, "aws_nat_gateway").length, 1);
    assert.equal(blocks(withPrivate, "aws_route_table").length, 2);
    assert.equal((only(withPrivate, "aws_vpc_endpoint").route_table_ids as string[]).length, 2);
    assert.equal((withPrivate.output.privateSubnetIds?.value as string[]).length, 2);
  });

  it("refuses fewer than two zones and malformed CIDRs", () => {
    assert.throws(() => synthVpc({}, { azCount: 1 }), BurstError);
    assert.throws(() => synthVpc({}, { cidr: "10.42.0.1/16" }), /host bits/);
    assert.throws(() => synthVpc({}, { cidr: "10.42.0.0/27" }), /too small/);
  });
});

describe("VpcStack: cluster security baseline", () => {
  const group = ref("aws_security_group");
  const ingress = blocks(config, "aws_vpc_security_group_ingress_rule");

  it("grants no traffic between nodes: a VPC-wide rule would let one run reach another run's Spark ports", () => {
    assert.deepEqual(
      ingress.filter((r) => r.referenced_security_group_id !== undefined),
      [],
    );
    assert.ok(group.length > 0);
  });

  it("allows SSH only from the configured ranges, and nothing else from outside", () => {
    const fromOutside = ingress.filter((r) => r.referenced_security_group_id === undefined);
    assert.deepEqual(
      fromOutside.map((r) => [r.cidr_ipv4, r.ip_protocol, r.from_port, r.to_port]),
      [["203.0.113.0/24", "tcp", 22, 22]],
    );
  });

  it("has no ingress from 0.0.0.0/0 or ::/0", () => {
    for (const rule of ingress) {
      assert.ok(rule.cidr_ipv4 !== "0.0.0.0/0" && rule.cidr_ipv6 !== "::/0");
    }
    for (const sg of blocks(config, "aws_security_group")) assert.equal(sg.ingress, undefined, "no inline rules");
    assert.throws(() => synthVpc({ params: { ...params, sshAllowedCidrs: ["0.0.0.0/0"] } }), BurstError);
  });
});

describe("VpcStack: node identity", () => {
  const policy = JSON.parse(String(only(config, "aws_iam_role_policy").policy)) as {
    Statement: { Action: string[]; Resource: string[] }[];
  };

  it("lets EC2 assume the node role, nothing else", () => {
    assert.deepEqual(JSON.parse(String(only(config, "aws_iam_role").assume_role_policy)).Statement, [
      { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
    ]);
  });

  it("scopes S3 access to the configured buckets: list them, read and write their objects", () => {
    assert.deepEqual(
      policy.Statement.map((s) => [s.Action, s.Resource]),
      [
        [[...bucketActions], ["arn:aws:s3:::burst-results", "arn:aws:s3:::burst-data"]],
        [[...objectActions], ["arn:aws:s3:::burst-results/*", "arn:aws:s3:::burst-data/*"]],
        [
          [...bucketActions],
          ["data", "results"].map((role) => `arn:aws:s3:::${ref("aws_s3_bucket", "bucket", `jobs_${role}_`)}`),
        ],
        [
          [...objectActions],
          ["data", "results"].map((role) => `arn:aws:s3:::${ref("aws_s3_bucket", "bucket", `jobs_${role}_`)}/*`),
        ],
      ],
    );
    const actions = policy.Statement.flatMap((s) => s.Action);
    assert.ok(actions.every((a) => a.startsWith("s3:") && !a.includes("*")));
  });

  it("refuses bucket names that would widen the grant", () => {
    assert.throws(() => synthVpc({ params: { ...params, buckets: ["*"] } }), /bucket name/);
  });

  it("reaches the VPC's own data and results buckets with no aws/buckets configured", () => {
    const own = synthVpc({ params: { ...params, buckets: [] } });
    const statements = JSON.parse(String(only(own, "aws_iam_role_policy").policy)).Statement as {
      Resource: string[];
    }[];
    assert.deepEqual(
      statements.map((statement) => statement.Resource.length),
      [2, 2],
    );
    assert.ok(statements.every((statement) => statement.Resource.every((arn) => arn.includes("aws_s3_bucket.jobs_"))));
  });

  it("names the role and profile per region: IAM is global, so two regions' VPC stacks never collide", () => {
    const names = (region: string) => {
      const synthesized = synthVpc({ params: { ...params, region } });
      return [only(synthesized, "aws_iam_role").name, only(synthesized, "aws_iam_instance_profile").name];
    };
    assert.deepEqual(names("eu-west-1"), ["burst-main-eu-west-1-node", "burst-main-eu-west-1-node"]);
    assert.deepEqual(names("us-east-1"), ["burst-main-us-east-1-node", "burst-main-us-east-1-node"]);
  });

  it("keeps role names within IAM's 64 characters, still distinct for long VPC names", () => {
    const long = "a".repeat(63);
    const region = "ap-southeast-4";
    const role = nodeRoleName(long, region);
    assert.ok(role.length <= iamRoleNameLimit, `${role} is ${role.length} characters`);
    assert.match(role, /^burst-a+-[0-9a-f]{8}-ap-southeast-4-node$/);
    assert.notEqual(role, nodeRoleName(`${"a".repeat(62)}b`, region));
    assert.notEqual(role, nodeRoleName(long, "ap-southeast-3"));
    const synthesized = synthVpc({ params: { ...params, vpcName: long, region } });
    assert.equal(only(synthesized, "aws_iam_role").name, role);
  });

  it("hands nodes the role through an instance profile, never access keys", () => {
    assert.equal(only(config, "aws_iam_instance_profile").role, ref("aws_iam_role", "name"));
    assert.equal(blocks(config, "aws_iam_access_key").length, 0);
    assert.equal(blocks(config, "aws_iam_user").length, 0);
  });
});

describe("VpcStack: the artifacts bucket nodes download Spark from", () => {
  const bucket = of("aws_s3_bucket", "artifacts_");
  const ofBucket = (type: string) => of(type, "artifacts_").bucket;

  it("is private, encrypted, owner-enforced and emptied with the VPC (its contents can be staged again)", () => {
    assert.equal(bucket.bucket_prefix, "burst-main-artifacts-");
    assert.equal(bucket.force_destroy, true);
    assert.equal(bucket.versioning, undefined, "versioning stays off: a re-stage replaces an object");
    assert.deepEqual(of("aws_s3_bucket_public_access_block", "artifacts_"), {
      bucket: ref("aws_s3_bucket", "id", "artifacts_"),
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    assert.deepEqual(of("aws_s3_bucket_server_side_encryption_configuration", "artifacts_").rule, [
      { apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } },
    ]);
    assert.deepEqual(of("aws_s3_bucket_ownership_controls", "artifacts_").rule, {
      object_ownership: "BucketOwnerEnforced",
    });
    for (const type of ["aws_s3_bucket_ownership_controls", "aws_s3_bucket_server_side_encryption_configuration"]) {
      assert.equal(ofBucket(type), ref("aws_s3_bucket", "id", "artifacts_"), type);
    }
  });

  it("lets anyone read objects, but only through this VPC's S3 gateway endpoint", () => {
    const policy = only(config, "aws_s3_bucket_policy");
    assert.equal(policy.bucket, ref("aws_s3_bucket", "id", "artifacts_"));
    assert.deepEqual(JSON.parse(String(policy.policy)).Statement, [
      {
        Sid: "NodesReadThroughTheVpcEndpoint",
        Effect: "Allow",
        Principal: "*",
        Action: "s3:GetObject",
        Resource: `${ref("aws_s3_bucket", "arn", "artifacts_")}/*`,
        Condition: { StringEquals: { "aws:SourceVpce": ref("aws_vpc_endpoint") } },
      },
    ]);
  });

  it("keeps bucket names valid and short enough for terraform's suffix whatever the VPC's name", () => {
    const long = synthVpc({ params: { ...params, vpcName: "a-very-long-vpc-name-for-the-eu-region" } });
    const prefix = String(blocks(long, "aws_s3_bucket").find((b) => b.bucket_prefix)?.bucket_prefix);
    assert.ok(prefix.length <= 37, prefix);
    assert.match(prefix, /^[a-z0-9][a-z0-9-]*-$/);
  });
});

describe("VpcStack: the data and results buckets a spec names as ${data} and ${results}", () => {
  const account = `\${data.aws_caller_identity.${Object.keys(config.data?.aws_caller_identity ?? {})[0]}.account_id}`;

  for (const role of ["data", "results"] as const) {
    it(`names the ${role} bucket with the account and region, private, encrypted, owner-enforced, kept by a destroy`, () => {
      const bucket = of("aws_s3_bucket", `jobs_${role}_`);
      assert.deepEqual(
        bucket,
        { bucket: `burst-main-${role}-${account}-eu-west-1` },
        "no force_destroy: a user's data stays",
      );
      const own = ref("aws_s3_bucket", "id", `jobs_${role}_`);
      assert.deepEqual(of("aws_s3_bucket_public_access_block", `jobs_${role}_`), {
        bucket: own,
        block_public_acls: true,
        block_public_policy: true,
        ignore_public_acls: true,
        restrict_public_buckets: true,
      });
      assert.deepEqual(of("aws_s3_bucket_server_side_encryption_configuration", `jobs_${role}_`).rule, [
        { apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } },
      ]);
      assert.equal(of("aws_s3_bucket_ownership_controls", `jobs_${role}_`).bucket, own);
      assert.equal(config.output[`${role}Bucket`]?.value, ref("aws_s3_bucket", "bucket", `jobs_${role}_`));
    });
  }

  it("keeps the names within S3's 63 characters for the longest VPC name and region", () => {
    const name = jobBucketName("a".repeat(63), "results", "123456789012", "ap-southeast-4");
    assert.ok(name.length <= 63, `${name} is ${name.length} characters`);
    assert.match(name, /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
    assert.equal(jobBucketName("main", "data", "123456789012", "eu-west-1"), "burst-main-data-123456789012-eu-west-1");
  });
});

describe("VpcStack: outputs and state", () => {
  it("outputs what burst/vpc/<name>/... holds", () => {
    for (const name of VPC_OUTPUT_NAMES) assert.ok(config.output[name], `missing output ${name}`);
    assert.equal(config.output.vpcId?.value, ref("aws_vpc"));
    assert.equal((config.output.subnetIds?.value as string[]).length, 3);
    assert.equal(config.output.securityGroupId?.value, ref("aws_security_group"));
    assert.equal(config.output.instanceProfileName?.value, ref("aws_iam_instance_profile", "name"));
    assert.equal(config.output.artifactsBucket?.value, ref("aws_s3_bucket", "bucket", "artifacts_"));
  });

  it("keeps state in a local file when no state bucket is configured", () => {
    assert.deepEqual(config.terraform.backend, { local: { path: "/var/lib/burst/state/vpc-main-terraform.tfstate" } });
  });

  it("keeps state in S3 with a DynamoDB lock when configured", () => {
    const remote = synthVpc({ params: { ...params, stateBucket: "acme-tfstate", stateLockTable: "acme-tflock" } });
    assert.deepEqual(remote.terraform.backend, {
      s3: {
        bucket: "acme-tfstate",
        key: "vpc/main/terraform.tfstate",
        region: "eu-west-1",
        dynamodb_table: "acme-tflock",
        encrypt: true,
      },
    });
  });

  it("locks S3 state with S3's own lock file when no lock table is configured", () => {
    const remote = synthVpc({ params: { ...params, stateBucket: "acme-tfstate" } });
    assert.deepEqual(remote.terraform.backend, {
      s3: {
        bucket: "acme-tfstate",
        key: "vpc/main/terraform.tfstate",
        region: "eu-west-1",
        encrypt: true,
        use_lockfile: true,
      },
    });
  });

  it("points the provider and the state backend at AWS_ENDPOINT_URL* endpoints only when given", () => {
    const endpoint = "http://127.0.0.1:5000";
    const emulated = synthVpc({
      params: { ...params, stateBucket: "acme-tfstate" },
      endpoints: { ec2: endpoint, iam: endpoint, s3: endpoint, sts: endpoint },
    });
    const provider = emulated.provider.aws[0] as Json;
    assert.deepEqual(provider.endpoints, [{ ec2: endpoint, iam: endpoint, s3: endpoint, sts: endpoint }]);
    assert.equal(provider.skip_credentials_validation, true);
    assert.equal(provider.s3_use_path_style, true);
    const backend = (emulated.terraform.backend as Json).s3;
    assert.deepEqual(backend.endpoints, { s3: endpoint, sts: endpoint, iam: endpoint });
    assert.equal(backend.use_path_style, true);
    // Real AWS: none of it.
    const real = config.provider.aws[0] as Json;
    for (const key of ["endpoints", "skip_credentials_validation", "skip_metadata_api_check", "s3_use_path_style"]) {
      assert.equal(real[key], undefined, key);
    }
  });

  it("tags its resources with the VPC, never with a run id (the sweeper must not touch them)", () => {
    const tags = config.provider.aws[0]?.default_tags[0]?.tags ?? {};
    assert.equal(tags["burst:vpc"], "main");
    assert.equal(tags["burst:run-id"], undefined);
  });

  it("references only its own resources", () => {
    const known = new Set([
      ...Object.entries(config.resource).flatMap(([type, byName]) =>
        Object.keys(byName).map((name) => `${type}.${name}`),
      ),
      ...Object.entries(config.data ?? {}).flatMap(([type, byName]) =>
        Object.keys(byName).map((name) => `data.${type}.${name}`),
      ),
    ]);
    for (const reference of referencesOf(config)) assert.ok(known.has(reference), `dangling ${reference}`);
  });
});
