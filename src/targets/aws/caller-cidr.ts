// The address SSH to the cluster is opened to: the launching machine's public IP, never the world.

import { isIP } from "node:net";
import { sshSourceCidr } from "../../../stacks/aws/cidr.ts";
import { badInput } from "../../errors.ts";
import type { PrepareMode } from "../contract.ts";

export const callerCidrVariable = "BURST_CALLER_CIDR";

/** A documentation address (TEST-NET-1, RFC 5737) for dry runs: valid for the stack, reachable by no one. */
export const placeholderCallerCidr = "192.0.2.1/32";

/** Answers with the caller's public IPv4 address as plain text. */
export const checkIpUrl = "https://checkip.amazonaws.com";

export interface CallerCidr {
  readonly cidr: string;
  /** Where it came from, for the plan: the environment, detection, or the dry-run placeholder. */
  readonly source: "env" | "detected" | "placeholder";
}

export interface CallerCidrOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The caller's public address as a CIDR; only called when launching without BURST_CALLER_CIDR. */
  readonly detect: () => Promise<string>;
  /** aws/sshAddress: over a private address the public one says nothing of where SSH comes from. */
  readonly sshAddress?: "public" | "private";
}

/** BURST_CALLER_CIDR when set (checked), else detected at launch, else a labelled placeholder. */
export async function resolveCallerCidr(mode: PrepareMode, options: CallerCidrOptions): Promise<CallerCidr> {
  const fromEnv = options.env[callerCidrVariable]?.trim();
  if (fromEnv) return { cidr: sshSourceCidr(fromEnv, callerCidrVariable), source: "env" };
  if (mode === "plan") return { cidr: placeholderCallerCidr, source: "placeholder" };
  if (options.sshAddress === "private") {
    throw badInput("aws.sshAddress is private, and BURST_CALLER_CIDR does not say where SSH to the nodes comes from", {
      keyPath: "aws/sshAddress",
      hint: `set ${callerCidrVariable} to this machine's address as the VPC sees it (over the VPN or peering), e.g. ${callerCidrVariable}=10.8.0.5/32`,
    });
  }
  return { cidr: await options.detect(), source: "detected" };
}

/** Asks checkip.amazonaws.com (or `url`) who we are; a clear bad-input error says how to skip it. */
export async function detectPublicIp(url = checkIpUrl, timeoutMs = 5000): Promise<string> {
  let answer: string;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    answer = (await response.text()).trim();
  } catch (error) {
    throw cannotDetect(`asking ${url} failed: ${describe(error, timeoutMs)}`, error);
  }
  const family = isIP(answer);
  if (family === 0) throw cannotDetect(`${url} answered ${JSON.stringify(answer.slice(0, 60))}, not an IP address`);
  return `${answer}/${family === 4 ? 32 : 128}`;
}

function cannotDetect(why: string, cause?: unknown) {
  return badInput(`could not detect this machine's public IP address, which SSH to the cluster is limited to: ${why}`, {
    hint: `set ${callerCidrVariable} to the address the cluster will see you coming from, e.g. ${callerCidrVariable}=203.0.113.7/32`,
    cause,
  });
}

function describe(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === "TimeoutError") return `no answer within ${timeoutMs / 1000} s`;
  if (error instanceof Error)
    return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
  return String(error);
}
