// A small declarative schema language for YAML documents. A field knows its type, whether it
// is required or defaulted, its description and example (for the reference doc) and its checks.
// Decoding walks the YAML AST, so every problem points at a line and column.

import { isMap, isScalar, isSeq, type Node, type Pair } from "yaml";
import type { SpecDefaults } from "../params/types.ts";
import {
  type Check,
  type Cursor,
  type DecodeEnv,
  type Field,
  type FieldDoc,
  type FieldKind,
  INVALID,
  type Invalid,
} from "./decoder.ts";
import { didYouMean } from "./suggest.ts";

/** A default ops set centrally (burst/defaults/<key>); the phantom type keeps it honest. */
export interface OpsDefault<T> {
  readonly opsDefault: keyof SpecDefaults;
  readonly phantom?: T;
}

export const opsDefault = <K extends keyof SpecDefaults>(key: K): OpsDefault<SpecDefaults[K]> => ({ opsDefault: key });

interface Documented {
  readonly description: string;
  /** The value as written in YAML, e.g. "m5.xlarge" or "[a, b]". */
  readonly example?: string;
}

interface ScalarOptions<T> extends Documented {
  readonly required?: boolean;
  readonly default?: T | OpsDefault<T>;
  readonly checks?: readonly Check<T>[];
  /** Shown when the value has the wrong YAML type. */
  readonly typeHint?: string;
  /** Canonical form of a valid value (resolved path, s3a:// -> s3://). */
  readonly normalise?: (value: T, env: DecodeEnv) => T;
}

/** A required or defaulted field always has a value; any other may be undefined. */
type Out<T, O> = O extends { readonly required: true }
  ? T
  : O extends { readonly default: unknown }
    ? T
    : T | undefined;

const isOpsDefault = <T>(value: T | OpsDefault<T>): value is OpsDefault<T> =>
  typeof value === "object" && value !== null && "opsDefault" in value;

function renderDefault<T>(value: T | OpsDefault<T> | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (isOpsDefault(value)) return `ops default \`defaults.${value.opsDefault}\``;
  return `\`${typeof value === "string" && value === "" ? '""' : String(value)}\``;
}

interface ScalarKind<T> {
  readonly kind: FieldKind;
  readonly type: string;
  readonly constraints?: readonly string[];
  /** Reads the node as T, or reports a type problem. */
  readonly read: (node: Node, at: Cursor) => T | Invalid;
}

function scalarField<T, O extends ScalarOptions<T>>(options: O, kind: ScalarKind<T>): Field<Out<T, O>> {
  const checks = options.checks ?? [];
  const doc: FieldDoc = {
    kind: kind.kind,
    type: kind.type,
    description: options.description,
    example: options.example,
    required: options.required === true,
    defaultText: renderDefault(options.default),
    constraints: [...(kind.constraints ?? []), ...checks.map((c) => c.doc)],
  };
  const decode = (node: Node, at: Cursor): T | Invalid => {
    const value = kind.read(node, at);
    if (value === INVALID) return INVALID;
    for (const check of checks) {
      const problem = check.test(value, at.env);
      if (problem) return at.fail(problem);
    }
    return options.normalise ? options.normalise(value, at.env) : value;
  };
  const absent = (at: Cursor): T | undefined | Invalid => {
    if (options.required) return at.missing(doc);
    const fallback = options.default;
    if (fallback === undefined) return undefined;
    // The phantom type of OpsDefault<T> guarantees defaults[key] is a T.
    return isOpsDefault(fallback) ? (at.env.defaults[fallback.opsDefault] as T) : fallback;
  };
  // Out<T, O> is T or T | undefined; absent() returns undefined only when O allows it.
  return { doc, decode, absent } as Field<Out<T, O>>;
}

const scalarValue = (node: Node): unknown => (isScalar(node) ? node.value : undefined);

interface StringOptions extends ScalarOptions<string> {
  /** Take numbers and booleans as the text written (0123 stays "0123"). */
  readonly acceptScalars?: boolean;
  readonly allowEmpty?: boolean;
}

export function string<const O extends StringOptions>(options: O): Field<Out<string, O>> {
  return scalarField<string, O>(options, {
    kind: "string",
    type: "string",
    read: (node, at) => readString(node, at, options),
  });
}

type StringReading = Pick<StringOptions, "acceptScalars" | "allowEmpty" | "typeHint">;

function readString(node: Node, at: Cursor, options: StringReading): string | Invalid {
  const value = scalarValue(node);
  if (typeof value === "string") {
    const empty = value.trim() === "" && !options.allowEmpty;
    return empty ? at.fail({ expected: "a non-empty string", hint: options.typeHint }) : value;
  }
  const scalarText = isScalar(node) && (typeof value === "number" || typeof value === "boolean");
  if (options.acceptScalars && scalarText) return node.source ?? String(value);
  return at.fail({ expected: "string", hint: options.typeHint });
}

export function oneOf<const V extends readonly string[], const O extends ScalarOptions<V[number]>>(
  values: V,
  options: O,
): Field<Out<V[number], O>> {
  const allowed = values.join(", ");
  const isAllowed = (value: unknown): value is V[number] => typeof value === "string" && values.includes(value);
  return scalarField<V[number], O>(options, {
    kind: "enum",
    type: `one of ${allowed}`,
    read: (node, at) => {
      const value = scalarValue(node);
      if (isAllowed(value)) return value;
      const hint = typeof value === "string" ? didYouMean(value, values) : undefined;
      return at.fail({ expected: `one of ${allowed}`, hint: hint ?? options.typeHint });
    },
  });
}

interface IntegerOptions extends ScalarOptions<number> {
  readonly min: number;
  readonly max: number;
  /** Why the range is what it is, shown when a value falls outside it. */
  readonly rangeHint?: string;
}

/** The number as written (1.10 stays 1.10), for messages. */
const writtenNumber = (node: Node, value: number): string =>
  isScalar(node) ? (node.source ?? String(value)) : String(value);

/** "3" is a number in quotes: say so rather than just "expected integer". */
const quotedNumberHint = (value: unknown, fallback: string | undefined): string | undefined =>
  typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value.trim()) ? "remove the quotes around the number" : fallback;

export function integer<const O extends IntegerOptions>(options: O): Field<Out<number, O>> {
  const range = `an integer from ${options.min} to ${options.max}`;
  return scalarField<number, O>(options, {
    kind: "integer",
    type: "integer",
    constraints: [`${options.min} to ${options.max}`],
    read: (node, at) => {
      const value = scalarValue(node);
      if (typeof value !== "number" || !Number.isInteger(value)) {
        return at.fail({ expected: "integer", hint: quotedNumberHint(value, options.typeHint) });
      }
      if (value < options.min || value > options.max) {
        return at.fail({ expected: range, found: writtenNumber(node, value), hint: options.rangeHint });
      }
      return value;
    },
  });
}

/** A number strictly greater than zero (prices, budgets). */
export function positiveNumber<const O extends ScalarOptions<number>>(options: O): Field<Out<number, O>> {
  return scalarField<number, O>(options, {
    kind: "number",
    type: "number",
    constraints: ["greater than 0"],
    read: (node, at) => {
      const value = scalarValue(node);
      if (typeof value !== "number" || !Number.isFinite(value)) {
        return at.fail({ expected: "a positive number", hint: quotedNumberHint(value, options.typeHint) });
      }
      return value > 0 ? value : at.fail({ expected: "a positive number", found: writtenNumber(node, value) });
    },
  });
}

const YAML11_BOOLEANS = /^(yes|no|on|off|y|n)$/i;

export function boolean<const O extends ScalarOptions<boolean>>(options: O): Field<Out<boolean, O>> {
  return scalarField<boolean, O>(options, {
    kind: "boolean",
    type: "boolean",
    read: (node, at) => {
      const value = scalarValue(node);
      if (typeof value === "boolean") return value;
      const yaml11 = typeof value === "string" && YAML11_BOOLEANS.test(value);
      const hint = yaml11 ? "YAML 1.2 reads yes/no/on/off as strings; write true or false" : options.typeHint;
      return at.fail({ expected: "boolean (true or false)", hint });
    },
  });
}

interface ListOptions<T> extends Documented {
  readonly typeHint?: string;
  readonly checks?: readonly Check<readonly T[]>[];
  /** The value when absent; empty unless given. */
  readonly default?: readonly T[];
}

/** A list; absent means empty (or the default). Items are never absent: a null item is reported. */
export function list<T>(item: Field<T>, options: ListOptions<Exclude<T, undefined>>): Field<Exclude<T, undefined>[]> {
  const checks = options.checks ?? [];
  const fallback = options.default ?? [];
  const doc: FieldDoc = {
    kind: "list",
    type: `list of ${item.doc.kind === "object" ? "mappings" : item.doc.type}`,
    description: options.description,
    example: options.example,
    required: false,
    defaultText: `\`[${fallback.join(", ")}]\``,
    constraints: [
      ...(item.doc.fields ? [] : item.doc.constraints.map((c) => `each item: ${c}`)),
      ...checks.map((c) => c.doc),
    ],
    item: item.doc,
  };
  const decode = (node: Node, at: Cursor): Exclude<T, undefined>[] | Invalid => {
    const seq = at.session.deref(node);
    if (!isSeq(seq)) return at.fail({ expected: "a list", hint: options.typeHint }, seq);
    const items = seq.items.map((raw, index) => decodeItem(item, raw, at, index));
    if (items.some((value) => value === INVALID)) return INVALID;
    // decode() of a present, non-null node never yields undefined.
    const values = items as Exclude<T, undefined>[];
    for (const check of checks) {
      const problem = check.test(values, at.env);
      if (problem) return at.fail(problem);
    }
    return values;
  };
  return { doc, decode, absent: () => [...fallback] };
}

function decodeItem<T>(item: Field<T>, raw: unknown, at: Cursor, index: number): T | Invalid {
  const node = raw as Node;
  const child = at.child(index, undefined, node);
  const target = at.session.deref(node);
  if (isScalar(target) && target.value === null) {
    return child.fail({ expected: item.doc.kind === "object" ? "a mapping" : item.doc.type });
  }
  const value = item.decode(target, child);
  if (value !== INVALID) child.record(value);
  return value;
}

interface MapOptions extends Documented {
  readonly keyChecks?: readonly Check<string>[];
  readonly valueChecks?: readonly Check<string>[];
  readonly typeHint?: string;
}

/** A string -> string mapping; scalar values are taken as written, absent means empty. */
export function stringMap(options: MapOptions): Field<Record<string, string>> {
  const keyChecks = options.keyChecks ?? [];
  const valueChecks = options.valueChecks ?? [];
  const doc: FieldDoc = {
    kind: "map",
    type: "mapping of string to string",
    description: options.description,
    example: options.example,
    required: false,
    defaultText: "`{}`",
    constraints: [
      ...keyChecks.map((c) => `keys: ${c.doc}`),
      ...valueChecks.map((c) => `values: ${c.doc}`),
      "values: numbers and booleans are taken as written; lists and mappings are rejected",
    ],
  };
  const decode = (node: Node, at: Cursor): Record<string, string> | Invalid => {
    const map = at.session.deref(node);
    if (!isMap(map)) return at.fail({ expected: "a mapping of names to values", hint: options.typeHint }, map);
    const entries = (map.items as Pair<Node, Node | null>[]).map((pair) =>
      decodeMapEntry(pair, at, keyChecks, valueChecks),
    );
    const valid = entries.filter((entry): entry is [string, string] => entry !== INVALID);
    // fromEntries defines own properties, so a key like __proto__ stays plain data.
    return valid.length === entries.length ? Object.fromEntries(valid) : INVALID;
  };
  return { doc, decode, absent: () => ({}) };
}

function decodeMapEntry(
  pair: Pair<Node, Node | null>,
  at: Cursor,
  keyChecks: readonly Check<string>[],
  valueChecks: readonly Check<string>[],
): [string, string] | Invalid {
  const key = keyText(pair.key, at);
  if (key === INVALID) return INVALID;
  const child = at.child(key, pair.key, pair.value ?? undefined);
  for (const check of keyChecks) {
    const problem = check.test(key, at.env);
    if (problem) {
      child.report({ found: `key ${JSON.stringify(key)}`, ...problem }, pair.key);
      return INVALID;
    }
  }
  const valueNode = pair.value ? at.session.deref(pair.value) : undefined;
  if (!valueNode || (isScalar(valueNode) && valueNode.value === null)) {
    return child.fail({ expected: "string", hint: 'write "" for an empty value' });
  }
  const value = readString(valueNode, child, { acceptScalars: true, allowEmpty: true });
  if (value === INVALID) return INVALID;
  for (const check of valueChecks) {
    const problem = check.test(value, at.env);
    if (problem) return child.fail(problem);
  }
  child.record(value);
  return [key, value];
}

function keyText(keyNode: Node, at: Cursor): string | Invalid {
  const key = at.session.deref(keyNode);
  const value = scalarValue(key);
  if (typeof value === "string") return value;
  if (isScalar(key) && (typeof value === "number" || typeof value === "boolean")) return key.source ?? String(value);
  return at.fail({ expected: "a key name", hint: "keys are plain words, e.g. workers:" }, key);
}

type Shape = Readonly<Record<string, Field<unknown>>>;
type FieldValue<F> = F extends Field<infer V> ? V : never;
/** Decoded fields; keys of an exclusive group (X) may be absent. */
type ShapeValue<S extends Shape, X extends keyof S = never> = {
  [K in Exclude<keyof S, X>]: FieldValue<S[K]>;
} & { [K in X]?: FieldValue<S[K]> };

/** Sibling keys of which at most one may be written (exactly one when required). */
interface Exclusive<K extends string> {
  readonly keys: readonly K[];
  readonly required: boolean;
  /** Shown when more than one is written. */
  readonly hint: string;
}

interface ObjectOptions<S extends Shape, X extends keyof S & string> extends Documented {
  readonly fields: S;
  /** When absent: required reports it, otherwise every field takes its default. */
  readonly required?: boolean;
  /** Unknown key -> custom hint (e.g. why it is not allowed here). */
  readonly hints?: Readonly<Record<string, string>>;
  readonly typeHint?: string;
  readonly exclusive?: Exclusive<X>;
}

export function object<const S extends Shape, const X extends keyof S & string = never>(
  options: ObjectOptions<S, X>,
): Field<ShapeValue<S, X>> {
  const names = Object.keys(options.fields);
  const exclusive = options.exclusive;
  const grouped = new Set<string>(exclusive?.keys ?? []);
  const fieldDocs: Record<string, FieldDoc> = {};
  for (const name of names) {
    const own = (options.fields[name] as Field<unknown>).doc;
    const others = exclusive?.keys.filter((key) => key !== name) ?? [];
    fieldDocs[name] = grouped.has(name)
      ? { ...own, alternatives: { others, required: exclusive?.required ?? false } }
      : own;
  }
  const doc: FieldDoc = {
    kind: "object",
    type: "mapping",
    description: options.description,
    example: options.example,
    required: options.required === true,
    constraints: [],
    fields: fieldDocs,
  };
  const decodeFields = (pairs: readonly Pair<Node, Node | null>[], at: Cursor): ShapeValue<S, X> | Invalid => {
    const byKey = new Map<string, Pair<Node, Node | null>>();
    const misspelled = new Set<string>();
    for (const pair of pairs) {
      const key = keyText(pair.key, at);
      if (key === INVALID) continue;
      if (Object.hasOwn(options.fields, key)) byKey.set(key, pair);
      else for (const typoOf of at.unknownKey(key, pair.key, names, options.hints ?? {})) misspelled.add(typoOf);
    }
    const group = exclusive ? checkExclusive(exclusive, byKey, misspelled, fieldDocs, at) : { ok: true, chosen: "" };
    const out: Record<string, unknown> = {};
    let ok = group.ok;
    for (const name of names) {
      // Only the chosen key of an exclusive group is decoded; the others are not merely absent.
      if (grouped.has(name) && name !== group.chosen) continue;
      const field = options.fields[name] as Field<unknown>;
      const pair = byKey.get(name);
      // "tpye" already says "did you mean 'type'?"; a second "type is missing" is noise.
      const reported = !pair && field.doc.required && misspelled.has(name);
      const value = reported ? INVALID : decodeField(field, pair, name, at);
      if (value === INVALID) ok = false;
      else if (value !== undefined) out[name] = value;
    }
    // Every declared field was decoded into `out` by its own Field<V>.
    return ok ? (out as ShapeValue<S, X>) : INVALID;
  };
  const decode = (node: Node, at: Cursor): ShapeValue<S, X> | Invalid => {
    const map = at.session.deref(node);
    if (!isMap(map)) return at.fail({ expected: "a mapping", hint: options.typeHint }, map);
    return decodeFields(map.items as Pair<Node, Node | null>[], at);
  };
  const absent = (at: Cursor): ShapeValue<S, X> | Invalid =>
    options.required ? at.missing(doc) : decodeFields([], at);
  return { doc, decode, absent };
}

/** A section that is off unless written; its own keys may be required. */
export function optionalObject<const S extends Shape>(
  options: Omit<ObjectOptions<S, never>, "required" | "exclusive">,
): Field<ShapeValue<S> | undefined> {
  const inner = object(options);
  return { doc: { ...inner.doc, offWhenAbsent: true }, decode: inner.decode, absent: () => undefined };
}

interface ExclusiveOutcome {
  readonly ok: boolean;
  /** The one key of the group that is decoded ("" when none is written). */
  readonly chosen: string;
}

/** Reports a second key of the group at its own position, or (when required) that none is written. */
function checkExclusive<K extends string>(
  exclusive: Exclusive<K>,
  byKey: ReadonlyMap<string, Pair<Node, Node | null>>,
  misspelled: ReadonlySet<string>,
  docs: Readonly<Record<string, FieldDoc>>,
  at: Cursor,
): ExclusiveOutcome {
  const written = [...byKey.keys()].filter((key) => (exclusive.keys as readonly string[]).includes(key));
  const [first, ...extra] = written;
  const firstPair = first === undefined ? undefined : byKey.get(first);
  if (first === undefined || !firstPair) {
    const keys = exclusive.keys;
    if (!exclusive.required || keys.some((key) => misspelled.has(key))) return { ok: true, chosen: "" };
    const wanted = keys.map((key) => `"${key}" (${docs[key]?.type ?? "mapping"})`).join(" or ");
    const [key = ""] = keys;
    const example = docs[key]?.example;
    const where = at.keyPath ? `under ${at.keyPath}` : "at the top level";
    at.child(key, undefined, undefined).report({
      expected: `required key ${wanted}`,
      found: "neither",
      hint: example ? `add one ${where}, e.g. ${key}: ${example}` : `add one ${where}`,
    });
    return { ok: false, chosen: "" };
  }
  const firstLine = at.session.locate(firstPair.key)?.line;
  for (const key of extra) {
    const pair = byKey.get(key);
    if (!pair) continue;
    at.child(key, pair.key, pair.value ?? undefined).report(
      {
        expected: `either ${exclusive.keys.join(" or ")}`,
        found: `both (${first} at line ${firstLine ?? "?"})`,
        hint: exclusive.hint,
      },
      pair.key,
    );
  }
  return { ok: extra.length === 0, chosen: first };
}

function decodeField(
  field: Field<unknown>,
  pair: Pair<Node, Node | null> | undefined,
  name: string,
  at: Cursor,
): unknown {
  const valueNode = pair?.value ? at.session.deref(pair.value) : undefined;
  const child = at.child(name, pair?.key, pair?.value ?? undefined);
  const isNull = valueNode === undefined || (isScalar(valueNode) && valueNode.value === null);
  // An explicit null on a required key is a missing value, not a missing key: point at it.
  if (isNull && pair && field.doc.required) {
    return child.fail({ expected: field.doc.type, hint: exampleHint(name, field.doc) });
  }
  const value = isNull ? field.absent(child) : field.decode(valueNode, child);
  if (value !== INVALID) child.record(value);
  return value;
}

const exampleHint = (name: string, doc: FieldDoc): string | undefined =>
  doc.example ? `give it a value, e.g. ${name}: ${doc.example}` : undefined;
