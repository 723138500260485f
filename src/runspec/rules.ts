// Rules that involve more than one field, run after every field has been decoded.

import type { Session } from "./decoder.ts";
import { describeNode, type Problem } from "./issues.ts";

/** Read access to decoded values (defaults included) by key path. */
export interface RuleInput {
  get(path: string): unknown;
  /** Written in the file (as opposed to defaulted). */
  isSet(path: string): boolean;
}

export interface Violation extends Problem {
  /** Key path the problem is reported at. */
  readonly at: string;
}

export interface Rule {
  /** One sentence for the reference doc. */
  readonly doc: string;
  /** Key paths the rule reads; it is skipped when any of them already has a problem. */
  readonly reads: readonly string[];
  readonly check: (spec: RuleInput) => Violation | undefined;
}

export function applyRules(rules: readonly Rule[], session: Session): void {
  const input: RuleInput = {
    get: (path) => session.values.get(path),
    isSet: (path) => session.nodes.has(path),
  };
  const runnable = rules.filter((rule) => !rule.reads.some((path) => session.hasIssueUnder(path)));
  for (const rule of runnable) {
    const violation = rule.check(input);
    if (!violation) continue;
    const written = session.nodes.get(violation.at);
    const node = written && session.deref(written);
    const location = session.locations.get(violation.at) ?? session.origins.start();
    session.issues.push({
      location,
      keyPath: violation.at,
      message: `expected ${violation.expected}, found ${violation.found ?? describeNode(node)}`,
      hint: violation.hint,
    });
  }
}
