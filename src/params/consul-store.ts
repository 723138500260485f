// Consul KV as the parameter store: a recursive read of the prefix, and writes as check-and-set
// transactions (/v1/txn) so that nothing written concurrently is silently overwritten.

import { infraError } from "../errors.ts";
import { type ConsulConnection, type ConsulResponse, consulConnectionFromEnv, consulRequest } from "./consul-http.ts";
import type { ParamStore, StoredParam, StoredParams } from "./store.ts";

/** Consul refuses transactions with more operations than this. */
export const MAX_TXN_OPS = 64;

export interface KvEntry {
  readonly value: string;
  /** Consul's ModifyIndex: the check-and-set token for this key. */
  readonly modifyIndex: number;
}

/** A transaction operation on a key relative to the prefix. Index 0 with "cas" means "only if absent". */
export type KvOperation =
  | { readonly verb: "cas"; readonly key: string; readonly value: string; readonly index: number }
  | { readonly verb: "delete-cas"; readonly key: string; readonly index: number };

export type TxnOutcome = { readonly ok: true } | { readonly ok: false; readonly staleKeys: readonly string[] };

/** What a writer of parameters needs: indexed reads and check-and-set transactions. */
export interface KvBackend {
  readonly description: string;
  readIndexed(prefix: string): Promise<ReadonlyMap<string, KvEntry>>;
  /** Applies all operations or none; a stale index is an outcome, not an exception. */
  transact(prefix: string, operations: readonly KvOperation[]): Promise<TxnOutcome>;
}

interface RawKvPair {
  readonly Key: string;
  readonly Value: string | null;
  readonly ModifyIndex: number;
}

interface RawTxnError {
  readonly OpIndex: number;
  readonly What: string;
}

const policyHint = (prefix: string, access: "read" | "list" | "write") =>
  `the token needs: key_prefix "${prefix}" { policy = "${access}" } (see docs/parameters.md)`;

export class ConsulStore implements ParamStore, KvBackend {
  readonly description: string;

  constructor(readonly connection: ConsulConnection) {
    this.description = `Consul at ${connection.address}`;
  }

  static fromEnv(
    env: Readonly<Record<string, string | undefined>>,
    options: { readonly timeoutMs?: number } = {},
  ): ConsulStore {
    return new ConsulStore(consulConnectionFromEnv(env, options));
  }

  async read(prefix: string): Promise<StoredParams> {
    const params = new Map<string, StoredParam>();
    for (const [key, entry] of await this.readIndexed(prefix)) {
      params.set(key, { value: entry.value, source: "consul", where: `consul:${prefix}${key}` });
    }
    return params;
  }

  async readIndexed(prefix: string): Promise<ReadonlyMap<string, KvEntry>> {
    const response = await consulRequest(this.connection, {
      method: "GET",
      path: `/kv/${encodeKey(prefix)}`,
      query: { recurse: "true" },
    });
    if (response.status === 404) {
      this.refuseAclFilteredEmptiness(prefix, response);
      return new Map();
    }
    this.refuseFailure(prefix, response, "read");
    const pairs = parseJson<RawKvPair[]>(response, "the KV listing");
    this.refuseAclFilteredEmptiness(prefix, response, pairs.length);
    const entries = new Map<string, KvEntry>();
    for (const pair of pairs) {
      // Folder markers ("burst/" itself, "burst/aws/") carry no parameter.
      if (!pair.Key.startsWith(prefix) || pair.Key.endsWith("/")) continue;
      const value = pair.Value === null ? "" : Buffer.from(pair.Value, "base64").toString("utf8");
      entries.set(pair.Key.slice(prefix.length), { value, modifyIndex: pair.ModifyIndex });
    }
    return entries;
  }

  async transact(prefix: string, operations: readonly KvOperation[]): Promise<TxnOutcome> {
    if (operations.length === 0) return { ok: true };
    if (operations.length > MAX_TXN_OPS) {
      throw new RangeError(`a Consul transaction holds at most ${MAX_TXN_OPS} operations, got ${operations.length}`);
    }
    const body = operations.map((operation) => ({
      KV:
        operation.verb === "cas"
          ? {
              Verb: "cas",
              Key: prefix + operation.key,
              Value: Buffer.from(operation.value).toString("base64"),
              Index: operation.index,
            }
          : { Verb: "delete-cas", Key: prefix + operation.key, Index: operation.index },
    }));
    const response = await consulRequest(this.connection, { method: "PUT", path: "/txn", body });
    if (response.status === 200) return { ok: true };
    if (response.status === 409) {
      const errors = parseJson<{ Errors?: RawTxnError[] | null }>(response, "the transaction result").Errors ?? [];
      const denied = errors.find((error) => /permission denied|ACL not found/i.test(error.What));
      if (denied) throw this.permissionError(prefix, "write", denied.What);
      const stale = errors.filter((error) => /index is stale|failed to (set|delete) key/i.test(error.What));
      if (stale.length > 0 && stale.length === errors.length) {
        return {
          ok: false,
          staleKeys: stale.map((error) => operations[error.OpIndex]?.key ?? `operation ${error.OpIndex}`),
        };
      }
      throw infraError(`Consul rejected the transaction: ${errors.map((error) => error.What).join("; ")}`);
    }
    this.refuseFailure(prefix, response, "write");
    throw infraError(`Consul answered ${response.status} to a transaction: ${response.body.trim()}`);
  }

  private refuseFailure(prefix: string, response: ConsulResponse, access: "read" | "write"): void {
    if (response.status >= 200 && response.status < 300) return;
    if (response.status === 403) throw this.permissionError(prefix, access, response.body.trim());
    throw infraError(
      `Consul at ${this.connection.address} answered ${response.status}: ${response.body.trim() || "(no body)"}`,
      {
        hint:
          response.status >= 500
            ? "the Consul cluster may have no leader yet; retry, or check `consul operator raft list-peers`"
            : undefined,
      },
    );
  }

  // With ACLs, Consul hides keys a token may not read instead of refusing: an empty answer is
  // then a permission problem, not an empty prefix, and must not fall back to defaults silently.
  private refuseAclFilteredEmptiness(prefix: string, response: ConsulResponse, count = 0): void {
    if (response.headers["x-consul-results-filtered-by-acls"] === "true") {
      throw this.permissionError(prefix, "read", "Consul hid keys under the prefix from this token");
    }
    if (count === 0 && !this.connection.token && response.headers["x-consul-default-acl-policy"] === "deny") {
      throw infraError(
        `Consul at ${this.connection.address} enforces ACLs (default deny) and no token is set: nothing under ${prefix} is readable`,
        { hint: `set CONSUL_HTTP_TOKEN (or CONSUL_HTTP_TOKEN_FILE); ${policyHint(prefix, "read")}` },
      );
    }
  }

  private permissionError(prefix: string, access: "read" | "write", detail: string) {
    const from = this.connection.tokenSource ?? "no token set";
    if (/ACL not found/i.test(detail)) {
      return infraError(`Consul at ${this.connection.address} does not know the token (${from}): ACL not found`, {
        hint: "the token was deleted, expired or is mistyped; get a valid one from your Consul operator",
      });
    }
    // Servers with acl.enable_key_list_policy want "list" for recursive reads.
    const needed = /key:list/.test(detail) ? "list" : access;
    return infraError(
      `the token lacks permission on the prefix ${prefix} (${access} denied; token from ${from}): ${detail}`,
      {
        hint: this.connection.token
          ? policyHint(prefix, needed)
          : `set CONSUL_HTTP_TOKEN; ${policyHint(prefix, needed)}`,
      },
    );
  }
}

/** Keys go into the URL path segment by segment, so "/" keeps its meaning. */
const encodeKey = (key: string): string => key.split("/").map(encodeURIComponent).join("/");

function parseJson<T>(response: ConsulResponse, what: string): T {
  try {
    return JSON.parse(response.body) as T;
  } catch (cause) {
    throw infraError(`Consul sent ${what} in a form burst cannot read (status ${response.status})`, { cause });
  }
}
