// The aws target's parameters, declared in its folder: the AWS names and ids it accepts, and the
// VPC outputs the VPC stack publishes under the name aws/vpcName picks.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { leafForKey } from "../../../src/params/schema.ts";
import {
  amiId,
  awsParamSections,
  awsRegion,
  subnetId,
  VPC_DEPLOY_COMMAND,
  VPC_OUTPUT_NAMES,
  vpcOutputEntries,
  vpcOutputLeaves,
} from "../../../src/targets/aws/params.ts";

const accepts = (codec: { decode(raw: unknown): { ok: boolean } }, ...values: string[]) => {
  for (const value of values) assert.equal(codec.decode(value).ok, true, `${JSON.stringify(value)} should be accepted`);
};
const rejects = (
  codec: { decode(raw: unknown): { ok: boolean; problem?: string } },
  value: string,
  mention?: RegExp,
) => {
  const decoded = codec.decode(value);
  assert.equal(decoded.ok, false, `${JSON.stringify(value)} should be rejected`);
  if (mention && !decoded.ok) assert.match(decoded.problem ?? "", mention);
};

describe("aws parameters", () => {
  it("accepts AWS regions of every partition and rejects other shapes", () => {
    accepts(awsRegion, "eu-west-1", "us-east-2", "ap-southeast-4", "us-gov-west-1", "cn-north-1", "il-central-1");
    for (const bad of ["eu-west", "EU-WEST-1", "euwest1", "eu-west-1a", "mars"])
      rejects(awsRegion, bad, /AWS region like eu-west-1/);
  });

  it("accepts 8- and 17-digit AMI and subnet ids only", () => {
    accepts(amiId, "ami-12345678", "ami-0123456789abcdef0");
    rejects(amiId, "ami-xyz", /ami-0123456789abcdef0/);
    rejects(amiId, "subnet-12345678");
    accepts(subnetId, "subnet-0123456789abcdef0");
    rejects(subnetId, "subnet-123");
  });

  it("declares aws/... and vpc-config/... in config/aws.yml, the VPC outputs in config/vpc.yml", () => {
    assert.equal(leafForKey("aws/region")?.file, "aws.yml");
    assert.equal(leafForKey("vpc-config/cidr")?.file, "aws.yml");
    assert.equal(leafForKey("vpc/main/vpcId")?.file, "vpc.yml");
    assert.deepEqual(Object.keys(awsParamSections), ["aws", "vpcConfig", "vpc"]);
  });

  it("the VPC outputs of any VPC name: written by the VPC stack, one environment variable per output", () => {
    for (const vpcName of ["main", "staging"]) {
      const leaves = vpcOutputLeaves(vpcName);
      assert.deepEqual(Object.keys(leaves), [...VPC_OUTPUT_NAMES]);
      assert.equal(leaves.subnetIds.key, `vpc/${vpcName}/subnetIds`);
      assert.equal(leaves.subnetIds.env, "BURST_VPC_SUBNET_IDS");
      assert.equal(leaves.vpcId.owner, "stack");
      assert.equal(leaves.vpcId.publisher?.command, VPC_DEPLOY_COMMAND);
      assert.equal(leafForKey(`vpc/${vpcName}/securityGroupId`)?.env, "BURST_VPC_SECURITY_GROUP_ID");
    }
    assert.equal(leafForKey("vpc/Not_A_Name/vpcId"), undefined, "a VPC name is a simple name");
    assert.equal(leafForKey("vpc/main/constructor"), undefined, "only the outputs, not what every object has");
  });

  it("publishes the outputs a VPC has, leaving out the buckets a hand-made VPC lacks", () => {
    const required = {
      vpcId: "vpc-0123456789abcdef0",
      subnetIds: ["subnet-0123456789abcdef0"],
      securityGroupId: "sg-0123456789abcdef0",
      instanceProfileName: "burst-node",
    };
    assert.deepEqual(Object.keys(vpcOutputEntries("main", required)), [
      "vpc/main/vpcId",
      "vpc/main/subnetIds",
      "vpc/main/securityGroupId",
      "vpc/main/instanceProfileName",
    ]);
    const entries = vpcOutputEntries("main", { ...required, resultsBucket: "burst-main-results" });
    assert.equal(entries["vpc/main/resultsBucket"], "burst-main-results");
    for (const key of Object.keys(entries)) assert.ok(leafForKey(key), `${key} is a key burst knows`);
  });
});
