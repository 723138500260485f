// What an aws run would provision and roughly cost, in the words of the spec: the dry run prints
// it, the manifest keeps it, and maxCostUsd is checked against the same estimate.

import { debianOwnerId, instanceArchitecture } from "../../../stacks/aws/node-image-lookup.ts";
import type { SparkClusterProps } from "../../../stacks/aws/spark-cluster-stack.ts";
import type { Spec } from "../../runspec/types.ts";
import { type CallerCidr, callerCidrVariable } from "./caller-cidr.ts";
import { type CostEstimate, estimateCost, unknownCostReason } from "./cost-estimate.ts";
import { priceTableSource } from "./prices.ts";

export interface CostBasis {
  readonly expectedMinutes: number;
  /** Why that many minutes: the job's own limits, else the cluster's TTL. */
  readonly upperBound: string;
}

/**
 * How long the cluster can live: the steps never run past their timeouts (each attempt of each
 * step, plus onError), and the nodes never outlive ttlMinutes, so the smaller of the two.
 */
export function costBasis(spec: Spec): CostBasis {
  const ttl = { expectedMinutes: spec.cluster.ttlMinutes, upperBound: "ttlMinutes" };
  const steps = [
    ...(spec.steps?.length ? spec.steps : [{ ...spec.job, retries: 0 }]),
    ...(spec.onError ? [spec.onError] : []),
  ];
  if (steps.some((step) => step.timeoutMinutes <= 0)) return ttl;
  const minutes = steps.reduce((sum, step) => sum + step.timeoutMinutes * (1 + step.retries), 0);
  if (minutes >= ttl.expectedMinutes) return ttl;
  const single = steps.length === 1 && steps[0]?.retries === 0;
  return {
    expectedMinutes: minutes,
    upperBound: single ? "job.timeoutMinutes" : "the steps' timeoutMinutes × attempts",
  };
}

export function clusterCost(props: SparkClusterProps, basis: CostBasis): CostEstimate {
  return estimateCost({
    region: props.params.region,
    masterInstanceType: props.masterInstanceType,
    workerInstanceType: props.workerInstanceType,
    workers: props.workers,
    spot: props.spot,
    expectedMinutes: basis.expectedMinutes,
    diskGb: props.diskGb,
  });
}

export function usd(amount: number): string {
  return `$${amount.toFixed(2)}`;
}

export function planLines(
  props: SparkClusterProps,
  caller: CallerCidr,
  basis: CostBasis,
  cost: CostEstimate,
): string[] {
  const { params, vpc } = props;
  const workers = props.workers === 1 ? "1 worker" : `${props.workers} workers`;
  const market = props.spot
    ? `spot${props.maxPrice === undefined ? "" : `, max ${usd(props.maxPrice)}/h`}${props.spotFallback ? ", on-demand if spot is short" : ""}`
    : "on-demand";
  const image = params.bakedAmi
    ? `baked image ${params.bakedAmi} (Java 17 + Spark ${props.sparkVersion} already installed)`
    : `image ${params.baseAmi ?? `newest official Debian 12 ${instanceArchitecture(props.masterInstanceType)} (owner ${debianOwnerId})`} (Java 17 + Spark ${props.sparkVersion} installed at boot)`;
  const sizing =
    props.workerCores > 0 || props.workerMemory !== ""
      ? `${props.workerCores > 0 ? `${props.workerCores} cores` : "all cores"}, ${props.workerMemory || "Spark's default memory"} each`
      : "all their cores and memory (Spark sizes them)";
  const lines = [
    `target aws in ${params.region}: 1 master ${props.masterInstanceType} (on-demand) + ${workers} ${props.workerInstanceType} (${market})`,
    `  VPC ${vpc.vpcId} ("${params.vpcName}"), subnets ${vpc.subnetIds.join(", ")}; all nodes in ${vpc.subnetIds[props.subnetIndex ?? 0]}'s AZ (the next subnet's if EC2 is short there)`,
    `  ${image}`,
    ...(params.bakedAmi ? [] : [`  ${downloadsLine(props)}`]),
    `  workers offer Spark ${sizing}; ${props.diskGb} GB encrypted gp3 disk per node`,
    `  nodes power themselves off after ${props.ttlMinutes} min (ttlMinutes; by ${props.expiresAt}) whatever happens to this CLI`,
    `  SSH as ${params.sshUser} from ${callerLabel(caller)}${params.sshAllowedCidrs.length > 0 ? ` and ${params.sshAllowedCidrs.join(", ")}` : ""}`,
    "  host key: read from the master's console output (ec2:GetConsoleOutput) and pinned before connecting",
    `  isolation: a security group of the run's own between its nodes; Spark authentication with a per-run secret, handed to each node over SSH after boot`,
  ];
  const unknown = unknownCostReason(cost);
  lines.push(
    cost.unpricedRegion !== undefined
      ? `  cost: unknown: ${unknown}`
      : `  cost: about ${usd(cost.perHourUsd)}/h; ${usd(cost.totalUsd)} for ${basis.expectedMinutes} min (upper bound: ${basis.upperBound})`,
  );
  for (const item of cost.lines) lines.push(`    ${item.count} × ${item.item}: ${usd(item.perHourUsd)}/h`);
  if (cost.unpricedRegion === undefined && unknown !== undefined) {
    lines.push(`  warning: ${unknown}: left out of the estimate, which is a lower bound`);
  }
  for (const note of cost.notes) lines.push(`  note: ${note}`);
  lines.push(`  prices: ${priceTableSource.source}, as of ${priceTableSource.asOf}`);
  return lines;
}

/** Where base-image nodes get Spark (pyspark), their Python packages and the s3a jars. */
function downloadsLine(props: SparkClusterProps): string {
  const { params, vpc } = props;
  const what = `pyspark ${props.sparkVersion}, numpy/pandas/pyarrow and the s3a jars`;
  if (params.downloads === "bucket") {
    return `${what} from s3://${vpc.artifactsBucket ?? "?"}/ (npm run vpc -- stage), each checked against the digest PyPI or Maven publishes`;
  }
  return `${what} from PyPI and Maven Central, each checked against the digest PyPI or Maven publishes`;
}

function callerLabel(caller: CallerCidr): string {
  switch (caller.source) {
    case "env":
      return `${caller.cidr} (${callerCidrVariable})`;
    case "detected":
      return `${caller.cidr} (this machine's public address)`;
    case "placeholder":
      return `${caller.cidr} (a TEST-NET placeholder in this dry run: your public address is detected at launch, or set ${callerCidrVariable})`;
  }
}
