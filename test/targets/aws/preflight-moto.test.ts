// component: moto
// The preflight against moto_server, with the SDK clients burst builds: HeadBucket of a bucket that
// exists and one that does not, the subnets' AZs and moto's instance type offerings, and EC2's
// DryRun of the master's and a spot worker's launch with the run's tags (moto answers
// DryRunOperation without judging IAM). moto_server answers no Service Quotas request for EC2
// (its own models hold VPC quotas only; at this endpoint it returns its HTML 404 page), so the
// quota lines say "not checked"; their decisions are tested on recorded answers in
// preflight.test.ts, as is a DryRun that IAM refuses.

import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { DescribeInstancesCommand, type EC2Client } from "@aws-sdk/client-ec2";
import { CreateBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { ServiceQuotasClient } from "@aws-sdk/client-service-quotas";
import { createClusterVpc, type MotoServer, motoRegion, startMoto } from "../../../scripts/servers/moto.ts";
import { ExitCode } from "../../../src/errors.ts";
import { formatPreflightLine, type PreflightInput, runPreflight } from "../../../src/targets/aws/preflight.ts";

let moto: MotoServer;
let ec2: EC2Client;
let s3: S3Client;
let quotas: ServiceQuotasClient;
let input: PreflightInput;

before(async () => {
  moto = await startMoto();
  ec2 = moto.client();
  s3 = moto.s3();
  quotas = new ServiceQuotasClient({
    region: motoRegion,
    endpoint: moto.endpoint,
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
    maxAttempts: 1,
  });
  // The VPC's node role and profile too: moto checks the profile a launch names, even in a DryRun.
  const {
    subnetIds,
    securityGroupId,
    instanceProfileName,
    imageId: image,
  } = await createClusterVpc(moto, {
    groupName: "cluster",
    profileName: "burst-main-node",
    role: true,
  });
  await s3.send(
    new CreateBucketCommand({ Bucket: "acme-results", CreateBucketConfiguration: { LocationConstraint: motoRegion } }),
  );
  assert.ok(image, "moto ships an Ubuntu image");
  input = {
    region: motoRegion,
    buckets: ["acme-results"],
    masterInstanceType: "m5.large",
    workerInstanceType: "m5.large",
    workers: 2,
    spot: true,
    spotFallback: true,
    subnetIds,
    securityGroupId,
    instanceProfileName,
    imageId: image,
    tags: { "burst:run-id": "20250101-0200-wordcount-ab12" },
  };
});

after(async () => {
  ec2?.destroy();
  s3?.destroy();
  quotas?.destroy();
  await moto?.stop();
});

it("passes a run moto can hold: its bucket, both AZs, the DryRun launches; the quotas moto lacks are 'not checked'; nothing is launched", async () => {
  const report = await runPreflight(input, { ec2, s3, quotas });
  const lines = report.lines.map(formatPreflightLine);
  assert.equal(report.refusal, undefined, lines.join("\n"));
  assert.deepEqual(report.subnetIds, input.subnetIds, "moto offers m5.large in both AZs");
  assert.deepEqual(lines.slice(0, 2), [
    "preflight: bucket acme-results: ok",
    `preflight: instance types m5.large offered in the VPC's AZs: ok (${motoRegion}a, ${motoRegion}b)`,
  ]);
  assert.match(
    lines[2] ?? "",
    /^preflight: on-demand vCPU quota L-1216C47A: not checked \(Service Quotas: .*; the cluster needs 2 vCPUs\)$/,
  );
  assert.match(lines[3] ?? "", /^preflight: spot vCPU quota L-34B43A08: not checked \(.*the cluster needs 4 vCPUs\)$/);
  assert.deepEqual(lines.slice(4), [
    "preflight: EC2 DryRun of the master (m5.large, on-demand, run-tagged): ok (allowed)",
    "preflight: EC2 DryRun of a worker (m5.large, spot, run-tagged): ok (allowed)",
  ]);
  const instances = await ec2.send(new DescribeInstancesCommand({}));
  assert.equal(instances.Reservations?.length ?? 0, 0, "a DryRun launches nothing");
});

it("refuses a spec naming a bucket that does not exist with exit 2, naming the bucket and the reason", async () => {
  const report = await runPreflight({ ...input, buckets: ["acme-results", "acme-missing"] }, { ec2, s3, quotas });
  assert.equal(report.refusal?.exitCode, ExitCode.badInput);
  assert.match(report.refusal?.message ?? "", /the run cannot reach bucket acme-missing: it does not exist/);
  assert.ok(
    report.lines.map(formatPreflightLine).includes("preflight: bucket acme-missing: REFUSED (it does not exist)"),
  );
});

it("refuses an instance type no AZ of the VPC offers with exit 2, naming each AZ", async () => {
  const report = await runPreflight({ ...input, workerInstanceType: "m5.notatype" }, { ec2, s3, quotas });
  assert.equal(report.refusal?.exitCode, ExitCode.badInput);
  assert.match(
    report.refusal?.message ?? "",
    new RegExp(`no AZ of the VPC \\(${motoRegion}a, ${motoRegion}b\\) offers m5\\.large and m5\\.notatype`),
  );
});
