// burst cost: what finished runs cost, summed from the records each run wrote after destroy,
// over a window (--since) and grouped by run name, owner or spec file (--by), as a table or --json.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, describe, test } from "node:test";
import { main } from "../../src/cli/burst.ts";
import { costReport, parseSince } from "../../src/fleet/cost.ts";
import { type RunRecord, writeRecord } from "../../src/lifecycle/run-record.ts";
import type { ActualCost } from "../../src/targets/contract.ts";

const now = new Date("2026-12-07T12:00:00Z");
const homes: string[] = [];
after(async () => {
  for (const home of homes) await rm(home, { recursive: true, force: true });
});

function costOf(usd: number, hours: number, unpriced: string[] = []): ActualCost {
  return {
    totalUsd: usd,
    nodes: [
      {
        id: "i-1",
        instanceType: "m5.xlarge",
        lifecycle: "on-demand",
        launchedAt: "2026-12-07T10:00:00Z",
        endedAt: "2026-12-07T11:00:00Z",
        hours,
        usd,
      },
    ],
    priceSources: ["burst's price table"],
    unpriced,
  };
}

async function homeWith(runs: Partial<RunRecord>[]): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), "burst-cost-"));
  homes.push(home);
  let index = 0;
  for (const run of runs) {
    index++;
    const runId = run.runId ?? `20261207-0000${String(index).padStart(2, "0")}-aaaa`;
    const runDir = join(home, "runs", runId);
    await writeRecord({
      runId,
      name: "wordcount",
      owner: "ada",
      target: "aws",
      specFile: "jobs/wordcount.yml",
      runDir,
      stackDir: join(runDir, "stack"),
      terraformBinary: "terraform",
      startedAt: "2026-12-07T10:00:00Z",
      expiresAt: "2026-12-07T12:00:00Z",
      resultsUri: "s3://r/",
      pid: 1,
      phase: "destroy",
      destroyed: true,
      outcome: "succeeded",
      endedAt: "2026-12-07T11:00:00Z",
      clusterStartedAt: "2026-12-07T10:00:10Z",
      ...run,
    } as RunRecord);
  }
  return home;
}

async function cli(home: string, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const capture = () => {
    const stream = new PassThrough() as PassThrough & { text: string };
    stream.text = "";
    stream.on("data", (chunk: Buffer) => {
      stream.text += chunk.toString();
    });
    return stream;
  };
  const [stdout, stderr] = [capture(), capture()];
  const previous = process.env.BURST_HOME;
  process.env.BURST_HOME = home;
  try {
    const code = await main(argv, {
      stdout: stdout as unknown as NodeJS.WriteStream,
      stderr: stderr as unknown as NodeJS.WriteStream,
    });
    return { code, stdout: stdout.text, stderr: stderr.text };
  } finally {
    if (previous === undefined) delete process.env.BURST_HOME;
    else process.env.BURST_HOME = previous;
  }
}

describe("burst cost", () => {
  test("sums the recorded costs of runs that ended in the window, grouped by name, the dearest first", async () => {
    const home = await homeWith([
      { actualCost: costOf(0.5, 2), costEstimateUsd: 0.6 },
      { actualCost: costOf(0.25, 1), costEstimateUsd: 0.5 },
      { name: "ml", actualCost: costOf(1.5, 4) },
      // Ended 10 days before `now`: outside a 7-day window.
      { name: "old", endedAt: "2026-11-27T11:00:00Z", actualCost: costOf(9, 9) },
      // Still running: not finished, not counted.
      { name: "live", endedAt: undefined, outcome: undefined, destroyed: false, actualCost: undefined },
    ]);
    const report = await costReport(home, { since: "7d", by: "name", now });
    assert.deepEqual(
      report.groups.map((group) => [group.key, group.runs, group.nodeHours, group.totalUsd, group.estimateUsd]),
      [
        ["ml", 1, 4, 1.5, 0],
        ["wordcount", 2, 3, 0.75, 1.1],
      ],
    );
    assert.equal(report.totalUsd, 2.25);
    assert.equal(report.runs, 3);
    assert.deepEqual(report.uncosted, []);
  });

  test("--by owner and --by spec group the same runs by who ran them and which spec file", async () => {
    const home = await homeWith([
      { owner: "ada", specFile: "a.yml", actualCost: costOf(1, 1) },
      { owner: "bob", specFile: "a.yml", actualCost: costOf(2, 1) },
      { owner: "bob", specFile: "b.yml", actualCost: costOf(4, 1) },
    ]);
    const byOwner = await costReport(home, { since: "7d", by: "owner", now });
    assert.deepEqual(
      byOwner.groups.map((group) => [group.key, group.totalUsd]),
      [
        ["bob", 6],
        ["ada", 1],
      ],
    );
    const bySpec = await costReport(home, { since: "7d", by: "spec", now });
    assert.deepEqual(
      bySpec.groups.map((group) => [group.key, group.totalUsd]),
      [
        ["b.yml", 4],
        ["a.yml", 3],
      ],
    );
  });

  test("a run that launched a cluster but recorded no cost is named, not counted as free", async () => {
    const home = await homeWith([
      { runId: "20261207-100000-kept", kept: true, destroyed: false, actualCost: undefined },
      // Bad input found before apply: nothing launched, nothing to cost.
      { runId: "20261207-100001-badx", phase: "validate", clusterStartedAt: undefined, actualCost: undefined },
      { actualCost: costOf(1, 1, ["i-2 (x9.huge)"]) },
    ]);
    const report = await costReport(home, { since: "7d", by: "name", now });
    assert.deepEqual(report.uncosted, ["20261207-100000-kept"]);
    assert.equal(report.groups[0]?.partlyPriced, 1);
  });

  test("the command prints a table with a total, or one JSON object with --json", async () => {
    const home = await homeWith([{ actualCost: costOf(0.5, 2), costEstimateUsd: 0.6 }]);
    const table = await cli(home, "cost", "--since", "3650d");
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trim().split("\n");
    assert.match(lines[0] ?? "", /^NAME\s+RUNS\s+NODE-HOURS\s+COST\s+ESTIMATED$/);
    assert.match(lines[1] ?? "", /^wordcount\s+1\s+2\.000\s+\$0\.50\s+\$0\.60$/);
    assert.match(lines[2] ?? "", /^total\s+1\s+\$0\.50$/);
    const json = await cli(home, "cost", "--since", "3650d", "--by", "owner", "--json");
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout) as { by: string; totalUsd: number; groups: { key: string }[] };
    assert.equal(report.by, "owner");
    assert.equal(report.totalUsd, 0.5);
    assert.deepEqual(
      report.groups.map((group) => group.key),
      ["ada"],
    );
  });

  test("a bad --since or --by is bad input (exit 2) naming what was expected", async () => {
    const home = await homeWith([]);
    const since = await cli(home, "cost", "--since", "a week");
    assert.equal(since.code, 2);
    assert.match(since.stderr, /--since: expected a number and a unit \(m, h, d or w\), e\.g\. 7d, found "a week"/);
    const by = await cli(home, "cost", "--by", "team");
    assert.equal(by.code, 2);
    assert.match(by.stderr, /--by: expected one of name, owner, spec, found "team"/);
    assert.equal(parseSince("12h"), 12 * 3_600_000);
  });
});
