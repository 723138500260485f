// Where each YAML node came from. A spec may be assembled from several files (the spec, an
// environment's overlay, a translated legacy file), so every node remembers its own file and
// an error about a value points at the line that wrote it.

import {
  type Document,
  isAlias,
  isMap,
  isNode,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  visit,
  type YAMLError,
} from "yaml";
import type { SourceLocation } from "../errors.ts";
import { SpecError, type SpecIssue } from "./issues.ts";

/** One parsed YAML file. */
export interface YamlSource {
  readonly file: string;
  readonly doc: Document;
  readonly lineCounter: LineCounter;
}

/** Parses one file keeping positions. YAML syntax errors throw a SpecError listing all of them. */
export function parseYaml(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const keys = keyOffsets(doc);
    throw new SpecError(doc.errors.map((error) => yamlIssue(error, file, lineCounter, keys, text)));
  }
  return { file, doc, lineCounter };
}

/** Node -> the file it was written in; nodes burst makes up borrow the file and position of a written one. */
export class NodeOrigins {
  private readonly sourceOf = new WeakMap<Node, YamlSource>();

  constructor(readonly main: YamlSource) {
    this.add(main);
  }

  add(source: YamlSource): void {
    visit(source.doc, {
      Node: (_key, node) => {
        this.sourceOf.set(node, source);
      },
    });
  }

  /** A merged mapping or a translated legacy value reads, in messages, as if written where `like` is. */
  adopt<N extends Node>(node: N, like: Node): N {
    const source = this.sourceOf.get(like);
    if (source) this.sourceOf.set(node, source);
    if (like.range) node.range = [like.range[0], like.range[1], like.range[2]];
    return node;
  }

  /** Where the node starts, in its own file; undefined for a node without a position. */
  locate(node: Node): SourceLocation | undefined {
    const offset = node.range?.[0];
    if (offset === undefined) return undefined;
    const source = this.sourceOf.get(node) ?? this.main;
    const { line, col } = source.lineCounter.linePos(offset);
    return { file: source.file, line, column: col };
  }

  /** The start of the main file, for problems nothing else locates. */
  start(): SourceLocation {
    return { file: this.main.file, line: 1, column: 1 };
  }

  fileOf(node: Node): string {
    return (this.sourceOf.get(node) ?? this.main).file;
  }

  /** Aliases (*name) stand for the node their anchor (&name) labels, in the alias's own file. */
  deref(node: Node): Node {
    if (!isAlias(node)) return node;
    const source = this.sourceOf.get(node) ?? this.main;
    return node.resolve(source.doc) ?? node;
  }
}

function yamlIssue(
  error: YAMLError,
  file: string,
  lineCounter: LineCounter,
  keys: KeyOffsets,
  text: string,
): SpecIssue {
  const offset = error.pos[0];
  const { line, col } = lineCounter.linePos(offset);
  const location = { file, line, column: col };
  const keyPath = keys.pathAt.get(offset);
  if (error.code === "DUPLICATE_KEY" && keyPath !== undefined) {
    const key = keyPath.split(".").at(-1) ?? keyPath;
    const first = lineCounter.linePos(keys.firstOffset.get(keyPath) ?? offset).line;
    return {
      location,
      keyPath,
      message: `expected each key once, found "${key}" again (first at line ${first})`,
      hint: "remove or merge one of them",
    };
  }
  // Other syntax errors are noticed wherever the parser gave up, often on an innocent key: name none.
  const lineText = text.split("\n")[line - 1] ?? "";
  const hint =
    error.code === "TAB_AS_INDENT"
      ? "indent with spaces; YAML does not allow tabs"
      : /\[[^\]]*s3a?:\/\/\$\{/.test(lineText)
        ? 'inside [ ] a ${...} needs quotes: ["s3a://${data}/in/", ...]'
        : undefined;
  return { location, message: `invalid YAML: ${error.message.split("\n")[0]}`, hint };
}

interface KeyOffsets {
  /** Offset of a key -> its dotted path. */
  readonly pathAt: ReadonlyMap<number, string>;
  /** Dotted path -> offset of its first occurrence (duplicates come later). */
  readonly firstOffset: ReadonlyMap<string, number>;
}

/** Where every key of the (possibly broken) document is, to name the key a YAML error is at. */
function keyOffsets(doc: Document): KeyOffsets {
  const pathAt = new Map<number, string>();
  const firstOffset = new Map<string, number>();
  const walk = (node: unknown, path: string): void => {
    if (isSeq(node)) {
      for (const [index, item] of node.items.entries()) walk(item, `${path}[${index}]`);
    }
    if (!isMap(node)) return;
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const childPath = path ? `${path}.${key}` : key;
      const offset = isNode(pair.key) ? pair.key.range?.[0] : undefined;
      if (offset !== undefined) {
        pathAt.set(offset, childPath);
        if (!firstOffset.has(childPath)) firstOffset.set(childPath, offset);
      }
      walk(pair.value, childPath);
    }
  };
  walk(doc.contents, "");
  return { pathAt, firstOffset };
}
