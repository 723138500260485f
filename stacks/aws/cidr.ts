// CIDR arithmetic and checks done at synthesis, so a bad address fails before terraform runs.

import { isIPv4, isIPv6 } from "node:net";
import { badInput } from "../../src/errors.ts";

export interface Ipv4Cidr {
  readonly base: number;
  readonly prefix: number;
}

export function parseIpv4Cidr(cidr: string, keyPath: string): Ipv4Cidr {
  const [address = "", prefixText = ""] = cidr.split("/");
  const prefix = Number(prefixText);
  if (!isIPv4(address) || !/^\d{1,2}$/.test(prefixText) || prefix > 32) {
    throw badInput(`not an IPv4 CIDR: ${JSON.stringify(cidr)}`, { keyPath, hint: "write it like 10.42.0.0/16" });
  }
  const base = address.split(".").reduce((value, octet) => value * 256 + Number(octet), 0);
  if (base % 2 ** (32 - prefix) !== 0) {
    throw badInput(`${cidr} has host bits set`, {
      keyPath,
      hint: `did you mean ${formatIpv4(alignDown(base, prefix))}/${prefix}?`,
    });
  }
  return { base, prefix };
}

/** The `index`-th subnet of `cidr` that is `newBits` longer (terraform's cidrsubnet). */
export function subnetCidr(cidr: Ipv4Cidr, newBits: number, index: number): string {
  const prefix = cidr.prefix + newBits;
  if (prefix > 28)
    throw badInput(`the VPC CIDR /${cidr.prefix} is too small to split into /${prefix} subnets`, {
      keyPath: "vpc-config.cidr",
    });
  if (index >= 2 ** newBits) throw new RangeError(`subnet ${index} does not fit in ${newBits} bits`);
  return `${formatIpv4(cidr.base + index * 2 ** (32 - prefix))}/${prefix}`;
}

/**
 * A CIDR allowed to reach SSH: valid IPv4 or IPv6, and never the whole internet. Returns it
 * normalised (a bare address becomes a /32 or /128).
 */
export function sshSourceCidr(cidr: string, keyPath: string): string {
  const [address = "", prefixText] = cidr.trim().split("/");
  const family = isIPv4(address) ? 4 : isIPv6(address) ? 6 : 0;
  const maxPrefix = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? maxPrefix : Number(prefixText);
  if (family === 0 || !Number.isInteger(prefix) || prefix > maxPrefix || prefixText === "") {
    throw badInput(`not a CIDR: ${JSON.stringify(cidr)}`, { keyPath, hint: "write it like 203.0.113.7/32" });
  }
  if (prefix < 8) {
    throw badInput(`${cidr} would open SSH to a large part of the internet`, {
      keyPath,
      hint: "allow your own address (/32) or your office range, never 0.0.0.0/0",
    });
  }
  return `${address}/${prefix}`;
}

export function isIpv6Cidr(cidr: string): boolean {
  return cidr.includes(":");
}

function alignDown(base: number, prefix: number): number {
  const size = 2 ** (32 - prefix);
  return Math.floor(base / size) * size;
}

/** The dotted form of an IPv4 address held as a number. */
export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}
