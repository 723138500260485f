// spark.yml -> Spec: read the file, parse YAML with positions, validate against the schema,
// fill defaults, derive buckets. Every problem in the file is reported in one SpecError.

import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { type Document, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type YAMLError } from "yaml";
import type { SpecDefaults } from "../params/types.ts";
import { Cursor, type DecodeEnv, INVALID, Session } from "./decoder.ts";
import { fileProblem, SpecError, type SpecIssue } from "./issues.ts";
import { applyRules } from "./rules.ts";
import { bucketOf, bucketsInText } from "./s3.ts";
import { specRules, specSchema } from "./schema.ts";
import type { Spec, TargetName } from "./types.ts";

export interface LoadOptions {
  /** What ops set centrally; the spec falls back to these. */
  readonly defaults: SpecDefaults;
  /** CLI flags, which beat the spec. */
  readonly overrides?: { readonly target?: TargetName };
}

const REFERENCE = "see docs/spec-reference.md";

/** Reads, validates and resolves a spark.yml. Throws SpecError (bad-input, exit 2) listing every problem. */
export async function loadSpec(path: string, options: LoadOptions): Promise<Spec> {
  const bytes = await readSpecFile(path);
  return resolveSpec(bytes.toString("utf8"), path, options, sha256(bytes));
}

/** Like loadSpec for text already in memory; `file` names it in messages and anchors relative paths. */
export function parseSpec(text: string, file: string, options: LoadOptions): Spec {
  return resolveSpec(text, file, options, sha256(Buffer.from(text, "utf8")));
}

const sha256 = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex");

async function readSpecFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw fileError(path, error);
  }
}

function fileError(path: string, error: unknown): SpecError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return fileProblem(path, "spec file not found", "pass the path of a spark.yml");
  if (code === "EISDIR") {
    const inside = join(path, "spark.yml");
    const hint = existsSync(inside) ? `did you mean ${inside}?` : "pass the path of the spark.yml inside it";
    return fileProblem(path, "is a directory, not a spec file", hint);
  }
  if (code === "EACCES") return fileProblem(path, "cannot read the spec file: permission denied");
  const reason = error instanceof Error ? error.message : String(error);
  return fileProblem(path, `cannot read the spec file: ${reason}`);
}

function resolveSpec(text: string, file: string, options: LoadOptions, digest: string): Spec {
  const absolute = resolve(file);
  const env: DecodeEnv = { dir: dirname(absolute), defaults: options.defaults };
  const raw = decodeSpec(text, file, env);
  return {
    name: raw.name,
    target: options.overrides?.target ?? raw.target,
    code: raw.code,
    job: raw.job,
    cluster: raw.cluster,
    inputs: raw.inputs,
    outputs: raw.outputs,
    results: raw.results,
    buckets: bucketsOf(raw),
    tags: raw.tags,
    ...(raw.maxCostUsd === undefined ? {} : { maxCostUsd: raw.maxCostUsd }),
    source: { file: absolute, dir: env.dir, sha256: digest },
  };
}

type DecodedSpec = Exclude<ReturnType<typeof specSchema.decode>, typeof INVALID>;

function decodeSpec(text: string, file: string, env: DecodeEnv): DecodedSpec {
  if (text.trim() === "") {
    const needs = "a spec needs at least name, code.repo, job.type and job.entrypoint";
    throw fileProblem(file, "the spec file is empty", `${needs}; ${REFERENCE}`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const keys = keyOffsets(doc);
    throw new SpecError(doc.errors.map((error) => yamlIssue(error, file, lineCounter, keys)));
  }
  const contents = doc.contents;
  if (contents === null) throw fileProblem(file, "the spec file has no content (only comments)", REFERENCE);
  const session = new Session(file, doc, lineCounter, env, specSchema.doc);
  const value = specSchema.decode(contents, Cursor.root(session, contents));
  applyRules(specRules, session);
  if (session.issues.length > 0 || value === INVALID) throw new SpecError(session.issues);
  return value;
}

function yamlIssue(error: YAMLError, file: string, lineCounter: LineCounter, keys: KeyOffsets): SpecIssue {
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
  const hint = error.code === "TAB_AS_INDENT" ? "indent with spaces; YAML does not allow tabs" : undefined;
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
  const visit = (node: unknown, path: string): void => {
    if (isSeq(node)) {
      for (const [index, item] of node.items.entries()) visit(item, `${path}[${index}]`);
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
      visit(pair.value, childPath);
    }
  };
  visit(doc.contents, "");
  return { pathAt, firstOffset };
}

/** Buckets the run touches: results, inputs[].to and any s3(a):// URI in the job's args. */
function bucketsOf(raw: DecodedSpec): string[] {
  const uris = [raw.results, ...raw.inputs.map((input) => input.to)];
  const named = [...uris.map(bucketOf), ...raw.job.args.flatMap(bucketsInText)];
  return [...new Set(named.filter((b): b is string => b !== undefined && b !== ""))].sort();
}
