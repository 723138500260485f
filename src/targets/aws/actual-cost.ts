// What an aws run really cost, once destroyed: each instance's own lifetime as EC2 reports it
// (launch time to termination), priced from the price table, spot instances from EC2's spot
// price history for their type and AZ when the API answers it.

import {
  DescribeInstancesCommand,
  DescribeSpotPriceHistoryCommand,
  EC2Client,
  type Instance,
  type SpotPrice,
} from "@aws-sdk/client-ec2";
import type { ActualCost, ActualCostRequest, NodeCost } from "../contract.ts";
import {
  isPricedRegion,
  onDemandPerHourUsd,
  priceTableSource,
  publicIpv4PerHourUsd,
  typicalSpotFraction,
} from "./prices.ts";

export interface AwsActualCostOptions {
  /** The EC2 API to ask (a test's moto); default: a client for the run's region. */
  readonly client?: EC2Client;
}

/** Billing is per second with a one-minute minimum for Linux instances. */
const minimumBilledSeconds = 60;

/** The run's instances, found by its tag, priced over their lifetimes. */
export async function awsActualCost(
  request: ActualCostRequest,
  options: AwsActualCostOptions = {},
): Promise<ActualCost> {
  const region = runRegion(request);
  if (!region) throw new Error("no AWS region to ask EC2 in (set BURST_AWS_REGION or AWS_REGION)");
  const client = options.client ?? new EC2Client({ region, maxAttempts: 3 });
  try {
    const instances = await runInstances(client, request.runId);
    const sources = new Set<string>();
    const unpriced: string[] = [];
    const nodes: NodeCost[] = [];
    for (const instance of instances) {
      const node = await instanceCost(client, instance, region, request.clusterEndedAt, sources);
      if (node.perHourUsd === undefined) unpriced.push(`${node.id} (${node.instanceType ?? "unknown type"})`);
      nodes.push(node);
    }
    return {
      totalUsd: nodes.reduce((sum, node) => sum + node.usd, 0),
      nodes,
      priceSources: [...sources],
      unpriced,
    };
  } finally {
    if (!options.client) client.destroy();
  }
}

/** The params' region, else the AZ's, else the SDK's own variables. */
function runRegion(request: ActualCostRequest): string | undefined {
  return (
    request.params?.aws.region ??
    request.availabilityZone?.replace(/[a-z]$/, "") ??
    request.env.BURST_AWS_REGION ??
    request.env.AWS_REGION ??
    request.env.AWS_DEFAULT_REGION
  );
}

async function runInstances(client: EC2Client, runId: string): Promise<Instance[]> {
  const found: Instance[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new DescribeInstancesCommand({ Filters: [{ Name: "tag:burst:run-id", Values: [runId] }], NextToken: token }),
    );
    for (const reservation of page.Reservations ?? []) found.push(...(reservation.Instances ?? []));
    token = page.NextToken;
  } while (token);
  return found.sort((a, b) => (a.LaunchTime?.getTime() ?? 0) - (b.LaunchTime?.getTime() ?? 0));
}

async function instanceCost(
  client: EC2Client,
  instance: Instance,
  region: string,
  destroyEnded: Date,
  sources: Set<string>,
): Promise<NodeCost> {
  const launched = instance.LaunchTime ?? destroyEnded;
  const ended = terminatedAt(instance) ?? destroyEnded;
  const seconds = Math.max((ended.getTime() - launched.getTime()) / 1000, minimumBilledSeconds);
  const hours = seconds / 3600;
  const spot = instance.InstanceLifecycle === "spot";
  const type = instance.InstanceType;
  const onDemand = type && isPricedRegion(region) ? onDemandPerHourUsd(type, region) : undefined;
  let instanceUsd: number | undefined;
  if (spot && type) {
    const history = await spotAverage(client, type, instance.Placement?.AvailabilityZone, launched, ended).catch(
      () => undefined,
    );
    if (history !== undefined) {
      sources.add("EC2 spot price history (DescribeSpotPriceHistory)");
      instanceUsd = history * hours;
    } else if (onDemand !== undefined) {
      sources.add(
        `spot at a typical ${Math.round((1 - typicalSpotFraction) * 100)} % discount (no spot price history)`,
      );
      instanceUsd = onDemand * typicalSpotFraction * hours;
    }
  } else if (onDemand !== undefined) {
    sources.add(`burst's price table (${priceTableSource.asOf}, on-demand, src/targets/aws/prices.ts)`);
    instanceUsd = onDemand * hours;
  }
  const addressUsd = publicIpv4PerHourUsd * hours;
  return {
    id: instance.InstanceId ?? "unknown",
    ...(type ? { instanceType: type } : {}),
    lifecycle: spot ? "spot" : "on-demand",
    launchedAt: launched.toISOString(),
    endedAt: ended.toISOString(),
    hours,
    ...(instanceUsd !== undefined ? { perHourUsd: instanceUsd / hours + publicIpv4PerHourUsd } : {}),
    usd: (instanceUsd ?? 0) + addressUsd,
  };
}

/** EC2's "User initiated (2026-12-07 08:01:02 GMT)": when the instance was asked to terminate. */
export function terminatedAt(instance: Instance): Date | undefined {
  const match = /\((\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) (?:GMT|UTC)\)/.exec(instance.StateTransitionReason ?? "");
  if (!match || !/shutting-down|terminated/.test(instance.State?.Name ?? "")) return undefined;
  const at = new Date(`${match[1]}T${match[2]}Z`);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/** The time-weighted spot price (USD/h) over [from, to]: each price holds from its timestamp to the next. */
async function spotAverage(
  client: EC2Client,
  instanceType: string,
  availabilityZone: string | undefined,
  from: Date,
  to: Date,
): Promise<number | undefined> {
  const answer = await client.send(
    new DescribeSpotPriceHistoryCommand({
      InstanceTypes: [instanceType as never],
      ProductDescriptions: ["Linux/UNIX"],
      StartTime: from,
      EndTime: to,
      ...(availabilityZone ? { AvailabilityZone: availabilityZone } : {}),
    }),
  );
  return weightedSpotPrice(answer.SpotPriceHistory ?? [], availabilityZone, from, to);
}

/** The average of the prices in effect over [from, to]; a price set before `from` holds at `from`. */
export function weightedSpotPrice(
  history: readonly SpotPrice[],
  availabilityZone: string | undefined,
  from: Date,
  to: Date,
): number | undefined {
  const points = history
    .filter((entry) => !availabilityZone || !entry.AvailabilityZone || entry.AvailabilityZone === availabilityZone)
    .map((entry) => ({ at: entry.Timestamp?.getTime() ?? 0, price: Number(entry.SpotPrice) }))
    .filter((entry) => Number.isFinite(entry.price))
    .sort((a, b) => a.at - b.at);
  if (points.length === 0) return undefined;
  const start = from.getTime();
  const end = Math.max(to.getTime(), start + 1);
  let weighted = 0;
  for (let index = 0; index < points.length; index++) {
    const point = points[index];
    if (!point) continue;
    const segmentStart = index === 0 ? start : Math.max(point.at, start);
    const next = points[index + 1];
    const segmentEnd = Math.min(next ? next.at : end, end);
    if (segmentEnd > segmentStart) weighted += point.price * (segmentEnd - segmentStart);
  }
  return weighted / (end - start);
}
