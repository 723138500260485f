// What to try next when EC2 had no capacity for a run. Terraform cannot fall back from spot to
// on-demand inside one apply (an instant fleet takes what it gets; the stack's postcondition
// turns "short" into an error), so the lifecycle re-synthesizes with the attempt this returns
// and applies again: terraform replaces only the part that failed. Plain TS, no CDKTF.

import { maxAddressAttempts } from "./master-address.ts";

/** The worker fleet's postcondition message: the fleet launched fewer workers than asked. */
export const workersShortMessage = "burst: the fleet launched fewer workers than asked (capacity short)";

export interface CapacityAttempt {
  /** Workers on spot capacity. */
  readonly spot: boolean;
  /** Index into the VPC's subnets (one per AZ) for the whole cluster. */
  readonly subnetIndex: number;
  /** Which private address the master is given in its subnet (0: the run's first pick). */
  readonly masterAddressAttempt?: number;
}

/** One word per attempt, written into the stack: when it changes, terraform replaces the worker fleet. */
export function capacityAttemptKey(attempt: CapacityAttempt): string {
  return `${attempt.spot ? "spot" : "on-demand"} subnet#${attempt.subnetIndex} address#${attempt.masterAddressAttempt ?? 0}`;
}

/** RunInstances' answer when the master's chosen private address is taken by another instance. */
const addressInUse = "InvalidIPAddress.InUse";

export interface CapacityOptions {
  readonly spotFallback: boolean;
  readonly subnetCount: number;
}

/** EC2 error codes that mean "not now, not here", as opposed to a mistake in the request or a quota (which no other AZ lifts). */
export const capacityErrors = [
  "InsufficientInstanceCapacity",
  "InsufficientCapacity",
  "InsufficientHostCapacity",
  "UnfulfillableCapacity",
  "SpotMaxPriceTooLow",
  "capacity-not-available",
  "price-too-low",
];

export function isCapacityFailure(failure: string): boolean {
  return failure.includes(workersShortMessage) || capacityErrors.some((code) => failure.includes(code));
}

/**
 * The next attempt after `failure`, or undefined when there is nothing sensible left to try.
 * Master's address taken: pick another. Master or workers short: the whole cluster moves to the
 * next subnet's AZ (it stays in one AZ), on the same market. Spot short in every AZ: on-demand
 * from the first AZ again, when the spec allows it.
 */
export function nextCapacityAttempt(
  attempt: CapacityAttempt,
  failure: string,
  options: CapacityOptions,
): CapacityAttempt | undefined {
  if (failure.includes(addressInUse)) {
    const next = (attempt.masterAddressAttempt ?? 0) + 1;
    return next < maxAddressAttempts ? { ...attempt, masterAddressAttempt: next } : undefined;
  }
  if (!isCapacityFailure(failure)) return undefined;
  // A new subnet is a new address range: the master's address is picked afresh there.
  const nextZone = attempt.subnetIndex + 1;
  if (nextZone < options.subnetCount) return { spot: attempt.spot, subnetIndex: nextZone };
  const workersShort = !/aws_instance\.master/.test(failure);
  if (workersShort && attempt.spot && options.spotFallback) return { spot: false, subnetIndex: 0 };
  return undefined;
}
