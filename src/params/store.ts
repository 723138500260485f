// The parameter store contract: one flat key/value view of a prefix, every value a string
// (lists as JSON), every value saying where it was read. Consul and config files both fulfil it.

import type { SourceLocation } from "../errors.ts";

export type StoreSource = "consul" | "file";

export interface StoredParam {
  readonly value: string;
  readonly source: StoreSource;
  /** "consul:burst/aws/region" or "config/aws.yml:3". */
  readonly where: string;
  /** File position, for values read from config files. */
  readonly location?: SourceLocation;
}

/** Keys relative to the prefix ("aws/region"). */
export type StoredParams = ReadonlyMap<string, StoredParam>;

export interface ParamStore {
  /** Names the store in messages: "Consul at http://127.0.0.1:8500", "config files in config/". */
  readonly description: string;
  /** Every parameter under `prefix` (e.g. "burst/"), keyed relative to it. */
  read(prefix: string): Promise<StoredParams>;
}

/** Reads several stores; for a key present in more than one, the earlier store wins. */
export class LayeredStore implements ParamStore {
  readonly description: string;

  constructor(private readonly layers: readonly ParamStore[]) {
    this.description = layers.map((layer) => layer.description).join(" over ");
  }

  async read(prefix: string): Promise<StoredParams> {
    const results = await Promise.all(this.layers.map((layer) => layer.read(prefix)));
    const merged = new Map<string, StoredParam>();
    for (const layer of results.reverse()) for (const [key, param] of layer) merged.set(key, param);
    return merged;
  }
}
