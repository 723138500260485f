// `npm run bench`: burst measured side by side with what it replaces, reported as ratios.
//   npm run bench                       every section, 3 repetitions, Markdown on stdout
//   npm run bench -- --write-docs       ... and rewrite docs/benchmarks.md
//   npm run bench -- --quick            one repetition, smaller sizes (CI)
//   npm run bench -- --only upload,startup
//   npm run bench -- --only awsTwin     the aws burst on the AWS twin (root; not in the default set)
//   npm run bench -- --json             the report as JSON on stdout
// Progress goes to stderr. The sections live in scripts/bench/.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

import { writeFile } from "node:fs/promises";
import { cpus, loadavg, totalmem, type } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { measureAwsTwin } from "./bench/aws-twin.ts";
import { modelLaunch } from "./bench/launch-model.ts";
import { measureLocalOverhead } from "./bench/local-overhead.ts";
import { measureMotoApply } from "./bench/moto-apply.ts";
import { type BenchReport, renderMarkdown, type Section, sectionTitles } from "./bench/report.ts";
import { measureStartup } from "./bench/startup.ts";
import { ratio, type Sample } from "./bench/stats.ts";
import { measureSynthesis } from "./bench/synthesis.ts";
import { fullSizes, measureUploads, quickSizes } from "./bench/upload.ts";
import { buildIfStale } from "./build.mjs";

const sections = Object.keys(sectionTitles) as Section[];
/** Sections a plain `npm run bench` runs: the twin boots system containers (root) and only runs when named. */
export const defaultSections = sections.filter((section) => section !== "awsTwin");

export interface BenchOptions {
  readonly quick: boolean;
  readonly only: readonly Section[];
  readonly log: (line: string) => void;
}

export async function runBenchmarks(options: BenchOptions): Promise<BenchReport> {
  const repetitions = options.quick ? 1 : 3;
  const wants = (section: Section) => options.only.includes(section);
  const { log } = options;
  const ratios: Record<string, number> = {};
  const ratioRanges: Record<string, Sample> = {};
  const report: {
    -readonly [K in keyof BenchReport]: BenchReport[K];
  } = {
    generatedAt: new Date().toISOString(),
    quick: options.quick,
    repetitions,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? "unknown CPU",
      memoryGiB: Math.round(totalmem() / 1024 ** 3),
      node: process.versions.node,
      os: type(),
      loadAverage: loadavg()[0] ?? 0,
    },
    ratios,
    ratioRanges,
  };

  // The CLI runs compiled, as `npm run burst` runs it: compile now, not inside a timed run.
  await buildIfStale({ log });

  // Cheap and in-process first; the Spark runs last.
  if (wants("startup")) {
    log(`# ${sectionTitles.startup}`);
    report.startup = await measureStartup(options.quick ? 5 : 10);
    ratios["burst --help / node -e 0"] = report.startup.helpRatio.median;
    ratios["burst validate / node -e 0"] = report.startup.validateRatio.median;
    ratioRanges["burst --help / node -e 0"] = report.startup.helpRatio;
    ratioRanges["burst validate / node -e 0"] = report.startup.validateRatio;
  }
  if (wants("synthesis") || wants("launchModel")) {
    log(`# ${sectionTitles.synthesis}`);
    const synthesis = await measureSynthesis(
      options.quick ? [1, 100] : [1, 10, 100, 1000],
      options.quick ? [1, 10] : [1, 10, 100],
      repetitions,
      log,
    );
    if (wants("synthesis")) {
      report.synthesis = { aws: synthesis.aws, local: synthesis.local };
      const growth = (points: typeof synthesis.aws) => {
        const first = points[0];
        const last = points[points.length - 1];
        return {
          name: `${last?.workers} / ${first?.workers} workers`,
          value: ratio(last?.ms.median ?? 0, first?.ms.median ?? 0),
        };
      };
      const aws = growth(synthesis.aws);
      const local = growth(synthesis.local);
      ratios[`aws synth time, ${aws.name}`] = aws.value;
      ratios[`local synth time, ${local.name}`] = local.value;
    }
    if (wants("launchModel")) {
      // A model, not a measurement: it has its own section and never enters the summary.
      log(`# ${sectionTitles.launchModel}`);
      report.launchModel = [...synthesis.awsConfigs].map(([workers, config]) => modelLaunch(workers, config));
    }
  }
  if (wants("motoApply")) {
    log(`# ${sectionTitles.motoApply}`);
    // Each apply or destroy against moto takes about half a minute whatever the size: the full run
    // keeps the two ends and two repetitions so the whole benchmark stays near ten minutes.
    report.motoApply = await measureMotoApply(options.quick ? [1, 10] : [1, 100], options.quick ? 1 : 2, log);
    const points = report.motoApply.points;
    const name = `${points[points.length - 1]?.workers} / ${points[0]?.workers} workers`;
    ratios[`aws apply time against moto, ${name}`] = report.motoApply.applyRatio.median;
    ratios[`aws destroy time against moto, ${name}`] = report.motoApply.destroyRatio.median;
    ratioRanges[`aws apply time against moto, ${name}`] = report.motoApply.applyRatio;
    ratioRanges[`aws destroy time against moto, ${name}`] = report.motoApply.destroyRatio;
  }
  if (wants("upload")) {
    log(`# ${sectionTitles.upload}`);
    report.upload = await measureUploads(options.quick ? quickSizes : fullSizes, repetitions, log);
    const [small, large] = report.upload.cases;
    if (small) ratios["upload small files: burst throughput / aws s3 sync"] = small.ratio;
    if (large) ratios["upload large file: burst throughput / aws s3 sync"] = large.ratio;
  }
  if (wants("localOverhead")) {
    log(`# ${sectionTitles.localOverhead}`);
    // At least five pairs: one pair's ratio moves by tenths with the machine's other work.
    report.localOverhead = await measureLocalOverhead(options.quick ? 1 : Math.max(5, repetitions), log);
    ratios["local burst time / bare Spark time"] = report.localOverhead.ratio.median;
    ratioRanges["local burst time / bare Spark time"] = report.localOverhead.ratio;
  }
  if (wants("awsTwin")) {
    log(`# ${sectionTitles.awsTwin}`);
    report.awsTwin = await measureAwsTwin(options.quick ? 1 : repetitions, log);
    const { aws, local } = report.awsTwin;
    ratios["aws burst on the twin / local burst, total time"] = (aws.total?.median ?? 0) / (local.total?.median ?? 1);
  }
  report.machine = { ...report.machine, loadAverageAtEnd: loadavg()[0] ?? 0 };
  return report;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      "write-docs": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      only: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`Usage: npm run bench -- [--quick] [--write-docs] [--json] [--only ${sections.join(",")}]\n`);
    return 0;
  }
  const only = values.only ? values.only.split(",").map((name) => name.trim()) : defaultSections;
  const unknown = only.filter((name) => !sections.includes(name as Section));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown section(s) ${unknown.join(", ")}; choose from ${sections.join(", ")}\n`);
    return 2;
  }
  const report = await runBenchmarks({
    quick: values.quick,
    only: only as Section[],
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const markdown = renderMarkdown(report);
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : markdown);
  if (values["write-docs"]) {
    const docs = join(fileURLToPath(new URL("..", import.meta.url)), "docs", "benchmarks.md");
    await writeFile(docs, markdown);
    process.stderr.write(`wrote ${docs}\n`);
  }
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  process.exitCode = await main();
}
