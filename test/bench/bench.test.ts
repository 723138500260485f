// `npm run bench -- --quick` end to end: every section runs for real (a local burst and bare Spark
// daemons, uploads to a real S3 server, synthesis, CLI start-up, the cluster stack applied with the
// real provider against moto, the launch model, both s3a committers writing parquet through a real
// Spark) and reports numeric ratios. Timings are never asserted: this machine's speed is not the code's behaviour.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { type BenchReport, renderMarkdown, sectionsOf, sectionTitles } from "../../scripts/bench/report.ts";
import { run } from "../../src/util/exec.ts";
import { repoRoot } from "../helpers/burst.ts";

describe("npm run bench -- --quick", () => {
  test(
    "produces every section, each with finite ratios, as JSON and as Markdown",
    { timeout: 15 * 60_000 },
    async () => {
      const result = await run(
        process.execPath,
        ["--import", "tsx", join(repoRoot, "scripts", "bench.ts"), "--quick", "--json"],
        {
          cwd: repoRoot,
          env: { CONSUL_HTTP_ADDR: undefined, NO_COLOR: "1" },
          timeoutMs: 15 * 60_000,
        },
      );
      assert.equal(result.code, 0, `bench failed:\n${result.stderr.slice(-4000)}`);
      const report = JSON.parse(result.stdout) as BenchReport;
      assert.equal(report.quick, true);
      assert.equal(report.repetitions, 1);
      // What the committed report records beside the samples: which code, run how.
      assert.match(report.commit ?? "", /^[0-9a-f]{40}$/);
      assert.equal(report.command, "npm run bench -- --quick --json");

      // Every section but the AWS twin's, which boot containers and run only when named (--only awsTwin,bakedImage).
      const twinSections = ["awsTwin", "bakedImage"];
      for (const section of Object.keys(sectionTitles) as (keyof typeof sectionTitles)[]) {
        if (twinSections.includes(section))
          assert.equal(report[section], undefined, "the twin ran without being asked");
        else assert.ok(report[section], `section ${section} is missing`);
      }
      const ratios = Object.entries(report.ratios);
      for (const [name, value] of ratios) {
        assert.ok(Number.isFinite(value) && value > 0, `ratio "${name}" is ${value}`);
      }
      const names = ratios.map(([name]) => name).join("\n");
      for (const expected of [
        /^local burst time \/ bare Spark time$/m,
        /^upload small files: burst throughput \/ aws s3 sync$/m,
        /^upload large file: burst throughput \/ aws s3 sync$/m,
        /^aws synth time, \d+ \/ 1 workers$/m,
        /^local synth time, \d+ \/ 1 workers$/m,
        /^burst --help \/ node -e 0$/m,
        /^burst validate \/ node -e 0$/m,
        /^aws apply time against moto, \d+ \/ 1 workers$/m,
        /^aws destroy time against moto, \d+ \/ 1 workers$/m,
        /^magic committer \/ FileOutputCommitter v2, write time$/m,
      ]) {
        assert.match(names, expected);
      }
      // The launch model is no measurement: it keeps to its own section, out of the summary.
      assert.doesNotMatch(names, /model/);

      // Start-up: one ratio per round, at least 5 rounds, the summary's figure their median.
      for (const name of ["burst --help / node -e 0", "burst validate / node -e 0"]) {
        const spread = report.ratioRanges?.[name];
        assert.ok(spread && spread.values.length >= 5, `${name}: per-round ratios of at least 5 rounds`);
        assert.equal(report.ratios[name], spread.median);
        assert.ok(spread.min <= spread.median && spread.median <= spread.max);
      }

      // The parts behind the ratios.
      const overhead = report.localOverhead;
      assert.ok(overhead);
      for (const phase of ["synth", "apply", "wait-ready", "run", "collect", "destroy"]) {
        assert.equal(typeof overhead.burstPhases[phase], "number", `burst phase ${phase}`);
      }
      // Time outside the phases is shown, not folded into one.
      for (const idle of [overhead.burstIdle.startup, overhead.burstIdle.between, overhead.burstIdle.exit]) {
        assert.ok(Number.isFinite(idle) && idle >= 0);
      }
      // The ratio is taken per pair; the summary shows their median.
      assert.equal(overhead.ratio.values.length, overhead.pairs);
      assert.equal(report.ratios["local burst time / bare Spark time"], overhead.ratio.median);
      // Both sides ran the same job through s3a.
      assert.ok(overhead.submitted.some((arg) => arg.startsWith("s3a://")));
      assert.deepEqual(Object.keys(overhead.barePhases), ["master", "worker", "spark-submit", "stop"]);
      assert.deepEqual(
        report.upload?.cases.map((entry) => entry.files),
        [200, 1],
      );
      // Each side's start-up is measured beside its uploads, and each upload ratio is taken per round.
      assert.equal(report.upload?.startSeconds?.aws.values.length, 2);
      for (const entry of report.upload?.cases ?? []) assert.equal(entry.ratios?.median, entry.ratio);
      // Every run's phases are kept, not only their medians.
      assert.equal(overhead.burstPhaseRuns?.length, overhead.pairs);
      const aws = report.synthesis?.aws ?? [];
      assert.ok(aws.length >= 2 && new Set(aws.map((point) => point.resources)).size === 1, "aws resources by workers");
      const local = report.synthesis?.local ?? [];
      assert.ok(
        local.length >= 2 && (local[1]?.resources ?? 0) > (local[0]?.resources ?? 0),
        "local grows with workers",
      );
      const models = report.launchModel ?? [];
      assert.ok(models.length >= 2);
      for (const model of models) {
        assert.ok(model.criticalPath.length > 1 && model.apply.low > 0 && model.ready.high >= model.apply.high);
        assert.deepEqual(model.criticalPath, models[0]?.criticalPath, "the critical path does not depend on workers");
      }

      const markdown = renderMarkdown(sectionsOf(report));
      for (const [section, title] of Object.entries(sectionTitles)) {
        if (!twinSections.includes(section)) assert.ok(markdown.includes(`## ${title}`), `no "${title}"`);
      }
      assert.match(markdown, /a model, not a measurement/);
    },
  );
});
