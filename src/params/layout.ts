// Key layout: a config file's nested maps become key paths under the prefix
// (aws: {region: x} -> burst/aws/region = "x"); lists and empty maps are stored as JSON,
// scalars as their text.

import { isMap, isScalar, isSeq, type LineCounter, type Node } from "yaml";
import { badInput, type SourceLocation } from "../errors.ts";

export const DEFAULT_PREFIX = "burst/";

export interface FlatEntry {
  /** Relative to the prefix: "aws/region". */
  readonly key: string;
  readonly value: string;
  readonly location: SourceLocation;
}

/** "burst" and "burst/" both mean the folder burst/; "" means the whole KV store. */
export function normalizePrefix(prefix: string): string {
  const trimmed = prefix.trim().replace(/^\/+/, "");
  if (trimmed === "") return "";
  if (/\/\/|\s/.test(trimmed)) {
    throw badInput(`prefix ${JSON.stringify(prefix)} is not a Consul key prefix like "burst/"`, {
      hint: "pass --prefix burst/ or set BURST_CONSUL_PREFIX",
    });
  }
  return trimmed.endsWith("/") ? trimmed : `${trimmed}/`;
}

/** The prefix from the environment (BURST_CONSUL_PREFIX) or the default "burst/". */
export function prefixFromEnv(env: Readonly<Record<string, string | undefined>>): string {
  const fromEnv = env.BURST_CONSUL_PREFIX;
  return normalizePrefix(fromEnv !== undefined && fromEnv !== "" ? fromEnv : DEFAULT_PREFIX);
}

/** Flattens one parsed YAML document; `file` is the display path used in locations. */
export function flattenDocument(root: unknown, lines: LineCounter, file: string): FlatEntry[] {
  if (root === null || root === undefined) return [];
  if (!isMap(root)) {
    throw badInput("a config file must be a map of sections (defaults:, ...)", {
      location: at(root, lines, file),
    });
  }
  const entries: FlatEntry[] = [];
  const walk = (node: unknown, path: readonly string[], keyNode: unknown): void => {
    const location = at(keyNode ?? node, lines, file);
    const key = path.join("/");
    if (isMap(node)) {
      if (node.items.length === 0) {
        if (path.length >= 2) entries.push({ key, value: "{}", location });
        return;
      }
      for (const pair of node.items) {
        const name = isScalar(pair.key) ? pair.key.value : undefined;
        if (typeof name !== "string" || name === "" || name.includes("/")) {
          throw badInput(`map keys must be non-empty names without "/", got ${JSON.stringify(name ?? null)}`, {
            location: at(pair.key, lines, file),
            keyPath: key || undefined,
          });
        }
        walk(pair.value, [...path, name], pair.key);
      }
      return;
    }
    if (path.length === 1 && isEmpty(node)) return;
    if (path.length < 2) {
      throw badInput("a top-level section must be a map of parameters", { location, keyPath: key });
    }
    if (isSeq(node)) entries.push({ key, value: JSON.stringify(node.toJSON()), location });
    else if (isScalar(node) || node === null) entries.push({ key, value: scalarText(node), location });
    else throw badInput("unsupported YAML value (aliases and tags are not supported)", { location, keyPath: key });
  };
  walk(root, [], undefined);
  return entries;
}

const isEmpty = (node: unknown): boolean =>
  node === null || node === undefined || (isScalar(node) && node.value === null);

// Plain numbers keep their written form: "spark: 3.10" must not become "3.1".
function scalarText(node: { value: unknown; source?: string } | null): string {
  if (node === null || node.value === null || node.value === undefined) return "";
  if (typeof node.value === "number" && node.source !== undefined) return node.source;
  return String(node.value);
}

function at(node: unknown, lines: LineCounter, file: string): SourceLocation {
  const range = (node as Node | null | undefined)?.range;
  if (!range) return { file };
  const position = lines.linePos(range[0]);
  return { file, line: position.line, column: position.col };
}
