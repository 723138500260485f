// Publishing parameters to Consul: plan a diff against what is there, then apply it in
// check-and-set transactions of at most 64 operations. A key changed by someone else between
// our read and our write makes the transaction fail as a whole; we re-read, re-plan and retry,
// so every write is computed from the state it replaces.

import { badInput, infraError } from "../errors.ts";
import { didYouMean } from "../runspec/suggest.ts";
import { retry } from "../util/retry.ts";
import type { KvBackend, KvEntry, KvOperation } from "./consul-store.ts";
import { MAX_TXN_OPS } from "./consul-store.ts";
import { DEFAULT_PREFIX, normalizePrefix } from "./layout.ts";
import { knownKeys, leafForKey, publishedFolderOf } from "./schema.ts";

export type ChangeKind = "add" | "change" | "remove";

export interface ParamChange {
  readonly kind: ChangeKind;
  /** Relative to the prefix. */
  readonly key: string;
  readonly before?: string;
  readonly after?: string;
}

export interface PushPlan {
  readonly changes: readonly ParamChange[];
  /** In Consul, not in the desired set, left alone without --prune (which would remove them). */
  readonly kept: readonly string[];
  /** In Consul, not in the desired set, owned by the VPC stack or an operator: never pruned. */
  readonly protected: readonly string[];
  readonly unchanged: number;
}

export interface PushOptions {
  /** Remove keys under the prefix that are not desired (except protected ones, see isProtectedKey). */
  readonly prune: boolean;
  readonly dryRun: boolean;
  /** Attempts before giving up when concurrent writers keep invalidating the plan. Default 5. */
  readonly maxAttempts?: number;
  /** Called with each plan before it is applied: attempt 1, then once per retry after a conflict. */
  readonly onPlan?: (plan: PushPlan, attempt: number) => void | Promise<void>;
  /** Called when a transaction failed its check-and-set, with the keys someone else changed. */
  readonly onConflict?: (staleKeys: readonly string[], attempt: number) => void;
}

export interface PushResult {
  /** The plan that was applied (or would be, with dryRun). */
  readonly plan: PushPlan;
  readonly applied: boolean;
  readonly attempts: number;
  readonly transactions: number;
}

// Consul's default txn_max_req_len is 512 KiB; stay well below it whatever the values' sizes.
const MAX_TXN_BYTES = 256 * 1024;

/**
 * Keys `--prune` never removes unless the desired set owns them: what a stack publishes
 * (vpc/<name>/...; owned when the files declare that vpc/<name>/) and operator-set secrets.
 */
export function isProtectedKey(key: string, desired: ReadonlyMap<string, string>): boolean {
  const folder = publishedFolderOf(key);
  if (folder) return ![...desired.keys()].some((wanted) => wanted.startsWith(folder));
  const owner = leafForKey(key)?.owner;
  return owner === "operator" && !desired.has(key);
}

export function planPush(
  current: ReadonlyMap<string, string>,
  desired: ReadonlyMap<string, string>,
  prune: boolean,
): PushPlan {
  const changes: ParamChange[] = [];
  const kept: string[] = [];
  const guarded: string[] = [];
  let unchanged = 0;
  for (const [key, after] of [...desired].sort(byKey)) {
    const before = current.get(key);
    if (before === undefined) changes.push({ kind: "add", key, after });
    else if (before !== after) changes.push({ kind: "change", key, before, after });
    else unchanged++;
  }
  for (const [key, before] of [...current].sort(byKey)) {
    if (desired.has(key)) continue;
    if (isProtectedKey(key, desired)) guarded.push(key);
    else if (prune) changes.push({ kind: "remove", key, before });
    else kept.push(key);
  }
  return { changes, kept, protected: guarded, unchanged };
}

/** Makes Consul hold `desired` under `prefix` (plus kept keys); see PushOptions. */
export async function pushParams(
  backend: KvBackend,
  prefix: string,
  desired: ReadonlyMap<string, string>,
  options: PushOptions,
): Promise<PushResult> {
  const maxAttempts = options.maxAttempts ?? 5;
  let transactions = 0;
  return retry(
    async (attempt): Promise<PushResult> => {
      const current = await backend.readIndexed(prefix);
      const plan = planPush(valuesOf(current), desired, options.prune);
      await options.onPlan?.(plan, attempt);
      if (options.dryRun || plan.changes.length === 0) return { plan, applied: false, attempts: attempt, transactions };

      let staleKeys: readonly string[] = [];
      for (const batch of batches(plan.changes.map((change) => operationFor(change, current)))) {
        transactions++;
        const outcome = await backend.transact(prefix, batch);
        if (!outcome.ok) {
          staleKeys = outcome.staleKeys;
          break;
        }
      }
      // Batches are atomic one by one; a writer interleaving between them shows up on re-read.
      if (staleKeys.length === 0) staleKeys = driftedKeys(await backend.readIndexed(prefix), desired, plan);
      if (staleKeys.length === 0) return { plan, applied: true, attempts: attempt, transactions };
      options.onConflict?.(staleKeys, attempt);
      throw conflict;
    },
    {
      what: `push the keys under ${prefix}`,
      attempts: maxAttempts,
      // Random, growing pauses: two racing pushes stop retrying in lockstep and one finishes first.
      firstDelayMs: 500,
      maxDelayMs: 2000,
      jitter: 0.7,
      // Only a conflict is worth re-planning; Consul being unreachable is reported as it is.
      retryable: (error) => error === conflict,
      giveUp: () =>
        infraError(
          `Consul keys under ${prefix} kept changing during the push (${maxAttempts} attempts): another push or writer is running`,
          { hint: "wait for the other writer to finish, then re-run the push and review its diff" },
        ),
    },
  );
}

/** What an attempt throws when another writer got in between its read and its write. */
const conflict = new Error("the keys changed during the push");

/** A value for writeParams: lists are stored as JSON, the rest as text. */
export type ParamValue = string | number | boolean | readonly string[];

/**
 * Publishes a few parameters (e.g. the VPC stack's outputs) without touching other keys.
 * Each key must be one burst knows and each value valid for it.
 */
export async function writeParams(
  backend: KvBackend,
  entries: Readonly<Record<string, ParamValue>>,
  options: { readonly prefix?: string; readonly maxAttempts?: number } = {},
): Promise<PushResult> {
  const prefix = normalizePrefix(options.prefix ?? DEFAULT_PREFIX);
  const desired = new Map<string, string>();
  for (const [key, value] of Object.entries(entries)) {
    const leaf = leafForKey(key);
    if (!leaf) throw unknownKeyError(key, `writeParams(${backend.description})`);
    const decoded = leaf.codec.decode(value);
    if (!decoded.ok) throw badInput(`${decoded.problem}`, { keyPath: key });
    desired.set(key, leaf.codec.encode(decoded.value));
  }
  return pushParams(backend, prefix, desired, { prune: false, dryRun: false, maxAttempts: options.maxAttempts });
}

export function unknownKeyError(key: string, where: string, location?: { file: string; line?: number }) {
  const suggestion = didYouMean(key, knownKeys());
  return badInput(`unknown parameter ${key}${suggestion ? `: ${suggestion}` : ""}`, {
    keyPath: key,
    location,
    hint: `known keys are listed in docs/parameters.md (read from ${where})`,
  });
}

function operationFor(change: ParamChange, current: ReadonlyMap<string, KvEntry>): KvOperation {
  const index = current.get(change.key)?.modifyIndex ?? 0;
  return change.kind === "remove"
    ? { verb: "delete-cas", key: change.key, index }
    : { verb: "cas", key: change.key, value: change.after ?? "", index };
}

function* batches(operations: readonly KvOperation[]): Generator<KvOperation[]> {
  let batch: KvOperation[] = [];
  let bytes = 0;
  for (const operation of operations) {
    const size = operation.key.length + (operation.verb === "cas" ? Buffer.byteLength(operation.value) * 2 : 0) + 100;
    if (batch.length > 0 && (batch.length === MAX_TXN_OPS || bytes + size > MAX_TXN_BYTES)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(operation);
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}

/** Keys that no longer hold what the plan wrote: a concurrent writer got in between batches. */
function driftedKeys(
  after: ReadonlyMap<string, KvEntry>,
  desired: ReadonlyMap<string, string>,
  plan: PushPlan,
): string[] {
  const drifted = [...desired].filter(([key, value]) => after.get(key)?.value !== value).map(([key]) => key);
  const resurrected = plan.changes
    .filter((change) => change.kind === "remove" && after.has(change.key))
    .map((change) => change.key);
  return [...drifted, ...resurrected];
}

const valuesOf = (entries: ReadonlyMap<string, KvEntry>): Map<string, string> =>
  new Map([...entries].map(([key, entry]) => [key, entry.value]));

const byKey = <T>(a: readonly [string, T], b: readonly [string, T]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
