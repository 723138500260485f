// What a run will cost, before it launches: shown by --dry-run and checked against the spec's
// maxCostUsd. Instance types and regions missing from the price table are reported, never guessed.

import {
  gp3PerGbMonthUsd,
  isPricedRegion,
  onDemandPerHourUsd,
  pricedRegions,
  priceTableSource,
  publicIpv4PerHourUsd,
  typicalSpotFraction,
} from "./prices.ts";

export interface CostInput {
  readonly region: string;
  readonly masterInstanceType: string;
  readonly workerInstanceType: string;
  readonly workers: number;
  /** Workers on spot (the master never is). */
  readonly spot: boolean;
  readonly expectedMinutes: number;
  /** Root disk per node; adds storage to the estimate when given. */
  readonly diskGb?: number;
}

export interface CostLine {
  readonly item: string;
  readonly count: number;
  readonly unitPerHourUsd: number;
  readonly perHourUsd: number;
}

export interface CostEstimate {
  /** Cost of one hour of the whole cluster (unpriced parts count as 0: see unknownCostReason). */
  readonly perHourUsd: number;
  readonly totalUsd: number;
  readonly lines: readonly CostLine[];
  /** Instance types the table has no price for: the estimate is a lower bound while this is not empty. */
  readonly unknownTypes: readonly string[];
  /** The region, when the table has no prices for it at all (no instance is priced then). */
  readonly unpricedRegion?: string;
  /** Approximations made (typical spot discount, ...). */
  readonly notes: readonly string[];
}

/** Billing is per second with a one-minute minimum for Linux instances. */
const minimumBilledMinutes = 1;
const hoursPerMonth = 730;

export function estimateCost(input: CostInput): CostEstimate {
  const notes: string[] = [];
  const region = isPricedRegion(input.region) ? input.region : undefined;

  const unknownTypes: string[] = [];
  const lines: CostLine[] = [];
  const instances = (item: string, instanceType: string, count: number, fraction: number) => {
    if (count === 0 || region === undefined) return;
    const onDemand = onDemandPerHourUsd(instanceType, region);
    if (onDemand === undefined) {
      if (!unknownTypes.includes(instanceType)) unknownTypes.push(instanceType);
      return;
    }
    lines.push(line(`${item} ${instanceType}`, count, onDemand * fraction));
  };
  instances("master on-demand", input.masterInstanceType, 1, 1);
  instances(
    input.spot ? "workers spot" : "workers on-demand",
    input.workerInstanceType,
    input.workers,
    input.spot ? typicalSpotFraction : 1,
  );
  if (input.spot && input.workers > 0)
    notes.push(
      `spot priced at a typical ${Math.round((1 - typicalSpotFraction) * 100)} % discount; on-demand fallback costs more`,
    );

  const nodes = input.workers + 1;
  lines.push(line("public IPv4 addresses", nodes, publicIpv4PerHourUsd));
  if (input.diskGb !== undefined && region !== undefined)
    lines.push(
      line(`gp3 root disks ${input.diskGb} GB`, nodes, (input.diskGb * gp3PerGbMonthUsd[region]) / hoursPerMonth),
    );

  const perHourUsd = lines.reduce((sum, each) => sum + each.perHourUsd, 0);
  const hours = Math.max(input.expectedMinutes, minimumBilledMinutes) / 60;
  return {
    perHourUsd,
    totalUsd: perHourUsd * hours,
    lines,
    unknownTypes,
    ...(region === undefined ? { unpricedRegion: input.region } : {}),
    notes,
  };
}

/** What a user can do when the estimate is not a price (maxCostUsd then refuses the run). */
export const unknownCostHint =
  "pick an instance type and region the price table covers (src/targets/aws/prices.ts; add the price there)";

/** Why the estimate is not a price (a lower bound at best), or undefined when every part is priced. */
export function unknownCostReason(estimate: CostEstimate): string | undefined {
  const table = `burst's price table (${priceTableSource.asOf}, src/targets/aws/prices.ts)`;
  if (estimate.unpricedRegion !== undefined) {
    return `${table} has no prices for region ${estimate.unpricedRegion} (it covers ${pricedRegions.join(", ")})`;
  }
  if (estimate.unknownTypes.length > 0) {
    const types = estimate.unknownTypes.join(", ");
    return `${table} has no price for instance type${estimate.unknownTypes.length > 1 ? "s" : ""} ${types}`;
  }
  return undefined;
}

function line(item: string, count: number, unitPerHourUsd: number): CostLine {
  return { item, count, unitPerHourUsd, perHourUsd: unitPerHourUsd * count };
}
