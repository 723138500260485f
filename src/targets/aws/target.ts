import { join } from "node:path";
import { EC2Client } from "@aws-sdk/client-ec2";
import { S3Client } from "@aws-sdk/client-s3";
import { ServiceQuotasClient } from "@aws-sdk/client-service-quotas";
import { type CapacityAttempt, nextCapacityAttempt, workersShortMessage } from "../../../stacks/aws/capacity.ts";
import { instanceArchitecture } from "../../../stacks/aws/node-image-lookup.ts";
import type { SparkClusterProps } from "../../../stacks/aws/spark-cluster-stack.ts";
import { runTags } from "../../../stacks/aws/tags.ts";
import type { ClusterOutputs } from "../../../stacks/contract.ts";
import { newSparkAuthSecret } from "../../../stacks/shared/spark-conf.ts";
import { describeError, infraError } from "../../errors.ts";
import { writeKeyPair } from "../../remote/keys.ts";
import { parseS3Uri } from "../../storage/s3.ts";
import { destroyStack } from "../../terraform/destroy.ts";
import type { PreparedCluster, PrepareMode, RunContext, Target } from "../contract.ts";
import { type AwsActualCostOptions, awsActualCost } from "./actual-cost.ts";
import { withBakedImage } from "./baked-image.ts";
import { awsBootHints } from "./boot-hints.ts";
import { detectPublicIp, resolveCallerCidr } from "./caller-cidr.ts";
import { unknownCostHint, unknownCostReason } from "./cost-estimate.ts";
import { endAwsClusterBy } from "./end-cluster-by.ts";
import { awsEndpointsFromEnv } from "./endpoints.ts";
import { decideAfterFailure, describeFleetErrors, type FleetError, fleetIdInState } from "./fleet-errors.ts";
import { readConsoleOnce, readHostKeyFromConsole } from "./host-key.ts";
import { type AddressLookup, ec2AddressLookup, pickMasterAddress } from "./master-address.ts";
import { deliverSparkAuthSecret } from "./node-secrets.ts";
import { clusterCost, costBasis, planLines, usd } from "./plan.ts";
import { formatPreflightLine, type PreflightInput, type PreflightReport, runPreflight } from "./preflight.ts";
import { fetchRunResults, replaceRunResult } from "./run-results.ts";
import { type AwsLeftoverOptions, awsLeftovers } from "./sweeper.ts";
import { awsProviderEnv, awsTerraformProvider } from "./terraform-provider.ts";
import { requireVpcOutputs } from "./vpc-outputs.ts";

export interface AwsTargetOptions {
  /** Where BURST_CALLER_CIDR is read from; default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The caller's public address as a CIDR; default: ask checkip.amazonaws.com. */
  readonly detectCallerCidr?: () => Promise<string>;
  /** How the master's host key is found; default: its console output through the EC2 API. */
  readonly readHostKey?: typeof readHostKeyFromConsole;
  /** How long to wait for the master to print its host key, and how often to look. */
  readonly hostKeyTimeoutMs?: number;
  /** One read of a node's console while it boots; default: ec2:GetConsoleOutput. */
  readonly readConsole?: (region: string, instanceId: string) => Promise<string>;
  readonly hostKeyPollMs?: number;
  /** How the master's address is checked before apply; default: the EC2 API in the run's region. */
  readonly addressLookup?: (region: string) => { lookup: AddressLookup; close(): void };
  /** What EC2 said for a fleet that came back short; default: DescribeFleets in the run's region. */
  readonly fleetErrors?: (region: string, fleetId: string) => Promise<FleetError[]>;
  /** The checks before apply (docs/aws.md, "Preflight"); default: AWS's APIs in the run's region. */
  readonly preflight?: (input: PreflightInput) => Promise<PreflightReport>;
  /** How `burst gc` reaches EC2 (default: a client for the configured region) and how long it waits. */
  readonly leftovers?: AwsLeftoverOptions;
  /** How a destroyed run's instances are found and priced (default: a client for the run's region). */
  readonly actualCost?: AwsActualCostOptions;
}

// A node's host key is read from its console every 2 s until it shows: at most 16 nodes at once
// (the secret delivery's concurrency), so at most 8 reads a second, well under EC2's refill of 20.
const defaultHostKeyPollMs = 2_000;

/** The aws target: one run's Spark cluster on EC2 in the VPC ops deployed (docs/aws.md). */
export function createAwsTarget(options: AwsTargetOptions = {}): Target {
  const terraform = { terraformEnv: awsProviderEnv, terraformProvider: awsTerraformProvider };
  return {
    name: "aws",
    ...terraform,
    prepare: (context, mode) => prepareAws(context, mode, options),
    destroy: (stack, onEvent) => destroyStack(stack, terraform, onEvent),
    leftovers: awsLeftovers(options.leftovers),
    actualCost: (request) => awsActualCost(request, options.actualCost),
    endClusterBy: (cluster, deadline) => endAwsClusterBy(cluster, deadline, { env: options.env }),
    fetchResults: (resultsUri, prefix, localDir, placement) =>
      fetchRunResults(resultsUri, prefix, localDir, placement, { env: options.env }),
    replaceResult: (resultsUri, name, localFile, placement) =>
      replaceRunResult(resultsUri, name, localFile, placement, { env: options.env }),
  };
}

export const awsTarget: Target = createAwsTarget();

async function prepareAws(context: RunContext, mode: PrepareMode, options: AwsTargetOptions): Promise<PreparedCluster> {
  const { spec, params } = context;
  // The stack app (CDKTF and the AWS provider bindings) loads for runs only: not for down or gc.
  const { synthSparkCluster } = await import("../../../stacks/aws/cluster-app.ts");
  const env = options.env ?? process.env;
  const declaredVpc = requireVpcOutputs(params);
  const endpoints = awsEndpointsFromEnv(env);
  const caller = await resolveCallerCidr(mode, {
    env,
    detect: options.detectCallerCidr ?? (() => detectPublicIp()),
    sshAddress: params.aws.sshAddress,
  });
  const worker = spec.cluster.worker;
  // The image `npm run vpc -- image` recorded for this Spark and architecture, if its node role is this one.
  const imageLines: string[] = [];
  const aws = await withBakedImage(
    params.aws,
    {
      env,
      prefix: params.prefix,
      sparkVersion: spec.cluster.spark,
      architecture: instanceArchitecture(spec.cluster.master.instanceType),
      askAws: mode === "launch" || hasCredentials(env),
    },
    (line) => (mode === "launch" ? context.log(line) : imageLines.push(`  ${line}`)),
  );
  // How long nodes may take to boot and run the role: a baked image skips the install steps.
  const bootMs = (aws.bakedAmi ? aws.bakedBootMinutes : aws.bootMinutes) * 60_000;
  // Seconds and $0 before anything is provisioned: a refusal stops the run here (docs/aws.md, "Preflight").
  const preflightInput: PreflightInput = {
    region: params.aws.region,
    buckets: spec.buckets,
    resultsBucket: parseS3Uri(spec.results).bucket,
    masterInstanceType: spec.cluster.master.instanceType,
    workerInstanceType: worker.instanceType,
    workers: spec.cluster.workers,
    spot: worker.spot,
    spotFallback: worker.spotFallback,
    subnetIds: declaredVpc.subnetIds,
    securityGroupId: declaredVpc.securityGroupId,
    instanceProfileName: declaredVpc.instanceProfileName,
    imageId: aws.bakedAmi || aws.baseAmi || undefined,
    tags: runTags(context.identity, spec.tags),
  };
  const preflightLines: string[] = [];
  let subnetIds = declaredVpc.subnetIds;
  if (mode === "launch" || hasCredentials(env)) {
    const report = await (options.preflight ?? ((input) => awsPreflight(input, endpoints.s3 !== undefined)))(
      preflightInput,
    );
    for (const line of report.lines) preflightLines.push(formatPreflightLine(line));
    if (mode === "launch") for (const line of preflightLines) context.log(line);
    if (report.refusal) throw report.refusal;
    if (report.subnetIds.length > 0) subnetIds = report.subnetIds;
  } else {
    preflightLines.push(
      "preflight: not run in this dry run: no AWS credentials in the environment (it runs at launch)",
    );
  }
  const vpc = { ...declaredVpc, subnetIds };
  // The run's key: the private half 0600 in the run folder, only the public half reaches the stack.
  const key = await writeKeyPair(join(context.runDir, "keys"), "id_ed25519", `burst-${context.runId}`);
  // The run's Spark authentication secret: in memory only, handed to the nodes over SSH after boot.
  const sparkAuthSecret = newSparkAuthSecret();
  const baseProps: SparkClusterProps = {
    ...context.identity,
    workers: spec.cluster.workers,
    masterInstanceType: spec.cluster.master.instanceType,
    workerInstanceType: worker.instanceType,
    spot: worker.spot,
    maxPrice: worker.maxPrice,
    spotFallback: worker.spotFallback,
    sparkVersion: spec.cluster.spark,
    diskGb: spec.cluster.diskGb,
    ttlMinutes: spec.cluster.ttlMinutes,
    // 0 and "" let Spark offer all of an instance's cores and memory.
    workerCores: worker.cores ?? 0,
    workerMemory: worker.memory ?? "",
    params: aws,
    vpc,
    sshPublicKey: key.publicKey,
    callerCidr: caller.cidr,
    // The job's conf goes on spark-submit; nodes need no cluster-level extras yet.
    sparkConf: {},
    tags: spec.tags,
    subnetIndex: 0,
    endpoints,
  };
  const basis = costBasis(spec);
  const cost = clusterCost(baseProps, basis);

  /** A node's host key, from its console output (EC2 does not know host keys). */
  const hostKeyOf = (instanceId: string, signal?: AbortSignal) =>
    (options.readHostKey ?? readHostKeyFromConsole)({
      region: params.aws.region,
      instanceId,
      timeoutMs: options.hostKeyTimeoutMs ?? params.aws.sshWaitSeconds * 1000,
      intervalMs: options.hostKeyPollMs ?? defaultHostKeyPollMs,
      log: context.log,
      signal,
    });

  /** A launch skips a master address something in its subnet already holds (docs/aws.md). */
  const checkAddress = async (next: CapacityAttempt): Promise<CapacityAttempt> => {
    if (mode !== "launch") return next;
    const subnetId = vpc.subnetIds[next.subnetIndex] ?? "";
    const { lookup, close } = (options.addressLookup ?? ec2Lookup)(params.aws.region);
    try {
      const pick = await pickMasterAddress(
        lookup,
        subnetId,
        context.runId,
        next.masterAddressAttempt ?? 0,
        context.log,
      );
      if (pick === undefined) return next;
      if (pick.skipped.length > 0) {
        context.log(
          `the master's private address ${pick.skipped.join(", then ")} is held in ${subnetId}: it gets ${pick.address}`,
        );
      }
      return { ...next, masterAddressAttempt: pick.attempt };
    } finally {
      close();
    }
  };

  /** EC2's own errors for the run's fleet (its id from the run's state); none when they cannot be read. */
  const readFleetErrors = async (stackDir: string | undefined): Promise<FleetError[]> => {
    const fleetId = stackDir === undefined ? undefined : await fleetIdInState(stackDir);
    if (fleetId === undefined) return [];
    try {
      return await (options.fleetErrors ?? ec2FleetErrors)(params.aws.region, fleetId);
    } catch (error) {
      context.log(`could not read the errors of fleet ${fleetId}: ${describeError(error)}`);
      return [];
    }
  };

  let attempt: CapacityAttempt = await checkAddress({ spot: baseProps.spot, subnetIndex: 0 });
  let lastOutdir: string | undefined;
  let lastStackDir: string | undefined;
  const propsFor = (next: CapacityAttempt): SparkClusterProps => ({
    ...baseProps,
    spot: next.spot,
    subnetIndex: next.subnetIndex,
    masterAddressAttempt: next.masterAddressAttempt,
  });

  return {
    synth(outdir: string) {
      lastOutdir = outdir;
      const synthesized = synthSparkCluster(propsFor(attempt), outdir);
      lastStackDir = synthesized.stackDir;
      return synthesized;
    },
    async retryAfterApplyFailure(errorText: string) {
      if (lastOutdir === undefined) return false;
      const fleetErrors = errorText.includes(workersShortMessage) ? await readFleetErrors(lastStackDir) : [];
      const decision = decideAfterFailure(attempt, errorText, fleetErrors, baseProps.spotFallback);
      if (decision.action === "stop") {
        throw infraError(decision.message, { hint: decision.hint, cause: new Error(errorText) });
      }
      if (decision.action === "retry") context.log(decision.why);
      else if (decision.reading) context.log(`EC2 said: ${decision.reading.summary}`);
      const next =
        decision.action === "retry"
          ? decision.attempt
          : nextCapacityAttempt(attempt, asCapacityFailure(errorText), {
              spotFallback: baseProps.spotFallback,
              subnetCount: vpc.subnetIds.length,
            });
      if (next === undefined) return false;
      const nextCost = clusterCost(propsFor(next), basis);
      if (spec.maxCostUsd !== undefined && nextCost.totalUsd > spec.maxCostUsd) {
        context.log(
          `EC2 capacity is short, but the fallback (${describeAttempt(next, vpc.subnetIds)}) is estimated at ${usd(nextCost.totalUsd)}, above maxCostUsd ${usd(spec.maxCostUsd)}: not retrying`,
        );
        return false;
      }
      attempt = await checkAddress(next);
      synthSparkCluster(propsFor(attempt), lastOutdir);
      context.log(
        `${decision.action === "retry" ? "" : "EC2 capacity is short; "}applying again with ${describeAttempt(attempt, vpc.subnetIds)} (estimate now ${usd(nextCost.totalUsd)})`,
      );
      return true;
    },
    /** `signal` (optional, beyond the contract) stops the wait for the host key on Ctrl-C. */
    async sshEndpoint(outputs: ClusterOutputs, signal?: AbortSignal) {
      // The stack lists the master first in nodeIds.
      const masterInstanceId = outputs.nodeIds[0];
      if (!masterInstanceId) throw infraError("the cluster stack reported no master instance id (nodeIds is empty)");
      const hostKey = outputs.hostKey || (await hostKeyOf(masterInstanceId, signal));
      return {
        host: outputs.masterHost,
        port: outputs.sshPort,
        user: outputs.sshUser,
        privateKeyPath: key.privateKeyPath,
        hostKey,
      };
    },
    async deliverSecrets(outputs: ClusterOutputs, signal?: AbortSignal) {
      await deliverSparkAuthSecret({
        region: params.aws.region,
        instanceIds: outputs.nodeIds,
        sshUser: params.aws.sshUser,
        privateKeyPath: key.privateKeyPath,
        secret: sparkAuthSecret,
        sshAddress: params.aws.sshAddress,
        hostKeyOf: (instanceId) => hostKeyOf(instanceId, signal),
        waitMs: bootMs,
        signal,
      });
    },
    nodeBootHints: awsBootHints,
    nodeConsoles(outputs: ClusterOutputs) {
      // The stack lists the master first in nodeIds, then the workers.
      return outputs.nodeIds.map((instanceId, index) => ({
        node: `${index === 0 ? "master" : `worker-${index}`} (${instanceId})`,
        read: () => (options.readConsole ?? readConsoleOnce)(params.aws.region, instanceId),
      }));
    },
    readyTimeoutMs: bootMs,
    // Credentials and endpoint come from the SDK's default chain (profile, environment, instance
    // role; AWS_ENDPOINT_URL_S3); an endpoint other than AWS's is addressed by path, as the provider does.
    objectStore: { region: params.aws.region, forcePathStyle: endpoints.s3 !== undefined },
    createBuckets: false,
    // The private key stays in a 0600 file; the Spark secret is masked wherever burst prints.
    secrets: [sparkAuthSecret],
    ...(unknownCostReason(cost) === undefined
      ? { costUsd: cost.totalUsd }
      : { costUnknown: unknownCostReason(cost), costUnknownHint: unknownCostHint }),
    view: {
      plan: [...planLines(baseProps, caller, basis, cost), ...imageLines, ...preflightLines],
      browse(uri: string) {
        try {
          const { bucket, key: prefix } = parseS3Uri(uri);
          const query = new URLSearchParams({ region: params.aws.region, prefix, showversions: "false" });
          return `https://s3.console.aws.amazon.com/s3/buckets/${encodeURIComponent(bucket)}?${query}`;
        } catch {
          return undefined;
        }
      },
    },
  };
}

/**
 * Terraform's error text names the failed call, not always the resource address that
 * nextCapacityAttempt looks for; RunInstances is only ever the master (workers are one fleet).
 */
function asCapacityFailure(errorText: string): string {
  return /RunInstances|creating EC2 Instance/.test(errorText) && !/aws_instance\.master/.test(errorText)
    ? `aws_instance.master: ${errorText}`
    : errorText;
}

/** Credentials the SDK finds without asking the instance metadata service (a dry run must not wait on it). */
function hasCredentials(env: Readonly<Record<string, string | undefined>>): boolean {
  return Boolean(env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE || env.AWS_WEB_IDENTITY_TOKEN_FILE);
}

async function awsPreflight(input: PreflightInput, pathStyle: boolean): Promise<PreflightReport> {
  const region = input.region;
  const clients = {
    ec2: new EC2Client({ region, maxAttempts: 2 }),
    s3: new S3Client({ region, forcePathStyle: pathStyle, maxAttempts: 2 }),
    quotas: new ServiceQuotasClient({ region, maxAttempts: 2 }),
  };
  try {
    return await runPreflight(input, clients);
  } finally {
    for (const client of Object.values(clients)) client.destroy();
  }
}

async function ec2FleetErrors(region: string, fleetId: string): Promise<FleetError[]> {
  const client = new EC2Client({ region, maxAttempts: 3 });
  try {
    return await describeFleetErrors(client, fleetId);
  } finally {
    client.destroy();
  }
}

function ec2Lookup(region: string): { lookup: AddressLookup; close(): void } {
  const client = new EC2Client({ region, maxAttempts: 3 });
  return { lookup: ec2AddressLookup(client), close: () => client.destroy() };
}

function describeAttempt(attempt: CapacityAttempt, subnetIds: readonly string[]): string {
  const workers = attempt.spot ? "spot workers" : "on-demand workers";
  return `${workers}, the whole cluster in ${subnetIds[attempt.subnetIndex] ?? `subnet #${attempt.subnetIndex}`}`;
}
