// The benchmark figures in the docs are generated from the committed report (docs/bench/*.json):
// a page edited by hand, or a report changed without regenerating the pages, fails here.
import assert from "node:assert/strict";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { benchDir, checkDocs, fillRegions, readSections, renderDocs } from "../../../scripts/bench/docs.ts";
import { judge } from "../../../scripts/bench/report.ts";
import { sample } from "../../../scripts/bench/stats.ts";
import { repoRoot } from "../../helpers/burst.ts";

describe("benchmark docs from the committed report", () => {
  test("docs/benchmarks.md, README.md, docs/aws.md, docs/operations.md and docs/reliability.md are what docs/bench/*.json generates (npm run bench:docs)", async () => {
    const pages = await renderDocs(repoRoot);
    assert.deepEqual([...pages.keys()].sort(), [
      "README.md",
      "docs/aws.md",
      "docs/benchmarks.md",
      "docs/operations.md",
      "docs/reliability.md",
    ]);
    assert.deepEqual(await checkDocs(repoRoot), [], "run `npm run bench:docs` and commit the pages");
  });

  test("every committed section records its samples, machine, load, date and command", async () => {
    const sections = await readSections(repoRoot);
    for (const required of [
      "localOverhead",
      "upload",
      "synthesis",
      "startup",
      "motoApply",
      "launchModel",
      "committerCost",
    ] as const) {
      assert.ok(sections[required], `${join(benchDir, `${required}.json`)} is missing`);
    }
    for (const report of Object.values(sections)) {
      const { run } = report;
      assert.ok(Number.isFinite(Date.parse(run.generatedAt)), `${report.section}: date`);
      assert.match(run.command, /^npm run bench/, `${report.section}: command`);
      assert.ok(run.machine.cpus > 0 && Number.isFinite(run.machine.loadAverage), `${report.section}: machine`);
      // A section not written by the command itself says where its figures come from.
      assert.ok(run.commit !== null || run.source, `${report.section}: neither a commit nor a source`);
    }
    const overhead = sections.localOverhead?.data;
    assert.ok(overhead);
    assert.equal(overhead.ratio.values.length, overhead.pairs, "every pair's ratio, not only the median");
  });

  test("a changed sample shows as drift in every page that shows it", async () => {
    const root = await mkdtemp(join(tmpdir(), "burst-bench-docs-"));
    try {
      for (const path of [benchDir, ...(await renderDocs(repoRoot)).keys()]) {
        await mkdir(dirname(join(root, path)), { recursive: true });
        await cp(join(repoRoot, path), join(root, path), { recursive: true });
      }
      /** One section's sample, its first value dropped and `last` added, as a new run would change it. */
      const changeSample = async (section: string, key: string, last: number) => {
        const file = join(root, benchDir, `${section}.json`);
        const report = JSON.parse(await readFile(file, "utf8"));
        report.data[key] = sample([...report.data[key].values.slice(1), last]);
        await writeFile(file, JSON.stringify(report));
      };
      await changeSample("localOverhead", "ratio", 1.5);
      assert.deepEqual((await checkDocs(root)).sort(), ["README.md", "docs/benchmarks.md"]);
      // The committer's figures are on three pages.
      await changeSample("committerCost", "magic", 9.99);
      assert.deepEqual((await checkDocs(root)).sort(), [
        "README.md",
        "docs/aws.md",
        "docs/benchmarks.md",
        "docs/reliability.md",
      ]);
      // What baking saves is in docs/operations.md too.
      await changeSample("bakedImage", "readyRatio", 0.5);
      assert.deepEqual((await checkDocs(root)).sort(), [
        "README.md",
        "docs/aws.md",
        "docs/benchmarks.md",
        "docs/operations.md",
        "docs/reliability.md",
      ]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  test("a marked region is regenerated in place, inline or on lines of its own; an unknown or missing one is an error", () => {
    const regions = { figure: () => "1.07×" };
    assert.equal(
      fillRegions("is <!-- bench:figure -->old<!-- /bench --> here", "p.md", regions, {}),
      "is <!-- bench:figure -->1.07×<!-- /bench --> here",
    );
    assert.equal(
      fillRegions("<!-- bench:figure -->\nold\n<!-- /bench -->\n", "p.md", regions, {}),
      "<!-- bench:figure -->\n1.07×\n<!-- /bench -->\n",
    );
    assert.throws(
      () => fillRegions("<!-- bench:other --><!-- /bench -->", "p.md", {}, {}),
      /p\.md: region bench:other has no generator/,
    );
    assert.throws(() => fillRegions("no region", "p.md", regions, {}), /p\.md: no <!-- bench:figure --> region/);
  });
});

describe("a goal's verdict", () => {
  const goal = { bound: 1.1, atMost: true };
  test("is met only when every pair meets it; a median under the goal with a pair over it says so", () => {
    // The 2026-12-05 run: median 1.07×, one pair of five at 1.17×.
    const spread = sample([1.06, 1.08, 1.17, 1.03, 1.07]);
    assert.equal(
      judge({ name: "overhead", value: spread.median, spread, goal }),
      "≤ 1.10 (met by the median; **not met** in 1 of 5, worst 1.17×)",
    );
    const all = sample([1.02, 1.05, 1.04]);
    assert.equal(judge({ name: "overhead", value: all.median, spread: all, goal }), "≤ 1.10 (met in all 3)");
    const none = sample([1.2, 1.3, 1.05]);
    assert.equal(
      judge({ name: "overhead", value: none.median, spread: none, goal }),
      "≤ 1.10 (**not met**: median 1.20×, worst 1.30×)",
    );
  });

  test("for a throughput goal the worst round is the lowest", () => {
    const spread = sample([2.1, 0.9, 1.4]);
    assert.equal(
      judge({ name: "upload", value: spread.median, spread, goal: { bound: 1, atMost: false } }),
      "≥ 1.00 (met by the median; **not met** in 1 of 3, worst 0.90×)",
    );
  });
});
