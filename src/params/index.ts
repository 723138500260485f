// Parameters: what ops configure once (config/*.yml -> Consul KV) and every burst reads.
// Pick the store with storeFromEnv, then resolveParams; a stack (the VPC's) publishes with writeParams.
// Which sections exist is declared by the shared schema (./schema.ts) and each target's own
// src/targets/<name>/params.ts, listed by src/targets/names.ts.

import { ConsulStore } from "./consul-store.ts";
import { FileStore } from "./file-store.ts";
import type { Env } from "./resolve.ts";
import { LayeredStore, type ParamStore } from "./store.ts";

export { type ConsulConnection, consulConnectionFromEnv } from "./consul-http.ts";
export { ConsulStore, type KvBackend, type KvEntry, MAX_TXN_OPS } from "./consul-store.ts";
export { defaultConfigDir, FileStore } from "./file-store.ts";
export { DEFAULT_PREFIX, normalizePrefix, prefixFromEnv } from "./layout.ts";
export { maskValue } from "./mask.ts";
export { type ParamValue, type PushPlan, type PushResult, pushParams, writeParams } from "./push.ts";
export {
  CONFIG_PUSH_COMMAND,
  type Env,
  type ParamOverride,
  type ParamOverrides,
  type ResolveOptions,
  readsPublished,
  requirePublished,
  resolveParams,
} from "./resolve.ts";
export { envNameFor, isSecretParam } from "./schema.ts";
export { LayeredStore, type ParamStore, type StoredParam, type StoredParams } from "./store.ts";
export type * from "./types.ts";

export interface StoreChoice {
  /** What resolveParams reads: Consul over the config files, or the files alone. */
  readonly store: ParamStore;
  /** Present when CONSUL_HTTP_ADDR is set: the store writers (config:push, the VPC stack) use. */
  readonly consul?: ConsulStore;
  readonly files: FileStore;
}

/**
 * Consul when CONSUL_HTTP_ADDR is set (keys missing there fall back to the config files),
 * otherwise the config files alone. The files are read from `configDir`, else BURST_CONFIG_DIR,
 * else the config/ folder shipped with burst.
 */
export function storeFromEnv(
  env: Env,
  options: { readonly configDir?: string; readonly timeoutMs?: number } = {},
): StoreChoice {
  const files = new FileStore(options.configDir ?? (env.BURST_CONFIG_DIR || undefined));
  if (!env.CONSUL_HTTP_ADDR) return { store: files, files };
  const consul = ConsulStore.fromEnv(env, { timeoutMs: options.timeoutMs });
  return { store: new LayeredStore([consul, files]), consul, files };
}
