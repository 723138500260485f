// What can be checked before apply, in seconds and for $0, so a first run on a real account fails
// early and says why: every bucket the run touches answers HeadBucket, the instance types are
// offered in the VPC's AZs (the cluster only tries AZs that offer them), the account's vCPU quotas
// hold the cluster, and EC2's DryRun of the nodes' launches (with the run's tags, so the operator
// policy's tag conditions are judged) is allowed. Each check is one line for the user; a refusal
// names what failed and what to change (docs/aws.md, "Preflight").

import {
  type _InstanceType,
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstanceTypesCommand,
  DescribeSubnetsCommand,
  type EC2Client,
  type ResourceType,
  RunInstancesCommand,
  type RunInstancesCommandInput,
} from "@aws-sdk/client-ec2";
import { HeadBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import {
  GetAWSDefaultServiceQuotaCommand,
  GetServiceQuotaCommand,
  type ServiceQuotasClient,
} from "@aws-sdk/client-service-quotas";
import { instanceArchitecture } from "../../../stacks/aws/node-image-lookup.ts";
import { tagKeys } from "../../../stacks/aws/tags.ts";
import { type BurstError, badInput, describeError, infraError } from "../../errors.ts";
import { newestDebianImage } from "./debian-image.ts";

export interface PreflightInput {
  readonly region: string;
  /** Every bucket the spec names (inputs, s3a:// args, results). */
  readonly buckets: readonly string[];
  /** The results bucket among them (a refusal of it names the spec's `results` key). */
  readonly resultsBucket?: string;
  readonly masterInstanceType: string;
  readonly workerInstanceType: string;
  readonly workers: number;
  readonly spot: boolean;
  readonly spotFallback: boolean;
  /** The VPC's subnets, in the order ops listed them. */
  readonly subnetIds: readonly string[];
  readonly securityGroupId: string;
  readonly instanceProfileName: string;
  /** The node image, when the parameters name one; else Debian's newest, looked up as the stack does. */
  readonly imageId?: string;
  /** The tags every node of the run carries (the run id among them). */
  readonly tags: Readonly<Record<string, string>>;
}

export interface PreflightClients {
  readonly ec2: EC2Client;
  readonly s3: S3Client;
  readonly quotas: ServiceQuotasClient;
}

export type Verdict = "ok" | "refused" | "unknown";

export interface PreflightLine {
  readonly check: string;
  readonly verdict: Verdict;
  readonly detail: string;
}

export interface PreflightReport {
  readonly lines: readonly PreflightLine[];
  /** The first refusal, as the run's error (exit 2: the spec asks what cannot be; exit 3: the account refuses). */
  readonly refusal?: BurstError;
  /** The subnets whose AZ offers both instance types, in the VPC's order: the only ones a run tries. */
  readonly subnetIds: readonly string[];
}

/** One line as the user sees it. */
export function formatPreflightLine(line: PreflightLine): string {
  return `preflight: ${line.check}: ${line.verdict === "ok" ? "ok" : line.verdict === "refused" ? "REFUSED" : "not checked"}${line.detail ? ` (${line.detail})` : ""}`;
}

// ---- decisions, on answers as AWS gives them ----

interface AwsErrorLike {
  readonly name?: string;
  readonly message?: string;
  readonly Code?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly $response?: { readonly headers?: Record<string, string | undefined> };
}

/** An error's first line: a preflight line stays one line (the SDK appends hints on lines of their own). */
const firstLine = (error: unknown): string => describeError(error).split("\n")[0] ?? "";

const codeOf = (error: unknown): string => {
  const e = error as AwsErrorLike;
  return e?.Code ?? e?.name ?? "Error";
};

/** HeadBucket's answer: 200 is ok; 404, 403 and 301 refuse, naming the bucket and the reason (exit 2). */
export function bucketVerdict(
  bucket: string,
  region: string,
  error: unknown | undefined,
  keyPath?: string,
): { line: PreflightLine; refusal?: BurstError } {
  const check = `bucket ${bucket}`;
  if (error === undefined) return { line: { check, verdict: "ok", detail: "" } };
  const e = error as AwsErrorLike;
  const status = e.$metadata?.httpStatusCode;
  const refuse = (reason: string, hint: string) => ({
    line: { check, verdict: "refused" as const, detail: reason },
    refusal: badInput(`the run cannot reach bucket ${bucket}: ${reason}`, { keyPath, hint }),
  });
  if (status === 404 || codeOf(error) === "NotFound" || codeOf(error) === "NoSuchBucket") {
    return refuse(
      "it does not exist",
      `create it, or name a bucket that exists in the spec's results, inputs or s3a:// args`,
    );
  }
  if (status === 403 || codeOf(error) === "Forbidden") {
    return refuse(
      "access denied to this AWS identity",
      `let the identity burst runs as (and the VPC's node role) read and write s3://${bucket}, or name a bucket it may use`,
    );
  }
  if (status === 301 || codeOf(error) === "PermanentRedirect") {
    const actual = e.$response?.headers?.["x-amz-bucket-region"];
    return refuse(
      `it is in ${actual ?? "another region"}, not ${region}`,
      `use a bucket in ${region}, or run in ${actual ?? "the bucket's region"} (aws/region)`,
    );
  }
  return { line: { check, verdict: "unknown", detail: `HeadBucket failed: ${firstLine(error)}` } };
}

/** The subnets whose AZ offers every type the cluster launches; none refuses (exit 2, naming the AZs). */
export function offeringVerdict(
  subnets: readonly { readonly id: string; readonly zone: string }[],
  offered: ReadonlyMap<string, ReadonlySet<string>>,
  types: readonly string[],
): { line: PreflightLine; subnetIds: string[]; refusal?: BurstError } {
  const wanted = [...new Set(types)];
  const check = `instance types ${wanted.join(", ")} offered in the VPC's AZs`;
  const fits = subnets.filter((s) => wanted.every((type) => offered.get(s.zone)?.has(type)));
  const missing = subnets
    .filter((s) => !fits.includes(s))
    .map((s) => `${s.zone} lacks ${wanted.filter((t) => !offered.get(s.zone)?.has(t)).join(", ")}`);
  if (fits.length === 0) {
    const zones = subnets.map((s) => s.zone).join(", ");
    return {
      line: { check, verdict: "refused", detail: missing.join("; ") },
      subnetIds: [],
      refusal: badInput(`no AZ of the VPC (${zones}) offers ${wanted.join(" and ")}: ${missing.join("; ")}`, {
        keyPath: "cluster.worker.instanceType",
        hint: "pick instance types these AZs offer (aws ec2 describe-instance-type-offerings --location-type availability-zone), or give the VPC a subnet in an AZ that offers them",
      }),
    };
  }
  const detail = `${fits.map((s) => s.zone).join(", ")}${missing.length > 0 ? `; skipped: ${missing.join("; ")}` : ""}`;
  return { line: { check, verdict: "ok", detail }, subnetIds: fits.map((s) => s.id) };
}

/** The Service Quotas codes of the account-wide vCPU limits for EC2's standard families (A, C, D, H, I, M, R, T, Z). */
export const vcpuQuotas = {
  onDemand: { code: "L-1216C47A", name: "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances" },
  spot: { code: "L-34B43A08", name: "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests" },
} as const;

/** Whether an instance type counts against the standard-family vCPU quotas. */
export function isStandardFamily(instanceType: string): boolean {
  return /^[acdhimrtz]\d/.test(instanceType);
}

/** The cluster's vCPUs against one quota: above it refuses (exit 2: the spec asks more than the account holds). */
export function quotaVerdict(
  market: "onDemand" | "spot",
  neededVcpus: number,
  quota: number | undefined,
  unknownReason?: string,
): { line: PreflightLine; refusal?: BurstError } {
  const { code, name } = vcpuQuotas[market];
  const check = `${market === "spot" ? "spot" : "on-demand"} vCPU quota ${code}`;
  if (neededVcpus === 0) return { line: { check, verdict: "ok", detail: "the cluster uses none" } };
  if (quota === undefined) {
    return {
      line: {
        check,
        verdict: "unknown",
        detail: `${unknownReason ?? "no answer"}; the cluster needs ${neededVcpus} vCPUs`,
      },
    };
  }
  if (neededVcpus <= quota) return { line: { check, verdict: "ok", detail: `${neededVcpus} of ${quota} vCPUs` } };
  return {
    line: { check, verdict: "refused", detail: `the cluster needs ${neededVcpus} vCPUs, the quota is ${quota}` },
    refusal: badInput(
      `the cluster needs ${neededVcpus} ${market === "spot" ? "spot" : "on-demand"} vCPUs; this account's quota "${name}" (${code}) is ${quota}`,
      {
        keyPath: "cluster.workers",
        hint: `ask for fewer or smaller workers, or request a higher ${code} in Service Quotas (aws service-quotas request-service-quota-increase --service-code ec2 --quota-code ${code} --desired-value ${neededVcpus})`,
      },
    ),
  };
}

/** EC2's answer to a DryRun: DryRunOperation is allowed; UnauthorizedOperation refuses (exit 3); anything else is inconclusive. */
export function dryRunVerdict(what: string, error: unknown): { line: PreflightLine; refusal?: BurstError } {
  const check = `EC2 DryRun of ${what}`;
  const code = codeOf(error);
  if (code === "DryRunOperation") return { line: { check, verdict: "ok", detail: "allowed" } };
  if (code === "UnauthorizedOperation" || code === "AccessDenied") {
    return {
      line: { check, verdict: "refused", detail: code },
      refusal: infraError(
        `EC2 refuses ${what} to this AWS identity (${code}): ${(error as AwsErrorLike).message ?? ""}`.trim(),
        {
          hint: "give the identity burst runs as docs/iam-policy.json (its tag conditions need the run's tags on every created resource); `aws sts decode-authorization-message --encoded-message ...` says which statement denied",
        },
      ),
    };
  }
  return { line: { check, verdict: "unknown", detail: `${code}: ${firstLine(error)}` } };
}

// ---- asking AWS ----

/** Runs every check; never throws for an answer AWS gives (the report says it), only for a bug. */
export async function runPreflight(input: PreflightInput, clients: PreflightClients): Promise<PreflightReport> {
  const lines: PreflightLine[] = [];
  let refusal: BurstError | undefined;
  const add = (result: { line: PreflightLine; refusal?: BurstError }) => {
    lines.push(result.line);
    refusal ??= result.refusal;
  };

  for (const bucket of input.buckets) {
    const error = await clients.s3.send(new HeadBucketCommand({ Bucket: bucket })).then(
      () => undefined,
      (e: unknown) => e,
    );
    add(bucketVerdict(bucket, input.region, error, bucket === input.resultsBucket ? "results" : undefined));
  }

  const types = [input.masterInstanceType, input.workerInstanceType];
  let subnetIds = [...input.subnetIds];
  try {
    const subnets = await zonesOf(clients.ec2, input.subnetIds);
    const offered = await offerings(clients.ec2, types);
    const result = offeringVerdict(subnets, offered, input.workers > 0 ? types : [input.masterInstanceType]);
    add(result);
    subnetIds = result.subnetIds;
  } catch (error) {
    lines.push({ check: "instance type offerings", verdict: "unknown", detail: firstLine(error) });
  }

  const vcpus = await vcpusOf(clients.ec2, [...new Set(types)]).catch((error: unknown) => {
    lines.push({ check: "vCPU quotas", verdict: "unknown", detail: `DescribeInstanceTypes: ${firstLine(error)}` });
    return undefined;
  });
  if (vcpus !== undefined) {
    const master = vcpus.get(input.masterInstanceType) ?? 0;
    const workers = (vcpus.get(input.workerInstanceType) ?? 0) * input.workers;
    const standard = (type: string, n: number) => (isStandardFamily(type) ? n : 0);
    const onDemand =
      standard(input.masterInstanceType, master) + (input.spot ? 0 : standard(input.workerInstanceType, workers));
    const spot = input.spot ? standard(input.workerInstanceType, workers) : 0;
    for (const [market, needed] of [
      ["onDemand", onDemand],
      ["spot", spot],
    ] as const) {
      if (needed === 0 && market === "spot") continue;
      const quota = await quotaValue(clients.quotas, vcpuQuotas[market].code);
      add(quotaVerdict(market, needed, quota.value, quota.reason));
    }
  }

  const imageId = input.imageId ?? (await newestDebian(clients.ec2, input.masterInstanceType).catch(() => undefined));
  const subnetId = subnetIds[0] ?? input.subnetIds[0];
  if (imageId === undefined || subnetId === undefined) {
    lines.push({
      check: "EC2 DryRun of the launches",
      verdict: "unknown",
      detail: "no image or subnet to launch with",
    });
  } else {
    const launch = (role: "master" | "worker", instanceType: string, spot: boolean): RunInstancesCommandInput => {
      const tags = Object.entries({
        ...input.tags,
        Name: `${input.tags.Name ?? "burst"}-${role}`,
        [tagKeys.role]: role,
      }).map(([Key, Value]) => ({ Key, Value }));
      const types: ResourceType[] = [
        "instance",
        "volume",
        "network-interface",
        ...(spot ? (["spot-instances-request"] as const) : []),
      ];
      return {
        DryRun: true,
        ImageId: imageId,
        InstanceType: instanceType as _InstanceType,
        MinCount: 1,
        MaxCount: 1,
        SubnetId: subnetId,
        SecurityGroupIds: [input.securityGroupId],
        IamInstanceProfile: { Name: input.instanceProfileName },
        MetadataOptions: { HttpTokens: "required", HttpEndpoint: "enabled", HttpPutResponseHopLimit: 1 },
        ...(spot ? { InstanceMarketOptions: { MarketType: "spot" } } : {}),
        TagSpecifications: types.map((ResourceType) => ({ ResourceType, Tags: tags })),
      };
    };
    const attempts: [string, RunInstancesCommandInput][] = [
      [
        `the master (${input.masterInstanceType}, on-demand, run-tagged)`,
        launch("master", input.masterInstanceType, false),
      ],
      ...(input.workers > 0
        ? ([
            [
              `a worker (${input.workerInstanceType}, ${input.spot ? "spot" : "on-demand"}, run-tagged)`,
              launch("worker", input.workerInstanceType, input.spot),
            ],
          ] as [string, RunInstancesCommandInput][])
        : []),
    ];
    for (const [what, params] of attempts) {
      const error = await clients.ec2.send(new RunInstancesCommand(params)).then(
        () => new Error("EC2 launched an instance for a DryRun"),
        (e: unknown) => e,
      );
      add(dryRunVerdict(what, error));
    }
  }
  return { lines, refusal, subnetIds };
}

async function zonesOf(ec2: EC2Client, subnetIds: readonly string[]): Promise<{ id: string; zone: string }[]> {
  const answer = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [...subnetIds] }));
  const zoneOf = new Map((answer.Subnets ?? []).map((s) => [s.SubnetId ?? "", s.AvailabilityZone ?? ""]));
  return subnetIds.map((id) => ({ id, zone: zoneOf.get(id) ?? "?" }));
}

async function offerings(ec2: EC2Client, types: readonly string[]): Promise<Map<string, Set<string>>> {
  const offered = new Map<string, Set<string>>();
  let NextToken: string | undefined;
  do {
    const page = await ec2.send(
      new DescribeInstanceTypeOfferingsCommand({
        LocationType: "availability-zone",
        Filters: [{ Name: "instance-type", Values: [...new Set(types)] }],
        NextToken,
      }),
    );
    for (const offering of page.InstanceTypeOfferings ?? []) {
      const zone = offering.Location ?? "";
      offered.set(zone, (offered.get(zone) ?? new Set()).add(offering.InstanceType ?? ""));
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return offered;
}

async function vcpusOf(ec2: EC2Client, types: readonly string[]): Promise<Map<string, number>> {
  const answer = await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: [...types] as _InstanceType[] }));
  return new Map((answer.InstanceTypes ?? []).map((t) => [String(t.InstanceType), t.VCpuInfo?.DefaultVCpus ?? 0]));
}

/** The account's value of a quota (its applied value, else AWS's default), or why it is unknown. */
async function quotaValue(quotas: ServiceQuotasClient, code: string): Promise<{ value?: number; reason?: string }> {
  const request = { ServiceCode: "ec2", QuotaCode: code };
  try {
    const applied = await quotas.send(new GetServiceQuotaCommand(request));
    if (applied.Quota?.Value !== undefined) return { value: applied.Quota.Value };
  } catch (error) {
    if (codeOf(error) === "AccessDeniedException") {
      return { reason: "not allowed to read it (servicequotas:GetServiceQuota)" };
    }
    if (codeOf(error) !== "NoSuchResourceException") return { reason: `Service Quotas: ${firstLine(error)}` };
  }
  try {
    const fallback = await quotas.send(new GetAWSDefaultServiceQuotaCommand(request));
    if (fallback.Quota?.Value !== undefined) return { value: fallback.Quota.Value };
    return { reason: "Service Quotas gave no value" };
  } catch (error) {
    return { reason: `Service Quotas: ${firstLine(error)}` };
  }
}

/** Debian 12's newest official image for the master's architecture, as the stack's lookup finds it. */
async function newestDebian(ec2: EC2Client, instanceType: string): Promise<string | undefined> {
  return (await newestDebianImage(ec2, instanceArchitecture(instanceType)))?.ImageId;
}
