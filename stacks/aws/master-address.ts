// The master's private address: a function of the run id, an attempt number and its subnet's
// CIDR. The stack asks terraform for it (stacks/aws/cluster/spark-master.ts, from the subnet data
// source); the CLI computes the same address before apply to skip one that is already held
// (src/targets/aws/master-address.ts). Plain TS, no CDKTF: the CLI imports it at run time.

import { createHash } from "node:crypto";
import { formatIpv4, parseIpv4Cidr } from "./cidr.ts";

/** Addresses tried before giving up: with a few dozen instances in a /20, one retry is rare. */
export const maxAddressAttempts = 3;

/** What the address is a function of: the run, and which try this is. */
export function masterAddressSeed(runId: string, attempt: number): string {
  return `${runId}#${attempt}`;
}

/** A stable number from the seed, small enough for terraform's arithmetic to stay exact. */
export function addressNumber(seed: string): number {
  return Number.parseInt(createHash("sha256").update(seed).digest("hex").slice(0, 8), 16);
}

/**
 * `cidrhost(cidr, 4 + addressNumber(seed) mod (size - 5))`, as the stack's terraform expression:
 * hosts 4 .. size-2 of a VPC subnet are usable (AWS keeps the first four and the last).
 */
export function masterAddressIn(cidr: string, seed: string): string {
  const { base, prefix } = parseIpv4Cidr(cidr, "the subnet's CIDR");
  if (prefix < 16 || prefix > 28) throw new Error(`not a VPC subnet's CIDR (/16 to /28): ${cidr}`);
  const size = 2 ** (32 - prefix);
  return formatIpv4(base + 4 + (addressNumber(seed) % (size - 5)));
}
