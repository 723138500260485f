// What is wrong with a spec, where, and how to fix it. All problems are collected and
// thrown together, so one run of `burst validate` shows every mistake in the file.

import { isMap, isScalar, isSeq, type Node } from "yaml";
import { BurstError, formatLocation, type SourceLocation } from "../errors.ts";

export interface SpecIssue {
  readonly location: SourceLocation;
  /** Dotted key path ("cluster.worker.spot", "inputs[0].to"); absent for file-level problems. */
  readonly keyPath?: string;
  /** "expected X, found Y" or, for file-level problems, a plain sentence. */
  readonly message: string;
  readonly hint?: string;
}

/** What a constraint wanted; `found` defaults to a description of the offending YAML node. */
export interface Problem {
  readonly expected: string;
  readonly found?: string;
  readonly hint?: string;
}

export function renderIssue(issue: SpecIssue): string {
  const key = issue.keyPath ? `${issue.keyPath}: ` : "";
  const head = `${formatLocation(issue.location)}: ${key}${issue.message}`;
  return issue.hint ? `${head}\n  hint: ${issue.hint}` : head;
}

/** Top to bottom within a file; files (a spec and its overlays) in the order their first problem was found. */
function byPosition(issues: readonly SpecIssue[]): (a: SpecIssue, b: SpecIssue) => number {
  const files = [...new Set(issues.map((issue) => issue.location.file))];
  const rank = (issue: SpecIssue) => files.indexOf(issue.location.file);
  return (a, b) =>
    rank(a) - rank(b) ||
    (a.location.line ?? 0) - (b.location.line ?? 0) ||
    (a.location.column ?? 0) - (b.location.column ?? 0);
}

/**
 * A bad-input BurstError carrying every problem found in one spec file.
 * `location`, `keyPath` and `hint` are the first problem's; `message` and `render()` list all
 * of them, one "file:line:col: key.path: expected X, found Y" line each (hints indented below).
 */
export class SpecError extends BurstError {
  readonly issues: readonly SpecIssue[];

  constructor(issues: readonly SpecIssue[]) {
    const sorted = [...issues].sort(byPosition(issues));
    const first = sorted[0];
    if (!first) throw new Error("SpecError needs at least one issue");
    super("bad-input", sorted.map(renderIssue).join("\n"), {
      location: first.location,
      keyPath: first.keyPath,
      hint: first.hint,
    });
    this.name = "SpecError";
    this.issues = sorted;
  }

  /** The message already carries every location and hint. */
  override render(): string {
    return this.message;
  }
}

export const fileProblem = (file: string, message: string, hint?: string): SpecError =>
  new SpecError([{ location: { file }, message, hint }]);

const MAX_SHOWN = 60;

/** How an offending value reads in a message: string "two", number 2.5, a list, null. */
export function describeNode(node: Node | null | undefined): string {
  if (node === null || node === undefined) return "nothing";
  if (isMap(node)) return "a mapping";
  if (isSeq(node)) return "a list";
  if (isScalar(node)) return describeScalar(node.value, node.source);
  return "an unsupported YAML node";
}

function describeScalar(value: unknown, source: string | undefined): string {
  if (value === null) return "null";
  if (typeof value === "string") return `string ${quote(value)}`;
  if (typeof value === "number" || typeof value === "bigint") return `number ${source ?? String(value)}`;
  if (typeof value === "boolean") return `boolean ${value}`;
  return `a ${typeof value}`;
}

/** JSON-quoted and shortened, so a pasted blob does not flood the terminal. */
export function quote(text: string): string {
  const shown = text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}...` : text;
  return JSON.stringify(shown);
}
