// The preflight's decisions on AWS's answers as AWS gives them (recorded wire format, read by the
// SDK's own deserializers): what moto cannot answer (Service Quotas for EC2, a refused DryRun, a
// bucket in another region) is here; test/targets/aws/preflight-moto.test.ts asks moto itself.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EC2Client } from "@aws-sdk/client-ec2";
import { S3Client } from "@aws-sdk/client-s3";
import { ServiceQuotasClient } from "@aws-sdk/client-service-quotas";
import { ExitCode } from "../../../src/errors.ts";
import {
  bucketVerdict,
  dryRunVerdict,
  formatPreflightLine,
  isStandardFamily,
  offeringVerdict,
  type PreflightInput,
  quotaVerdict,
  runPreflight,
} from "../../../src/targets/aws/preflight.ts";
import { ec2Error, type RecordedAnswer, recordedHandler } from "../../helpers/recorded-aws.ts";

const credentials = { accessKeyId: "a", secretAccessKey: "b" };
const region = "eu-west-1";

const input: PreflightInput = {
  region,
  buckets: ["acme-data", "acme-results"],
  resultsBucket: "acme-results",
  masterInstanceType: "m5.xlarge",
  workerInstanceType: "r5.2xlarge",
  workers: 4,
  spot: true,
  spotFallback: true,
  subnetIds: ["subnet-0a", "subnet-0b"],
  securityGroupId: "sg-0vpc",
  instanceProfileName: "burst-main-node",
  imageId: "ami-0debian",
  tags: { "burst:run-id": "20250101-0200-wordcount-ab12", team: "data" },
};

const xml = (action: string, inner: string): RecordedAnswer => ({
  body: `<?xml version="1.0" encoding="UTF-8"?><${action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r-1</requestId>${inner}</${action}Response>`,
});

const subnets = xml(
  "DescribeSubnets",
  `<subnetSet><item><subnetId>subnet-0a</subnetId><availabilityZone>eu-west-1a</availabilityZone></item><item><subnetId>subnet-0b</subnetId><availabilityZone>eu-west-1b</availabilityZone></item></subnetSet>`,
);
/** eu-west-1b offers the master's type but not the workers'. */
const offerings = xml(
  "DescribeInstanceTypeOfferings",
  [
    ["m5.xlarge", "eu-west-1a"],
    ["r5.2xlarge", "eu-west-1a"],
    ["m5.xlarge", "eu-west-1b"],
  ]
    .map(
      ([type, zone]) =>
        `<item><instanceType>${type}</instanceType><locationType>availability-zone</locationType><location>${zone}</location></item>`,
    )
    .join("")
    .replace(/^/, "<instanceTypeOfferingSet>")
    .concat("</instanceTypeOfferingSet>"),
);
const instanceTypes = xml(
  "DescribeInstanceTypes",
  `<instanceTypeSet><item><instanceType>m5.xlarge</instanceType><vCpuInfo><defaultVCpus>4</defaultVCpus></vCpuInfo></item><item><instanceType>r5.2xlarge</instanceType><vCpuInfo><defaultVCpus>8</defaultVCpus></vCpuInfo></item></instanceTypeSet>`,
);
const quota = (code: string, value: number): RecordedAnswer => ({
  headers: { "content-type": "application/x-amz-json-1.1" },
  body: JSON.stringify({ Quota: { ServiceCode: "ec2", QuotaCode: code, Value: value } }),
});
const noSuchQuota: RecordedAnswer = {
  status: 400,
  headers: { "content-type": "application/x-amz-json-1.1" },
  body: JSON.stringify({
    __type: "NoSuchResourceException",
    message: "The request failed because the specified service does not exist.",
  }),
};

interface Answers {
  readonly bucketStatus?: (bucket: string) => number;
  readonly onDemandQuota?: RecordedAnswer;
  readonly spotQuota?: RecordedAnswer;
  readonly defaultSpotQuota?: RecordedAnswer;
  readonly dryRun?: RecordedAnswer;
}

function clients(answers: Answers = {}) {
  const ec2 = recordedHandler((operation) => {
    switch (operation) {
      case "DescribeSubnets":
        return subnets;
      case "DescribeInstanceTypeOfferings":
        return offerings;
      case "DescribeInstanceTypes":
        return instanceTypes;
      case "RunInstances":
        return answers.dryRun ?? ec2Error("DryRunOperation", "Request would have succeeded, but DryRun flag is set.");
      default:
        return ec2Error("InvalidAction", operation);
    }
  });
  const s3 = recordedHandler((_operation, request) => {
    const bucket = request.path.split("/")[1] ?? request.hostname?.split(".")[0] ?? "";
    const status = answers.bucketStatus?.(bucket) ?? 200;
    const headers: Record<string, string> = status === 301 ? { "x-amz-bucket-region": "us-east-1" } : {};
    return { status, body: "", headers };
  });
  const quotas = recordedHandler((operation, request) => {
    const code = (JSON.parse(String(request.body)) as { QuotaCode: string }).QuotaCode;
    if (operation === "GetServiceQuota") {
      return code === "L-1216C47A" ? (answers.onDemandQuota ?? quota(code, 64)) : (answers.spotQuota ?? noSuchQuota);
    }
    return answers.defaultSpotQuota ?? quota(code, 128);
  });
  const made = {
    ec2: new EC2Client({ region, credentials, requestHandler: ec2.handler, maxAttempts: 1 }),
    s3: new S3Client({ region, credentials, requestHandler: s3.handler, forcePathStyle: true, maxAttempts: 1 }),
    quotas: new ServiceQuotasClient({ region, credentials, requestHandler: quotas.handler, maxAttempts: 1 }),
  };
  return {
    clients: made,
    asked: { ec2: ec2.asked, s3: s3.asked, quotas: quotas.asked },
    close: () => {
      for (const client of Object.values(made)) client.destroy();
    },
  };
}

describe("preflight on recorded AWS answers", () => {
  it("passes a run whose buckets, types, quotas and launches AWS accepts, one line per check, trying only the AZ that offers both types", async () => {
    const recorded = clients();
    try {
      const report = await runPreflight(input, recorded.clients);
      assert.equal(report.refusal, undefined);
      assert.deepEqual(report.subnetIds, ["subnet-0a"]);
      assert.deepEqual(report.lines.map(formatPreflightLine), [
        "preflight: bucket acme-data: ok",
        "preflight: bucket acme-results: ok",
        "preflight: instance types m5.xlarge, r5.2xlarge offered in the VPC's AZs: ok (eu-west-1a; skipped: eu-west-1b lacks r5.2xlarge)",
        "preflight: on-demand vCPU quota L-1216C47A: ok (4 of 64 vCPUs)",
        "preflight: spot vCPU quota L-34B43A08: ok (32 of 128 vCPUs)",
        "preflight: EC2 DryRun of the master (m5.xlarge, on-demand, run-tagged): ok (allowed)",
        "preflight: EC2 DryRun of a worker (r5.2xlarge, spot, run-tagged): ok (allowed)",
      ]);
      assert.deepEqual(recorded.asked.quotas, ["GetServiceQuota", "GetServiceQuota", "GetAWSDefaultServiceQuota"]);
      assert.equal(recorded.asked.ec2.filter((a) => a === "RunInstances").length, 2);
    } finally {
      recorded.close();
    }
  });

  it("refuses a bucket the run cannot reach with exit 2, naming the bucket and the reason, and still reports every check", async () => {
    const recorded = clients({ bucketStatus: (bucket) => (bucket === "acme-results" ? 404 : 200) });
    try {
      const report = await runPreflight(input, recorded.clients);
      assert.equal(report.refusal?.exitCode, ExitCode.badInput);
      assert.match(report.refusal?.message ?? "", /cannot reach bucket acme-results: it does not exist/);
      assert.equal(report.refusal?.keyPath, "results");
      assert.equal(report.lines.length, 7);
    } finally {
      recorded.close();
    }
  });

  it("refuses a cluster above the spot vCPU quota (exit 2), naming the quota code and the increase to ask for", async () => {
    const recorded = clients({ spotQuota: quota("L-34B43A08", 16) });
    try {
      const report = await runPreflight(input, recorded.clients);
      assert.equal(report.refusal?.exitCode, ExitCode.badInput);
      assert.match(report.refusal?.message ?? "", /needs 32 spot vCPUs; this account's quota .*\(L-34B43A08\) is 16/);
      assert.match(report.refusal?.hint ?? "", /--quota-code L-34B43A08 --desired-value 32/);
    } finally {
      recorded.close();
    }
  });

  it("refuses a launch EC2's DryRun denies to this identity (exit 3), pointing at docs/iam-policy.json", async () => {
    const recorded = clients({
      dryRun: ec2Error(
        "UnauthorizedOperation",
        "You are not authorized to perform this operation. Encoded authorization failure message: abc",
      ),
    });
    try {
      const report = await runPreflight(input, recorded.clients);
      assert.equal(report.refusal?.exitCode, ExitCode.infrastructure);
      assert.match(report.refusal?.message ?? "", /EC2 refuses the master .* \(UnauthorizedOperation\)/);
      assert.match(report.refusal?.hint ?? "", /docs\/iam-policy\.json/);
    } finally {
      recorded.close();
    }
  });

  it("says a quota it may not read is not checked, and goes on", async () => {
    const denied: RecordedAnswer = {
      status: 400,
      headers: { "content-type": "application/x-amz-json-1.1" },
      body: JSON.stringify({ __type: "AccessDeniedException", message: "no" }),
    };
    const recorded = clients({ onDemandQuota: denied });
    try {
      const report = await runPreflight(input, recorded.clients);
      assert.equal(report.refusal, undefined);
      assert.ok(
        report.lines
          .map(formatPreflightLine)
          .includes(
            "preflight: on-demand vCPU quota L-1216C47A: not checked (not allowed to read it (servicequotas:GetServiceQuota); the cluster needs 4 vCPUs)",
          ),
      );
    } finally {
      recorded.close();
    }
  });
});

describe("preflight decisions", () => {
  it("refuses each kind of unreachable bucket with exit 2 and what to change", () => {
    const forbidden = bucketVerdict("acme", region, { name: "Forbidden", $metadata: { httpStatusCode: 403 } });
    assert.match(forbidden.refusal?.message ?? "", /acme: access denied to this AWS identity/);
    const moved = bucketVerdict("acme", region, {
      name: "PermanentRedirect",
      $metadata: { httpStatusCode: 301 },
      $response: { headers: { "x-amz-bucket-region": "us-east-1" } },
    });
    assert.match(moved.refusal?.message ?? "", /it is in us-east-1, not eu-west-1/);
    for (const verdict of [forbidden, moved]) assert.equal(verdict.refusal?.exitCode, ExitCode.badInput);
    const flaky = bucketVerdict("acme", region, { name: "TimeoutError", message: "socket hang up" });
    assert.equal(flaky.refusal, undefined, "a network failure is not the bucket's fault");
    assert.equal(flaky.line.verdict, "unknown");
  });

  it("refuses types no AZ of the VPC offers (exit 2), naming each AZ and what it lacks", () => {
    const result = offeringVerdict(
      [{ id: "subnet-0a", zone: "eu-west-1a" }],
      new Map([["eu-west-1a", new Set(["m5.xlarge"])]]),
      ["m5.xlarge", "p5.48xlarge"],
    );
    assert.deepEqual(result.subnetIds, []);
    assert.equal(result.refusal?.exitCode, ExitCode.badInput);
    assert.equal(result.refusal?.keyPath, "cluster.worker.instanceType");
    assert.match(
      result.refusal?.message ?? "",
      /no AZ of the VPC \(eu-west-1a\) offers m5\.xlarge and p5\.48xlarge: eu-west-1a lacks p5\.48xlarge/,
    );
  });

  it("counts only the standard families against the standard vCPU quotas", () => {
    for (const type of ["m5.xlarge", "c7g.large", "r6i.2xlarge", "t3.micro", "i4i.large", "z1d.large"])
      assert.ok(isStandardFamily(type), type);
    for (const type of ["p5.48xlarge", "g5.xlarge", "x2iedn.xlarge", "inf2.xlarge", "trn1.2xlarge"])
      assert.ok(!isStandardFamily(type), type);
  });

  it("passes a quota the cluster fits exactly, and says when the cluster needs none of a market", () => {
    assert.equal(quotaVerdict("onDemand", 64, 64).refusal, undefined);
    assert.equal(quotaVerdict("onDemand", 65, 64).refusal?.keyPath, "cluster.workers");
    assert.equal(quotaVerdict("spot", 0, undefined).line.verdict, "ok");
  });

  it("treats any other DryRun answer as inconclusive, never as a refusal", () => {
    const result = dryRunVerdict("the master", { name: "InvalidParameterCombination", message: "x" });
    assert.equal(result.refusal, undefined);
    assert.equal(result.line.verdict, "unknown");
  });
});
