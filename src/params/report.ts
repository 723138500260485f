// Text people read: a push's diff and the effective parameters with their provenance.
// Secret values are masked here, the one place values are rendered.

import type { TargetName } from "../targets/names.ts";
import { maskValue } from "./mask.ts";
import type { PushPlan } from "./push.ts";
import { publisherNames, sectionsOf, valueOfKey } from "./schema.ts";
import { type AnyLeaf, leavesOf } from "./section.ts";
import type { ParamProvenance, Params } from "./types.ts";

const quote = (key: string, value: string): string => JSON.stringify(maskValue(key, value));

/** One line per change, then what was left alone and a count. */
export function formatPlan(plan: PushPlan, prefix: string): string {
  const lines = plan.changes.map((change) => {
    if (change.kind === "add") return `  + ${prefix}${change.key} = ${quote(change.key, change.after ?? "")}`;
    if (change.kind === "remove") return `  - ${prefix}${change.key} (was ${quote(change.key, change.before ?? "")})`;
    return `  ~ ${prefix}${change.key}: ${quote(change.key, change.before ?? "")} -> ${quote(change.key, change.after ?? "")}`;
  });
  if (plan.kept.length > 0) {
    lines.push("  kept (not in the files; --prune removes them):", ...plan.kept.map((key) => `    ${prefix}${key}`));
  }
  if (plan.protected.length > 0) {
    lines.push(
      `  left alone (written by ${[...publisherNames(), "an operator"].join(" or ")}, not by these files):`,
      ...plan.protected.map((key) => `    ${prefix}${key}`),
    );
  }
  const count = (kind: string) => plan.changes.filter((change) => change.kind === kind).length;
  const summary =
    plan.changes.length === 0
      ? `no changes (${plan.unchanged} keys up to date)`
      : `${plan.changes.length} change(s): ${count("add")} added, ${count("change")} changed, ${count("remove")} removed; ${plan.unchanged} unchanged`;
  return [...lines, summary].join("\n");
}

export interface ParamRow {
  readonly key: string;
  /** Typed value (secrets masked); undefined when unset. */
  readonly value: unknown;
  readonly source: ParamProvenance["source"];
  readonly where: string;
}

/** The effective parameters a target uses, each with its provenance. */
export function paramRows(params: Params, target?: TargetName): ParamRow[] {
  const rows: ParamRow[] = [];
  for (const { property, section } of sectionsOf(target)) {
    // A published section's instance is the one its name key picked (vpc/<aws/vpcName>/...).
    const name = section.kind === "published" ? valueOfKey(params, section.nameKey) : "";
    if (typeof name !== "string") continue;
    const values =
      property === "notify" ? { webhook: params.notifyWebhook } : (params as Record<string, unknown>)[property];
    for (const [leafName, leaf] of Object.entries(leavesOf(section, name))) {
      const provenance = params.provenance.get(leaf.key);
      if (!provenance) continue;
      const value = (values as Record<string, unknown> | undefined)?.[leafName];
      rows.push({ key: leaf.key, value: maskTyped(leaf, value), source: provenance.source, where: provenance.where });
    }
  }
  return rows;
}

/** An aligned table: key, value, source, where. */
export function formatRows(rows: readonly ParamRow[]): string {
  const cells = rows.map((row) => [row.key, displayValue(row.value), row.source, row.where]);
  const table = [["KEY", "VALUE", "SOURCE", "WHERE"], ...cells];
  const widths = [0, 1, 2].map((column) => Math.max(...table.map((cell) => (cell[column] ?? "").length)));
  return table
    .map((cell) =>
      cell
        .map((text, column) => (column < 3 ? text.padEnd(widths[column] ?? 0) : text))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

const displayValue = (value: unknown): string =>
  value === undefined ? "(unset)" : typeof value === "string" ? value : JSON.stringify(value);

function maskTyped(leaf: AnyLeaf, value: unknown): unknown {
  if (value === undefined) return undefined;
  const text = typeof value === "string" ? value : leaf.codec.encode(value);
  return maskValue(leaf.key, text) === text ? value : maskValue(leaf.key, text);
}
