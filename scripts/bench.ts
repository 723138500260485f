// `npm run bench`: burst measured side by side with what it replaces, reported as ratios.
//   npm run bench                       every section, 3 repetitions, Markdown on stdout
//   npm run bench -- --write            ... and save each section ran to docs/bench/<section>.json,
//                                       then regenerate the docs from them (as bench:docs does)
//   npm run bench:docs                  regenerate docs/benchmarks.md, README's and docs/aws.md's
//                                       figures from docs/bench/*.json (--check: exit 1 if they differ)
//   npm run bench -- --quick            one repetition, smaller sizes (CI)
//   npm run bench -- --only upload,startup
//   npm run bench -- --only awsTwin     the aws burst on the AWS twin (root; not in the default set)
//   npm run bench -- --only bakedImage  boot to ready on the twin, base image vs baked (root; not in the default set)
//   npm run bench -- --json             the report as JSON on stdout
// Progress goes to stderr. The sections live in scripts/bench/.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

import { cpus, loadavg, totalmem, type } from "node:os";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { run } from "../src/util/exec.ts";
import { measureAwsTwin } from "./bench/aws-twin.ts";
import { measureBakedImage } from "./bench/baked-image.ts";
import { fullCommitterSize, measureCommitterCost, quickCommitterSize } from "./bench/committer-cost.ts";
import { checkDocs, writeDocs, writeSections } from "./bench/docs.ts";
import { modelLaunch } from "./bench/launch-model.ts";
import { measureLocalOverhead } from "./bench/local-overhead.ts";
import { measureMotoApply } from "./bench/moto-apply.ts";
import {
  type BenchReport,
  comparisons,
  renderMarkdown,
  type Section,
  sectionsOf,
  sectionTitles,
} from "./bench/report.ts";
import { measureStartup } from "./bench/startup.ts";
import { measureSynthesis } from "./bench/synthesis.ts";
import { fullSizes, measureUploads, quickSizes } from "./bench/upload.ts";
import { buildIfStale } from "./build.mjs";

const sections = Object.keys(sectionTitles) as Section[];
/** Sections a plain `npm run bench` runs: the twin boots system containers (root) and only runs when named. */
export const defaultSections = sections.filter((section) => section !== "awsTwin" && section !== "bakedImage");

export interface BenchOptions {
  readonly quick: boolean;
  readonly only: readonly Section[];
  readonly log: (line: string) => void;
  /** The command line recorded with the report. */
  readonly command?: string;
}

export async function runBenchmarks(options: BenchOptions): Promise<BenchReport> {
  const repetitions = options.quick ? 1 : 3;
  const wants = (section: Section) => options.only.includes(section);
  const { log } = options;
  const report: {
    -readonly [K in keyof BenchReport]: BenchReport[K];
  } = {
    generatedAt: new Date().toISOString(),
    ...(await commitOf()),
    command: options.command ?? "npm run bench",
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
    ratios: {},
  };

  // The CLI runs compiled, as `npm run burst` runs it: compile now, not inside a timed run.
  await buildIfStale({ log });

  // Cheap and in-process first; the Spark runs last.
  if (wants("startup")) {
    log(`# ${sectionTitles.startup}`);
    report.startup = await measureStartup(options.quick ? 5 : 10);
  }
  if (wants("synthesis") || wants("launchModel")) {
    log(`# ${sectionTitles.synthesis}`);
    const synthesis = await measureSynthesis(
      options.quick ? [1, 100] : [1, 10, 100, 1000],
      options.quick ? [1, 10] : [1, 10, 100],
      // Synthesis takes milliseconds: ten rounds cost nothing and steady the medians.
      options.quick ? 1 : 10,
      log,
    );
    if (wants("synthesis")) report.synthesis = { aws: synthesis.aws, local: synthesis.local };
    if (wants("launchModel")) {
      // A model, not a measurement: it has its own section and never enters the summary.
      log(`# ${sectionTitles.launchModel}`);
      // Largest first, whatever order the rounds happened to fill the map in.
      report.launchModel = [...synthesis.awsConfigs]
        .sort(([a], [b]) => b - a)
        .map(([workers, config]) => modelLaunch(workers, config));
    }
  }
  if (wants("motoApply")) {
    log(`# ${sectionTitles.motoApply}`);
    // Each apply or destroy against moto takes about half a minute whatever the size: the full run
    // keeps the two ends and two repetitions so the whole benchmark stays near ten minutes.
    // The warm-up costs a minute: a quick run (CI's) shows the section works, not its figures.
    report.motoApply = await measureMotoApply(options.quick ? [1, 10] : [1, 100], options.quick ? 1 : 2, log, {
      warmUp: !options.quick,
    });
  }
  if (wants("upload")) {
    log(`# ${sectionTitles.upload}`);
    // Five rounds: the ratio is taken per round, and its spread is the figure to read.
    report.upload = await measureUploads(options.quick ? quickSizes : fullSizes, options.quick ? 1 : 5, log);
  }
  if (wants("localOverhead")) {
    log(`# ${sectionTitles.localOverhead}`);
    // At least five pairs: one pair's ratio moves by tenths with the machine's other work.
    report.localOverhead = await measureLocalOverhead(options.quick ? 1 : Math.max(5, repetitions), log);
  }
  if (wants("committerCost")) {
    log(`# ${sectionTitles.committerCost}`);
    report.committerCost = await measureCommitterCost(options.quick ? quickCommitterSize : fullCommitterSize, log);
  }
  if (wants("awsTwin")) {
    log(`# ${sectionTitles.awsTwin}`);
    report.awsTwin = await measureAwsTwin(options.quick ? 1 : repetitions, log);
  }
  if (wants("bakedImage")) {
    log(`# ${sectionTitles.bakedImage}`);
    report.bakedImage = await measureBakedImage(options.quick ? 1 : repetitions, log);
  }
  report.machine = { ...report.machine, loadAverageAtEnd: loadavg()[0] ?? 0 };
  const measured = comparisons(sectionsOf(report));
  report.ratios = Object.fromEntries(measured.map((entry) => [entry.name, entry.value]));
  report.ratioRanges = Object.fromEntries(
    measured.flatMap((entry) => (entry.spread ? [[entry.name, entry.spread] as const] : [])),
  );
  return report;
}

/** The commit the measured code is at, and whether the measured code (scripts, src, stacks) differs from it. */
async function commitOf(): Promise<{ commit: string | null; dirty: boolean }> {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const head = await run("git", ["rev-parse", "HEAD"], { cwd: root });
  if (head.code !== 0) return { commit: null, dirty: false };
  const status = await run("git", ["status", "--porcelain", "--", "scripts", "src", "stacks", "package.json"], {
    cwd: root,
  });
  return { commit: head.stdout.trim(), dirty: status.stdout.trim() !== "" };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      write: { type: "boolean", default: false },
      docs: { type: "boolean", default: false },
      check: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      only: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      `Usage: npm run bench -- [--quick] [--write] [--json] [--only ${sections.join(",")}]\n` +
        "       npm run bench:docs [-- --check]   (the docs from docs/bench/*.json, without measuring)\n",
    );
    return 0;
  }
  if (values.docs) {
    if (!values.check) {
      for (const file of await writeDocs()) process.stderr.write(`wrote ${file}\n`);
      return 0;
    }
    const drifted = await checkDocs();
    for (const file of drifted) process.stderr.write(`${file} differs from what docs/bench/*.json generates\n`);
    return drifted.length === 0 ? 0 : 1;
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
    command: ["npm run bench", ...(process.argv.length > 2 ? ["--", ...process.argv.slice(2)] : [])].join(" "),
  });
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderMarkdown(sectionsOf(report)));
  if (values.write) {
    for (const file of await writeSections(sectionsOf(report))) process.stderr.write(`wrote ${file}\n`);
    for (const file of await writeDocs()) process.stderr.write(`wrote ${file}\n`);
  }
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  process.exitCode = await main();
}
