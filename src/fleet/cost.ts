// `burst cost [--since 7d] [--by name|owner|spec]`: what finished runs cost, summed from their
// records (the actual cost each run recorded after destroy), grouped as the user asks.

import { badInput, ExitCode } from "../errors.ts";
import { listRecords, type RunRecord } from "../lifecycle/run-record.ts";

export type CostGrouping = "name" | "owner" | "spec";
export const costGroupings: readonly CostGrouping[] = ["name", "owner", "spec"];

export interface CostGroup {
  /** The run name, owner or spec file the runs share. */
  readonly key: string;
  readonly runs: number;
  readonly nodeHours: number;
  readonly totalUsd: number;
  /** The sum of the same runs' estimates before launch, where they had one. */
  readonly estimateUsd: number;
  /** Runs with a node no price was found for: their total is a lower bound. */
  readonly partlyPriced: number;
}

export interface CostReport {
  readonly since: string;
  readonly by: CostGrouping;
  readonly groups: readonly CostGroup[];
  readonly totalUsd: number;
  readonly runs: number;
  /** Finished runs in the window with no recorded cost (kept, destroy failed, or recorded before burst kept costs). */
  readonly uncosted: readonly string[];
}

/** Phases before apply: a run that ended in one launched nothing. */
const NOT_APPLIED: ReadonlySet<string> = new Set(["params", "validate", "synth"]);

const UNITS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "7d", "12h", "30m", "2w" as milliseconds; bad input otherwise. */
export function parseSince(text: string): number {
  const match = /^(\d+)([mhdw])$/.exec(text.trim());
  const unit = match ? UNITS[match[2] ?? ""] : undefined;
  if (!match || unit === undefined) {
    throw badInput(`--since: expected a number and a unit (m, h, d or w), e.g. 7d, found "${text}"`);
  }
  return Number(match[1]) * unit;
}

export function parseGrouping(text: string): CostGrouping {
  if ((costGroupings as readonly string[]).includes(text)) return text as CostGrouping;
  throw badInput(`--by: expected one of ${costGroupings.join(", ")}, found "${text}"`);
}

/** The cost of the runs on this machine that ended within `sinceMs` of `now`. */
export async function costReport(
  burstHome: string,
  options: { readonly since: string; readonly by: CostGrouping; readonly now?: Date },
): Promise<CostReport> {
  const now = options.now ?? new Date();
  const from = now.getTime() - parseSince(options.since);
  const finished = (await listRecords(burstHome)).filter(
    (record) => record.endedAt !== undefined && Date.parse(record.endedAt) >= from,
  );
  const groups = new Map<
    string,
    { runs: number; nodeHours: number; totalUsd: number; estimateUsd: number; partly: number }
  >();
  const uncosted: string[] = [];
  for (const record of finished) {
    const cost = record.actualCost;
    if (!cost) {
      // A run that never applied anything cost nothing; one that did but kept no cost is told.
      if (record.clusterStartedAt || !NOT_APPLIED.has(record.phase)) uncosted.push(record.runId);
      continue;
    }
    const key = keyOf(record, options.by);
    const group = groups.get(key) ?? { runs: 0, nodeHours: 0, totalUsd: 0, estimateUsd: 0, partly: 0 };
    group.runs += 1;
    group.nodeHours += cost.nodes.reduce((sum, node) => sum + node.hours, 0);
    group.totalUsd += cost.totalUsd;
    group.estimateUsd += record.costEstimateUsd ?? 0;
    if (cost.unpriced.length > 0) group.partly += 1;
    groups.set(key, group);
  }
  const rows = [...groups.entries()]
    .map(([key, group]) => ({
      key,
      runs: group.runs,
      nodeHours: group.nodeHours,
      totalUsd: group.totalUsd,
      estimateUsd: group.estimateUsd,
      partlyPriced: group.partly,
    }))
    .sort((a, b) => b.totalUsd - a.totalUsd || a.key.localeCompare(b.key));
  return {
    since: new Date(from).toISOString(),
    by: options.by,
    groups: rows,
    totalUsd: rows.reduce((sum, row) => sum + row.totalUsd, 0),
    runs: rows.reduce((sum, row) => sum + row.runs, 0),
    uncosted,
  };
}

function keyOf(record: RunRecord, by: CostGrouping): string {
  if (by === "owner") return record.owner;
  if (by === "spec") return record.specFile;
  return record.name;
}

/** `burst cost`: the report as a table, or one JSON object with --json. */
export async function showCost(
  burstHome: string,
  options: {
    readonly since: string;
    readonly by: CostGrouping;
    readonly json: boolean;
    readonly out: NodeJS.WritableStream;
  },
): Promise<number> {
  const report = await costReport(burstHome, options);
  if (options.json) {
    options.out.write(`${JSON.stringify(report)}\n`);
    return ExitCode.ok;
  }
  const money = (amount: number) => `$${amount.toFixed(amount > 0 && amount < 0.01 ? 4 : 2)}`;
  const table = [
    [options.by.toUpperCase(), "RUNS", "NODE-HOURS", "COST", "ESTIMATED"],
    ...report.groups.map((group) => [
      `${group.key}${group.partlyPriced > 0 ? " *" : ""}`,
      String(group.runs),
      group.nodeHours.toFixed(3),
      money(group.totalUsd),
      money(group.estimateUsd),
    ]),
    ["total", String(report.runs), "", money(report.totalUsd), ""],
  ];
  const widths = table[0]?.map((_, column) => Math.max(...table.map((row) => (row[column] ?? "").length))) ?? [];
  for (const row of table) {
    options.out.write(
      `${row
        .map((cell, index) => cell.padEnd(widths[index] ?? 0))
        .join("  ")
        .trimEnd()}\n`,
    );
  }
  options.out.write(`finished runs since ${report.since} (${options.since})\n`);
  if (report.groups.some((group) => group.partlyPriced > 0)) {
    options.out.write("* some nodes had no price (type or region not in the price table): a lower bound\n");
  }
  if (report.uncosted.length > 0) {
    options.out.write(
      `${report.uncosted.length} run(s) without a recorded cost (kept, destroy failed, or ended before burst recorded costs): ${report.uncosted.join(", ")}\n`,
    );
  }
  return ExitCode.ok;
}
