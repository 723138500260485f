// Why a fleet came back short, in EC2's own words: the provider drops CreateFleet's Errors, so
// after the stack's "capacity short" postcondition fails, the fleet's id is read from the run's
// state and DescribeFleets tells what EC2 said for each launch it could not make.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { DescribeFleetsCommand, type EC2Client } from "@aws-sdk/client-ec2";
import { type CapacityAttempt, capacityErrors, workersShortMessage } from "../../../stacks/aws/capacity.ts";

export interface FleetError {
  readonly code: string;
  readonly message: string;
  readonly instanceType?: string;
  readonly availabilityZone?: string;
  readonly subnetId?: string;
}

/** What kind of failure it is decides what to try next: only capacity is worth another AZ. */
export type FailureKind = "capacity" | "quota" | "permission" | "unsupported" | "other";

export interface FailureReading {
  readonly kind: FailureKind;
  /** EC2's codes, each once, in the order seen. */
  readonly codes: readonly string[];
  /** One line for the user: what EC2 said. */
  readonly summary: string;
  /** What to change, when it is not "try again elsewhere". */
  readonly hint?: string;
}

const codesByKind: readonly [FailureKind, readonly string[]][] = [
  ["capacity", capacityErrors],
  [
    "quota",
    [
      "VcpuLimitExceeded",
      "MaxSpotInstanceCountExceeded",
      "InstanceLimitExceeded",
      "MaxFleetCountExceeded",
      "MaxSpotFleetRequestCountExceeded",
    ],
  ],
  ["permission", ["UnauthorizedOperation", "AccessDenied", "AuthFailure", "OptInRequired"]],
  ["unsupported", ["Unsupported", "InvalidParameterValue", "InvalidParameterCombination", "InvalidInstanceType"]],
];

const hints: Record<Exclude<FailureKind, "capacity">, string> = {
  quota:
    "raise the account's EC2 vCPU quota in Service Quotas (L-1216C47A standard on-demand, L-34B43A08 spot) or ask for fewer or smaller workers",
  permission:
    "the AWS identity burst runs as lacks a permission the launch needs: compare it with docs/iam-policy.json (EC2 says which action in the message; `aws sts decode-authorization-message` decodes it)",
  unsupported:
    "the instance type is not offered there or the request combines options EC2 refuses: pick another cluster.worker.instanceType or check it in `aws ec2 describe-instance-type-offerings --location-type availability-zone`",
  other: "see EC2's message above",
};

/** The kind of the first code that has one (capacity last: a quota or permission error explains a short fleet better). */
export function classifyFailure(codes: readonly string[]): FailureKind {
  for (const kind of ["permission", "quota", "unsupported", "capacity"] as const) {
    const known = codesByKind.find(([k]) => k === kind)?.[1] ?? [];
    if (codes.some((code) => known.includes(code))) return kind;
  }
  return "other";
}

/** EC2's error codes named in terraform's error text (e.g. "api error VcpuLimitExceeded: ..."). */
export function codesInText(text: string): string[] {
  const known = codesByKind.flatMap(([, codes]) => codes);
  return known.filter((code) => new RegExp(`\\b${code.replace(/-/g, "\\-")}\\b`).test(text));
}

/** How a short fleet's errors read to the user; undefined when EC2 gave none. */
export function readFleetFailure(errors: readonly FleetError[]): FailureReading | undefined {
  if (errors.length === 0) return undefined;
  const codes = [...new Set(errors.map((error) => error.code))];
  const kind = classifyFailure(codes);
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const error of errors) {
    const where = [error.instanceType, error.availabilityZone ?? error.subnetId].filter(Boolean).join(" in ");
    const line = `${error.code}${where ? ` (${where})` : ""}: ${error.message}`;
    if (!seen.has(line)) lines.push(line);
    seen.add(line);
  }
  return { kind, codes, summary: lines.join("; "), ...(kind === "capacity" ? {} : { hint: hints[kind] }) };
}

/** The worker fleet's id in the run's local state, or undefined when no fleet was recorded. */
export async function fleetIdInState(stackDir: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(join(stackDir, "terraform.tfstate"), "utf8");
  } catch {
    return undefined;
  }
  const state = JSON.parse(text) as {
    resources?: { mode?: string; type?: string; instances?: { attributes?: { id?: string } }[] }[];
  };
  const fleet = (state.resources ?? []).find((r) => r.mode === "managed" && r.type === "aws_ec2_fleet");
  return fleet?.instances?.[0]?.attributes?.id || undefined;
}

/** What EC2 said when the fleet launched (instant fleets keep their launch errors). */
export async function describeFleetErrors(ec2: EC2Client, fleetId: string): Promise<FleetError[]> {
  const answer = await ec2.send(new DescribeFleetsCommand({ FleetIds: [fleetId] }));
  const fleet = answer.Fleets?.[0];
  return (fleet?.Errors ?? []).map((error) => {
    const overrides = error.LaunchTemplateAndOverrides?.Overrides;
    return {
      code: error.ErrorCode ?? "unknown",
      message: error.ErrorMessage ?? "",
      ...(overrides?.InstanceType ? { instanceType: overrides.InstanceType } : {}),
      ...(overrides?.AvailabilityZone ? { availabilityZone: overrides.AvailabilityZone } : {}),
      ...(overrides?.SubnetId ? { subnetId: overrides.SubnetId } : {}),
    };
  });
}

export type AfterFailure =
  /** Capacity, or nothing EC2 explained: the usual walk over AZs and markets decides (nextCapacityAttempt). */
  | { readonly action: "elsewhere"; readonly reading?: FailureReading }
  /** Try this attempt next, for the reason given. */
  | { readonly action: "retry"; readonly attempt: CapacityAttempt; readonly why: string }
  /** Another AZ would fail the same way: stop, saying what EC2 said and what to change. */
  | { readonly action: "stop"; readonly message: string; readonly hint?: string };

/**
 * What a failed apply means, from the fleet's errors (when the workers came back short) or the
 * codes in terraform's text (the master). A spot quota leaves on-demand workers possible; any other
 * quota, a missing permission or an unsupported type stops the run: no AZ lifts them.
 */
export function decideAfterFailure(
  attempt: CapacityAttempt,
  errorText: string,
  fleetErrors: readonly FleetError[],
  spotFallback: boolean,
): AfterFailure {
  const workersShort = errorText.includes(workersShortMessage);
  const reading = workersShort ? readFleetFailure(fleetErrors) : readTextFailure(errorText);
  if (reading === undefined || reading.kind === "capacity") return { action: "elsewhere", reading };
  const who = workersShort ? "the worker fleet launched no workers" : "the master could not launch";
  if (reading.kind === "quota" && workersShort && attempt.spot && spotFallback) {
    return {
      action: "retry",
      attempt: { ...attempt, spot: false },
      why: `spot is over its quota (${reading.summary}); on-demand workers have a quota of their own`,
    };
  }
  return { action: "stop", message: `${who}: EC2 said ${reading.summary}`, hint: reading.hint };
}

function readTextFailure(text: string): FailureReading | undefined {
  const codes = codesInText(text);
  if (codes.length === 0) return undefined;
  const kind = classifyFailure(codes);
  const line = text.split("\n").find((l) => codes.some((code) => l.includes(code))) ?? codes.join(", ");
  return { kind, codes, summary: line.trim(), ...(kind === "capacity" ? {} : { hint: hints[kind] }) };
}
