import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { RecordedCall } from "../../scripts/servers/twin/aws-front.ts";
import { tagKeys } from "../../stacks/aws/tags.ts";
import { evaluate, evaluateAll, type Policy } from "./iam-policy-eval.ts";
import { type Judgement, judgeCalls } from "./iam-traffic.ts";

// Real calls from a twin session (the VPC stack's, then one wordcount run's), trimmed: user data,
// key material and policy documents stripped.
const sample = JSON.parse(
  readFileSync(fileURLToPath(new URL("../fixtures/twin-calls.json", import.meta.url)), "utf8"),
) as RecordedCall[];
const where = { account: "123456789012", region: "eu-west-1" };
const policy = JSON.parse(
  readFileSync(fileURLToPath(new URL("../../docs/iam-policy.json", import.meta.url)), "utf8")
    .replaceAll("ACCOUNT_ID", where.account)
    .replaceAll("RESULTS_BUCKET", "burst-results")
    .replaceAll("DATA_BUCKET", "burst-data")
    .replaceAll("STATE_BUCKET", "burst-tfstate")
    .replaceAll("LOCK_TABLE", "burst-tflock"),
) as Policy;

/** The run's id, as the master's launch tagged it. */
const runId = (() => {
  const params = sample.find((call) => call.action === "RunInstances")?.params ?? {};
  const key = Object.keys(params).find(
    (name) => /^TagSpecification\.1\.Tag\.\d+\.Key$/.test(name) && params[name] === tagKeys.runId,
  );
  return key ? params[key.replace(/Key$/, "Value")] : undefined;
})();
const judged = judgeCalls(sample, sample, where);
const checksOf = (judgement: Judgement | undefined) => {
  assert.equal(judgement?.kind, "checks", JSON.stringify(judgement));
  return judgement?.kind === "checks" ? judgement.checks : [];
};
const only = (action: string) => {
  const found = judged.filter(({ call }) => call.action === action);
  assert.equal(found.length, 1, action);
  return found[0]?.judged;
};

const call = (service: string, action: string, params: Record<string, string>, response?: string): RecordedCall => ({
  at: 0,
  from: "127.0.0.1",
  service,
  action,
  params,
  status: 200,
  signed: true,
  ...(response ? { response } : {}),
});

describe("iam-traffic: recorded twin calls judged as AWS authorizes them", () => {
  it("checks RunInstances against the instance it creates with the run's tag and the launch template with its tag", () => {
    assert.match(runId ?? "", /^\d{8}-\d{6}-[0-9a-f]{4}$/);
    const checks = checksOf(only("RunInstances"));
    const instance = checks.find((c) => c.action === "ec2:RunInstances" && /:instance\/\*$/.test(c.resource));
    assert.equal(instance?.context?.[`aws:RequestTag/${tagKeys.runId}`], runId);
    const template = checks.find((c) => c.resource.includes(":launch-template/lt-"));
    assert.equal(template?.action, "ec2:RunInstances");
    assert.equal(template?.context?.[`aws:ResourceTag/${tagKeys.runId}`], runId);
    // Tagged in the call that creates it, the interface with the launch template's tag specification.
    const tagging = checks.find((c) => c.action === "ec2:CreateTags" && c.resource.endsWith(":network-interface/*"));
    assert.equal(tagging?.context?.["ec2:CreateAction"], "RunInstances");
    assert.equal(tagging?.context?.[`aws:RequestTag/${tagKeys.runId}`], runId);
    // The VPC stack's subnet and security group, by their VPC tag; the node role passed to EC2.
    const subnet = checks.find((c) => c.resource.includes(":subnet/"));
    assert.equal(subnet?.context?.[`aws:ResourceTag/${tagKeys.vpc}`], "main");
    assert.ok(
      checks.some((c) => c.action === "iam:PassRole" && c.resource.endsWith(":role/burst-main-eu-west-1-node")),
    );
  });

  it("checks CreateFleet against the fleet, the template and what its instances are launched with", () => {
    const checks = checksOf(only("CreateFleet"));
    const fleet = checks.find((c) => c.action === "ec2:CreateFleet" && c.resource.endsWith(":fleet/*"));
    assert.equal(fleet?.context?.[`aws:RequestTag/${tagKeys.runId}`], runId);
    const instance = checks.find((c) => c.action === "ec2:RunInstances" && c.resource.endsWith(":instance/*"));
    assert.equal(instance?.context?.[`aws:RequestTag/${tagKeys.role}`], "worker");
  });

  it("learns the tags of what was created from the answers: terminating the master checks its run tag", () => {
    const [check] = checksOf(only("TerminateInstances"));
    assert.match(check?.resource ?? "", /:instance\/i-[0-9a-f]+$/);
    assert.equal(check?.context?.[`aws:ResourceTag/${tagKeys.runId}`], runId);
    assert.equal(checksOf(only("GetConsoleOutput"))[0]?.context?.[`aws:ResourceTag/${tagKeys.runId}`], runId);
  });

  it("finds every call of the sample allowed by docs/iam-policy.json, but the probes whose denial the caller handles", () => {
    const problems: string[] = [];
    const handled = new Set<string>();
    for (const { call, judged: judgement } of judged) {
      if (judgement.kind === "unknown") {
        problems.push(`${call.action}: ${judgement.reason}`);
        continue;
      }
      const { denied } = evaluateAll(policy, judgement.checks);
      if (denied.length > 0 && judgement.deniable) handled.add(call.action);
      else problems.push(...denied.map((c) => `${call.action}: denied ${c.action} on ${c.resource}`));
    }
    assert.deepEqual(problems, []);
    // terraform's account id probe and the aws_ami data source's UEFI read: not granted, not needed.
    assert.deepEqual([...handled].sort(), ["GetInstanceUefiData", "GetUser"]);
    assert.ok(judged.length === sample.length && sample.length > 20);
  });

  it("denies terminating an instance that was launched without the run tag, and that launch itself", () => {
    const untagged = call(
      "ec2",
      "RunInstances",
      {
        ImageId: "ami-785db401",
        InstanceType: "m5.xlarge",
        MaxCount: "1",
        MinCount: "1",
        SubnetId: sample.find((c) => c.action === "CreateSubnet")?.response?.match(/<subnetId>([^<]+)/)?.[1] ?? "",
      },
      "<RunInstancesResponse><instancesSet><item><instanceId>i-0123456789abcdef0</instanceId></item></instancesSet></RunInstancesResponse>",
    );
    const terminate = call("ec2", "TerminateInstances", { "InstanceId.1": "i-0123456789abcdef0" });
    const history = [...sample, untagged, terminate];
    const [launch, kill] = judgeCalls(history, [untagged, terminate], where);
    assert.equal(evaluateAll(policy, checksOf(launch?.judged)).allowed, false, "an untagged launch");
    const [check] = checksOf(kill?.judged);
    assert.equal(check?.resource, `arn:aws:ec2:eu-west-1:${where.account}:instance/i-0123456789abcdef0`);
    assert.equal(evaluate(policy, check as NonNullable<typeof check>).allowed, false);
  });

  it("judges what it does not model as unknown, never as allowed", () => {
    const calls = [
      call("ec2", "CreateVpcPeeringConnection", { VpcId: "vpc-1", PeerVpcId: "vpc-2" }),
      call("s3", "DeleteObjects", { bucket: "burst-results" }),
      call("ec2", "TerminateInstances", { "InstanceId.1": "i-0fedcba9876543210" }),
      { ...call("s3", "GetObject", { bucket: "burst-main-artifacts-1", key: "spark.tgz" }), signed: false },
    ];
    for (const { call: judgedCall, judged: judgement } of judgeCalls(sample, calls, where))
      assert.equal(judgement.kind, "unknown", `${judgedCall.action}: ${JSON.stringify(judgement)}`);
  });

  it("needs no permission for sts:GetCallerIdentity and reads with resource '*'", () => {
    const [identity, describe] = judgeCalls(
      sample,
      [call("sts", "GetCallerIdentity", {}), call("ec2", "DescribeSubnets", { "SubnetId.1": "subnet-1" })],
      where,
    );
    assert.deepEqual(checksOf(identity?.judged), []);
    assert.deepEqual(checksOf(describe?.judged), [{ action: "ec2:DescribeSubnets", resource: "*" }]);
  });

  it("maps S3 REST operations to IAM actions on the bucket or object", () => {
    const bucket = "burst-results";
    const judgements = judgeCalls(
      sample,
      [
        call("s3", "HeadObject", { bucket, key: "a/b" }),
        call("s3", "ListObjectsV2", { bucket }),
        call("s3", "UploadPart", { bucket, key: "a/b" }),
        call("s3", "GetBucketEncryption", { bucket, subresource: "encryption" }),
      ],
      where,
    );
    assert.deepEqual(
      judgements.map(({ judged: judgement }) => checksOf(judgement)[0]),
      [
        { action: "s3:GetObject", resource: `arn:aws:s3:::${bucket}/a/b` },
        { action: "s3:ListBucket", resource: `arn:aws:s3:::${bucket}` },
        { action: "s3:PutObject", resource: `arn:aws:s3:::${bucket}/a/b` },
        { action: "s3:GetEncryptionConfiguration", resource: `arn:aws:s3:::${bucket}` },
      ],
    );
  });

  it("judges the preflight's Service Quotas reads (allowed) and nothing else of Service Quotas", () => {
    const [read, ask] = judgeCalls(
      [],
      [call("servicequotas", "GetServiceQuota", {}), call("servicequotas", "RequestServiceQuotaIncrease", {})],
      where,
    );
    assert.equal(evaluateAll(policy, checksOf(read?.judged)).allowed, true);
    assert.equal(ask?.judged.kind, "unknown");
  });

  it("judges a spot fleet's launch against the spot requests it creates, with the template's tags", () => {
    const template = call(
      "ec2",
      "CreateLaunchTemplate",
      {
        LaunchTemplateName: "burst-x-worker",
        "LaunchTemplateData.ImageId": "ami-1",
        "LaunchTemplateData.TagSpecification.1.ResourceType": "spot-instances-request",
        "LaunchTemplateData.TagSpecification.1.Tag.1.Key": tagKeys.runId,
        "LaunchTemplateData.TagSpecification.1.Tag.1.Value": "r-1",
        "TagSpecification.1.ResourceType": "launch-template",
        "TagSpecification.1.Tag.1.Key": tagKeys.runId,
        "TagSpecification.1.Tag.1.Value": "r-1",
      },
      "<launchTemplateId>lt-0123456789abcdef0</launchTemplateId>",
    );
    const subnet = call(
      "ec2",
      "CreateSubnet",
      {
        "TagSpecification.1.ResourceType": "subnet",
        "TagSpecification.1.Tag.1.Key": tagKeys.vpc,
        "TagSpecification.1.Tag.1.Value": "main",
      },
      "<subnetId>subnet-0123456789abcdef0</subnetId>",
    );
    const fleet = call("ec2", "CreateFleet", {
      Type: "instant",
      "TargetCapacitySpecification.DefaultTargetCapacityType": "spot",
      "LaunchTemplateConfigs.1.LaunchTemplateSpecification.LaunchTemplateName": "burst-x-worker",
      "LaunchTemplateConfigs.1.Overrides.1.SubnetId": "subnet-0123456789abcdef0",
    });
    const [judgedFleet] = judgeCalls([template, subnet, fleet], [fleet], where);
    const spotRequest = checksOf(judgedFleet?.judged).find((c) => /:spot-instances-request\/\*$/.test(c.resource));
    assert.equal(spotRequest?.action, "ec2:RunInstances");
    assert.equal(spotRequest?.context?.[`aws:RequestTag/${tagKeys.runId}`], "r-1");
  });
});
