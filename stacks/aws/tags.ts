// The tags every AWS resource of a run carries: the sweeper finds leftovers by burst:run-id,
// and people find who started a cluster (and until when it may live) by the others.
// Plain TS (no CDKTF), so the sweeper and the engine can share the keys.

import type { RunIdentity } from "../contract.ts";

export const tagKeys = {
  runId: "burst:run-id",
  name: "burst:name",
  owner: "burst:owner",
  commit: "burst:commit",
  expiresAt: "burst:expires-at",
  role: "burst:role",
  /** On the long-lived VPC stack's resources only: they carry no run id, so no sweeper deletes them. */
  vpc: "burst:vpc",
} as const;

/** Tags of one run: the spec's own tags, then burst's (which win on a clash). */
export function runTags(run: RunIdentity, specTags: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    ...specTags,
    [tagKeys.runId]: run.runId,
    [tagKeys.name]: run.name,
    [tagKeys.owner]: run.owner,
    [tagKeys.commit]: run.commit ?? "unknown",
    [tagKeys.expiresAt]: run.expiresAt,
  };
}

/** Required on every taggable resource of a run. */
export const requiredRunTagKeys = [
  tagKeys.runId,
  tagKeys.name,
  tagKeys.owner,
  tagKeys.commit,
  tagKeys.expiresAt,
] as const;
