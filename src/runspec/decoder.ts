// The decoding machinery behind the schema language: where the walk over the YAML AST stands
// (Cursor), what it has found so far (Session), and the contract every field fulfils (Field).

import { isScalar, type Node } from "yaml";
import type { SourceLocation } from "../errors.ts";
import type { SpecDefaults } from "../params/types.ts";
import { describeNode, type Problem, type SpecIssue } from "./issues.ts";
import type { NodeOrigins } from "./sources.ts";
import { closeMatches, didYouMean } from "./suggest.ts";

export const INVALID: unique symbol = Symbol("invalid");
export type Invalid = typeof INVALID;

export interface DecodeEnv {
  /** Folder relative paths are resolved against. */
  readonly dir: string;
  readonly defaults: SpecDefaults;
}

export interface Check<T> {
  /** One line for the reference doc. */
  readonly doc: string;
  readonly test: (value: T, env: DecodeEnv) => Problem | undefined;
}

export type FieldKind = "string" | "integer" | "number" | "boolean" | "enum" | "list" | "map" | "object";

/** Everything the reference doc says about a field. */
export interface FieldDoc {
  readonly kind: FieldKind;
  /** "integer", "one of local, aws", "list of string". */
  readonly type: string;
  readonly description: string;
  readonly example?: string;
  readonly required: boolean;
  /** Rendered default ("HEAD", "ops default defaults.workers"); absent = none. */
  readonly defaultText?: string;
  readonly constraints: readonly string[];
  readonly fields?: Readonly<Record<string, FieldDoc>>;
  readonly item?: FieldDoc;
  /** An optional section that is simply off when absent (its own keys may be required). */
  readonly offWhenAbsent?: boolean;
  /** Sibling keys this one excludes; `required` means exactly one of them must be written. */
  readonly alternatives?: { readonly others: readonly string[]; readonly required: boolean };
}

export interface Field<T> {
  readonly doc: FieldDoc;
  /** Decodes a present, non-null node. */
  decode(node: Node, at: Cursor): T | Invalid;
  /** The value when the key is absent or null: the default, undefined, or a reported problem. */
  absent(at: Cursor): T | Invalid;
}

type Segment = string | number;

const formatKeyPath = (path: readonly Segment[]): string =>
  path.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");

/** Shared state of one decoding pass. */
export class Session {
  readonly issues: SpecIssue[] = [];
  readonly values = new Map<string, unknown>();
  readonly nodes = new Map<string, Node>();
  readonly locations = new Map<string, SourceLocation>();
  /** Leaf key name -> where it belongs, for "'spot' belongs at cluster.worker.spot". */
  readonly keyIndex: ReadonlyMap<string, readonly string[]>;

  constructor(
    readonly origins: NodeOrigins,
    readonly env: DecodeEnv,
    rootDoc: FieldDoc,
  ) {
    this.keyIndex = indexKeys(rootDoc);
  }

  /** Where the node starts in the file that wrote it. */
  locate(node: Node): SourceLocation | undefined {
    return this.origins.locate(node);
  }

  /** Aliases (*name) stand for the node their anchor (&name) labels. */
  deref(node: Node): Node {
    return this.origins.deref(node);
  }

  hasIssueUnder(keyPath: string): boolean {
    return this.issues.some(
      (issue) => issue.keyPath !== undefined && (isWithin(issue.keyPath, keyPath) || isWithin(keyPath, issue.keyPath)),
    );
  }
}

const isWithin = (path: string, ancestor: string): boolean =>
  ancestor === "" || path === ancestor || path.startsWith(`${ancestor}.`) || path.startsWith(`${ancestor}[`);

function indexKeys(doc: FieldDoc, prefix = "", index = new Map<string, string[]>()): Map<string, string[]> {
  for (const [name, child] of Object.entries(doc.fields ?? {})) {
    const path = prefix ? `${prefix}.${name}` : name;
    index.set(name, [...(index.get(name) ?? []), path]);
    indexKeys(child, path, index);
  }
  if (doc.item) indexKeys(doc.item, `${prefix}[]`, index);
  return index;
}

const isEmptyNull = (node: Node): boolean =>
  isScalar(node) && node.value === null && !!node.range && node.range[0] === node.range[1];

/** Where the decoder stands: a key path, its YAML key and value nodes, and its parent's position. */
export class Cursor {
  private constructor(
    readonly session: Session,
    readonly path: readonly Segment[],
    private readonly keyNode: Node | undefined,
    readonly valueNode: Node | undefined,
    private readonly parentLocation: SourceLocation,
  ) {
    session.locations.set(this.keyPath, this.here());
    const isNull = isScalar(valueNode) && valueNode.value === null;
    if (valueNode && !isNull) session.nodes.set(this.keyPath, valueNode);
  }

  static root(session: Session, node: Node): Cursor {
    return new Cursor(session, [], undefined, node, session.locate(node) ?? session.origins.start());
  }

  get env(): DecodeEnv {
    return this.session.env;
  }

  get keyPath(): string {
    return formatKeyPath(this.path);
  }

  child(segment: Segment, keyNode: Node | undefined, valueNode: Node | undefined): Cursor {
    return new Cursor(this.session, [...this.path, segment], keyNode, valueNode, this.here());
  }

  /** The value if it has text, else the key, else the parent mapping (for a missing key). */
  here(node?: Node): SourceLocation {
    const candidates = [node, this.valueNode, this.keyNode];
    const target = candidates.find((n) => n?.range && !isEmptyNull(n)) ?? this.keyNode ?? this.valueNode;
    return (target && this.session.locate(target)) ?? this.parentLocation;
  }

  report(problem: Problem, node?: Node): void {
    const shown = node ?? this.valueNode;
    const found = problem.found ?? describeNode(shown && this.session.deref(shown));
    this.session.issues.push({
      location: this.here(node),
      keyPath: this.keyPath || undefined,
      message: `expected ${problem.expected}, found ${found}`,
      hint: problem.hint,
    });
  }

  fail(problem: Problem, node?: Node): Invalid {
    this.report(problem, node);
    return INVALID;
  }

  missing(doc: FieldDoc): Invalid {
    const key = this.path.at(-1);
    const parent = formatKeyPath(this.path.slice(0, -1));
    const where = parent ? `under ${parent}` : "at the top level";
    const example = doc.example ? `, e.g. ${String(key)}: ${doc.example}` : "";
    return this.fail({
      expected: `required key "${String(key)}" (${doc.type})`,
      found: "no such key",
      hint: `add it ${where}${example}`,
    });
  }

  /** Reports an unknown key; returns the known keys it is probably a typo of. */
  unknownKey(key: string, keyNode: Node, known: readonly string[], hints: Readonly<Record<string, string>>): string[] {
    const typoOf = closeMatches(key, known);
    const elsewhere = this.session.keyIndex.get(key)?.filter((p) => p !== formatKeyPath([...this.path, key]));
    const custom = Object.hasOwn(hints, key) ? hints[key] : undefined;
    const hint =
      custom ??
      didYouMean(key, known) ??
      (elsewhere?.length ? `"${key}" belongs at ${elsewhere.join(" or ")}` : undefined);
    const child = this.child(key, keyNode, undefined);
    child.report({ expected: `one of ${known.join(", ")}`, found: `unknown key "${key}"`, hint }, keyNode);
    return typoOf;
  }

  record(value: unknown): void {
    this.session.values.set(this.keyPath, value);
  }
}
