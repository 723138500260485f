// The benchmark report: one JSON shape per run (for machines and the bench test), saved per section
// under docs/bench/ (`npm run bench -- --write`), and rendered as Markdown into docs/benchmarks.md
// and the marked regions of README.md and docs/aws.md (scripts/bench/docs.ts).

import type { AwsTwinResult } from "./aws-twin.ts";
import type { BakedImageResult } from "./baked-image.ts";
import type { CommitterCostResult } from "./committer-cost.ts";
import { afterCreate, type LaunchModel, type Range, resourceTimes } from "./launch-model.ts";
import type { OverheadResult } from "./local-overhead.ts";
import type { MotoApplyResult } from "./moto-apply.ts";
import { type StartupResult, validatedSpec } from "./startup.ts";
import { formatSample, type Sample } from "./stats.ts";
import type { SynthPoint } from "./synthesis.ts";
import type { UploadResult } from "./upload.ts";

export interface Machine {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly os: string;
  /** 1-minute load average when the run started: other work on the machine skews timings. */
  readonly loadAverage: number;
  /** ... and when it ended. */
  readonly loadAverageAtEnd?: number;
}

/** When, where and how a run measured: every committed section carries its own. */
export interface RunInfo {
  readonly generatedAt: string;
  /** The commit the measured code was at (null: not recorded), and whether scripts/src/stacks differed from it. */
  readonly commit: string | null;
  readonly dirty?: boolean;
  /** The command that ran, as typed. */
  readonly command: string;
  readonly quick: boolean;
  /** The run's default repetitions; a section may take more (its samples say how many it took). */
  readonly repetitions: number;
  readonly machine: Machine;
  /** Set when the figures were not written by the command itself: where they come from. */
  readonly source?: string;
}

export interface SynthesisResult {
  readonly aws: readonly SynthPoint[];
  readonly local: readonly SynthPoint[];
}

export interface SectionData {
  readonly localOverhead: OverheadResult;
  readonly upload: UploadResult;
  readonly synthesis: SynthesisResult;
  readonly startup: StartupResult;
  readonly motoApply: MotoApplyResult;
  readonly launchModel: readonly LaunchModel[];
  readonly awsTwin: AwsTwinResult;
  readonly bakedImage: BakedImageResult;
  readonly committerCost: CommitterCostResult;
}

export interface BenchReport extends Omit<RunInfo, "source"> {
  /** One ratio per comparison, by a readable name; every one is a finite number. */
  readonly ratios: Readonly<Record<string, number>>;
  /** For ratios taken per pair or round: every one's ratio (the ratio above is their median). */
  readonly ratioRanges?: Readonly<Record<string, Sample>>;
  readonly localOverhead?: OverheadResult;
  readonly upload?: UploadResult;
  readonly synthesis?: SynthesisResult;
  readonly startup?: StartupResult;
  readonly launchModel?: readonly LaunchModel[];
  readonly motoApply?: MotoApplyResult;
  readonly awsTwin?: AwsTwinResult;
  readonly bakedImage?: BakedImageResult;
  readonly committerCost?: CommitterCostResult;
}

/** One committed section: docs/bench/<section>.json. */
export interface SectionReport<S extends Section = Section> {
  readonly section: S;
  readonly run: RunInfo;
  readonly data: SectionData[S];
}

/** The committed sections, each from its own run. */
export type Sections = { readonly [S in Section]?: SectionReport<S> };

export const sectionTitles = {
  localOverhead: "Local burst vs bare Spark",
  upload: "Results upload: burst vs aws s3 sync",
  synthesis: "Synthesis time and resources by worker count",
  startup: "CLI start-up",
  motoApply: "AWS cluster apply and destroy by worker count: real provider against moto",
  launchModel: "AWS launch time by worker count (a model, not a measurement)",
  awsTwin: "The whole aws burst on the AWS twin, beside the same job on the local target",
  bakedImage: "Boot to ready on the AWS twin: the base image vs a baked image (npm run vpc -- image)",
  committerCost: "S3A magic committer vs FileOutputCommitter v2: parquet to s3a://",
} as const;

export type Section = keyof typeof sectionTitles;

/** The sections one run measured, each with that run's information. */
export function sectionsOf(report: BenchReport): Sections {
  const {
    ratios: _ratios,
    ratioRanges: _ranges,
    localOverhead,
    upload,
    synthesis,
    startup,
    launchModel,
    motoApply,
    awsTwin,
    bakedImage,
    committerCost,
    ...run
  } = report;
  const data: { [S in Section]?: SectionData[S] } = {
    localOverhead,
    upload,
    synthesis,
    startup,
    motoApply,
    launchModel,
    awsTwin,
    bakedImage,
    committerCost,
  };
  const out: Record<string, SectionReport> = {};
  for (const section of Object.keys(sectionTitles) as Section[]) {
    const value = data[section];
    if (value) out[section] = { section, run, data: value } as SectionReport;
  }
  return out as Sections;
}

export interface Comparison {
  readonly name: string;
  /** The median of the per-pair/per-round ratios, or a ratio of medians when there is no pairing. */
  readonly value: number;
  readonly spread?: Sample;
  readonly goal?: { readonly bound: number; readonly atMost: boolean };
}

/** Issue 26's goal: a baked image's wait-ready at most a third of the base image's, on the twin. */
const bakedReadyGoal = { bound: 1 / 3, atMost: true } as const;

/** The ratios a section's data gives, as the summary shows them. */
export function comparisons(sections: Sections): Comparison[] {
  const out: Comparison[] = [];
  const startup = sections.startup?.data;
  if (startup) {
    out.push({
      name: "burst --help / node -e 0",
      value: startup.helpRatio.median,
      spread: startup.helpRatio,
      goal: { bound: 3, atMost: true },
    });
    out.push({
      name: "burst validate / node -e 0",
      value: startup.validateRatio.median,
      spread: startup.validateRatio,
      goal: { bound: 4, atMost: true },
    });
  }
  const synthesis = sections.synthesis?.data;
  if (synthesis) {
    for (const [label, points] of [
      ["aws", synthesis.aws],
      ["local", synthesis.local],
    ] as const) {
      const first = points[0];
      const last = points[points.length - 1];
      if (first && last)
        out.push({
          name: `${label} synth time, ${last.workers} / ${first.workers} workers`,
          value: last.ms.median / first.ms.median,
        });
    }
  }
  const moto = sections.motoApply?.data;
  if (moto) {
    const points = moto.points;
    const name = `${points[points.length - 1]?.workers} / ${points[0]?.workers} workers`;
    out.push({
      name: `aws apply time against moto, ${name}`,
      value: moto.applyRatio.median,
      spread: moto.applyRatio,
      goal: { bound: 1.2, atMost: true },
    });
    out.push({
      name: `aws destroy time against moto, ${name}`,
      value: moto.destroyRatio.median,
      spread: moto.destroyRatio,
    });
  }
  const upload = sections.upload?.data;
  if (upload) {
    const [small, large] = upload.cases;
    for (const [label, entry] of [
      ["upload small files", small],
      ["upload large file", large],
    ] as const) {
      if (entry)
        out.push({
          name: `${label}: burst throughput / aws s3 sync`,
          value: entry.ratio,
          spread: entry.ratios,
          goal: { bound: 1, atMost: false },
        });
    }
  }
  const overhead = sections.localOverhead?.data;
  if (overhead)
    out.push({
      name: "local burst time / bare Spark time",
      value: overhead.ratio.median,
      spread: overhead.ratio,
      goal: { bound: 1.1, atMost: true },
    });
  const committer = sections.committerCost?.data;
  if (committer)
    out.push({
      name: "magic committer / FileOutputCommitter v2, write time",
      value: committer.ratio.median,
      spread: committer.ratio,
    });
  const twin = sections.awsTwin?.data;
  if (twin)
    out.push({
      name: "aws burst on the twin / local burst, total time",
      value: (twin.aws.total?.median ?? 0) / (twin.local.total?.median ?? 1),
    });
  const bakedImage = sections.bakedImage?.data;
  if (bakedImage)
    out.push({
      name: "wait-ready on the twin, baked image / base image",
      value: bakedImage.readyRatio.median,
      spread: bakedImage.readyRatio,
      goal: bakedReadyGoal,
    });
  return out;
}

const fixed = (value: number, digits = 2) => value.toFixed(digits);
const range = (value: Range) => `${Math.round(value.low)}-${Math.round(value.high)} s`;
const verdict = (met: boolean) => (met ? "met" : "**not met**");

/** A goal's verdict with the spread: the median meeting it is not enough when a pair did not. */
export function judge(comparison: Comparison): string {
  const { goal, value, spread } = comparison;
  if (!goal) return "-";
  const bound = `${goal.atMost ? "≤" : "≥"} ${goal.bound.toFixed(goal.bound < 2 ? 2 : 0)}`;
  const meets = (x: number) => (goal.atMost ? x <= goal.bound : x >= goal.bound);
  if (!spread || spread.values.length === 1) return `${bound} (${verdict(meets(value))})`;
  const worst = goal.atMost ? spread.max : spread.min;
  const each = spread.values.length;
  if (meets(worst)) return `${bound} (met in ${each === 2 ? "both" : `all ${each}`})`;
  if (meets(value)) {
    const missed = spread.values.filter((x) => !meets(x)).length;
    return `${bound} (met by the median; **not met** in ${missed} of ${each}, worst ${fixed(worst)}×)`;
  }
  return `${bound} (**not met**: median ${fixed(value)}×, worst ${fixed(worst)}×)`;
}

/** The higher of the run's load averages at its start and end: what the figures were measured beside. */
const peakLoad = ({ machine }: RunInfo): number => Math.max(machine.loadAverage, machine.loadAverageAtEnd ?? 0);

/** "Measured ... at commit ... by `command` on ...; load ..." for one section's run. */
export function describeRun(run: RunInfo): string {
  const { machine } = run;
  const load = peakLoad(run);
  const commit = run.commit
    ? `commit \`${run.commit.slice(0, 10)}\`${run.dirty ? " (with uncommitted changes)" : ""}`
    : "an unrecorded commit";
  return (
    `Measured ${run.generatedAt.slice(0, 16).replace("T", " ")} UTC at ${commit} by \`${run.command}\`` +
    `${run.quick ? " (**quick run**: one repetition, smaller sizes)" : ""}, on ${machine.cpus} × ${machine.cpuModel}, ` +
    `${machine.memoryGiB} GiB${machine.os ? `, ${machine.os}` : ""}${machine.node ? `, Node ${machine.node}` : ""}; 1-minute load average ` +
    `${fixed(machine.loadAverage, 1)} at the start${machine.loadAverageAtEnd === undefined ? "" : ` and ${fixed(machine.loadAverageAtEnd, 1)} at the end`}` +
    `${load >= machine.cpus / 2 ? ` (**a shared machine**: other work ran beside the benchmark on its ${machine.cpus} cores)` : ""}.` +
    `${run.source ? ` ${run.source}` : ""}`
  );
}

export function renderMarkdown(sections: Sections): string {
  const out: string[] = [];
  out.push(
    "<!-- Generated from docs/bench/*.json by `npm run bench:docs` (scripts/bench/docs.ts); do not edit by hand. -->",
    "# Benchmarks",
    "",
    "Machines are noisy, so every comparison is measured side by side in one run and reported as a",
    "ratio; read the ratios, not the absolute times. Ratios taken per pair or per round show their",
    "median with the range (min-max) over the pairs, and a goal is met only when every pair meets it.",
    "Every sample is in `docs/bench/<section>.json`, with the machine, its load, the date, the commit",
    "and the command; this page and the figures in README.md and docs/aws.md are generated from them",
    "(`npm run bench:docs`; `test/scripts/bench/docs.test.ts` fails when they differ). Re-measure with",
    "`npm run bench -- --write` (every section but the twin's; `--only upload,startup` for some, `--quick`",
    "for a fast pass), which rewrites the sections it ran and regenerates the pages.",
    "",
    "## Summary",
    "",
    "| Comparison | Ratio | Goal |",
    "| --- | --- | --- |",
  );
  for (const comparison of comparisons(sections)) {
    const { spread, value } = comparison;
    const shown =
      spread && spread.values.length > 1
        ? `${fixed(value)}× (${fixed(spread.min)}-${fixed(spread.max)})`
        : `${fixed(value)}×`;
    out.push(`| ${comparison.name} | ${shown} | ${judge(comparison)} |`);
  }
  out.push("");
  const body = (section: Section, lines: string[]) => {
    const run = sections[section]?.run;
    if (!run) return;
    const [title, ...rest] = lines;
    out.push(title ?? "", "", describeRun(run), ...rest);
  };
  if (sections.localOverhead) body("localOverhead", renderOverhead(sections.localOverhead.data));
  if (sections.upload) body("upload", renderUpload(sections.upload.data));
  if (sections.synthesis) body("synthesis", renderSynthesis(sections.synthesis.data));
  if (sections.startup) body("startup", renderStartup(sections.startup.data));
  if (sections.motoApply) body("motoApply", renderMotoApply(sections.motoApply.data));
  if (sections.launchModel) body("launchModel", renderLaunchModel(sections.launchModel.data));
  if (sections.committerCost) body("committerCost", renderCommitterCost(sections.committerCost.data));
  if (sections.awsTwin) body("awsTwin", renderAwsTwin(sections.awsTwin.data));
  if (sections.bakedImage) body("bakedImage", renderBakedImage(sections.bakedImage.data));
  return `${out.join("\n").trimEnd()}\n`;
}

function renderOverhead(result: OverheadResult): string[] {
  const phases = Object.entries(result.burstPhases);
  const total = result.burstSeconds.median;
  const run = result.burstPhases.run ?? 0;
  const submit = result.barePhases["spark-submit"] ?? 0;
  const bareStart = (result.barePhases.master ?? 0) + (result.barePhases.worker ?? 0);
  const burstStart = (result.burstPhases.apply ?? 0) + (result.burstPhases["wait-ready"] ?? 0);
  const destroy = result.burstPhases.destroy ?? 0;
  const idle = result.burstIdle;
  const idleTotal = idle.startup + idle.between + idle.exit;
  // A sum of medians, not the total minus them: medians of parts need not add up to the total's.
  const around = ["params", "validate", "synth", "stage", "clone", "collect"].reduce(
    (sum, phase) => sum + (result.burstPhases[phase] ?? 0),
    0,
  );
  const bareStop = result.barePhases.stop ?? 0;
  const share = (seconds: number) => `${Math.round((100 * seconds) / total)}%`;
  return [
    `## ${sectionTitles.localOverhead}`,
    "",
    "The same PySpark word count on one worker (1 core, 1 GiB), with the same Spark install, reading",
    "its input from S3 and writing its counts back through s3a: by hand (start a master with",
    "`spark-class`, then a worker, wait until it has registered, run the job, stop both) and as a",
    "local burst through the real CLI (`--json`), which also starts an S3 server and an sshd, clones",
    "the job's code over SSH, uploads logs and a manifest, and destroys everything with terraform.",
    "Both sides run the same spark-submit command line (burst's own `jobLaunch`) with the same",
    "`spark-defaults.conf`, `spark-env.sh` and `log4j2.properties` (the local stack's renderers: s3a",
    "endpoint and committer settings, event log on); the bare side's S3 server serves the same data",
    "folder and is up before its run starts, as S3 is for someone running bare Spark.",
    "",
    "```",
    result.submitted.join(" "),
    "```",
    "",
    `${result.pairs} ${result.pairs === 1 ? "pair" : "pairs"}; each pair runs both sides back to back, the side that goes first alternating; the`,
    "ratio is taken within each pair.",
    "",
    "| | Wall time, median (min-max) |",
    "| --- | --- |",
    `| bare Spark daemons + spark-submit | ${formatSample(result.bareSeconds, "s")} |`,
    `| local burst | ${formatSample(result.burstSeconds, "s")} |`,
    `| **ratio burst / bare, per pair** | **${fixed(result.ratio.median)}× (${fixed(result.ratio.min)}-${fixed(result.ratio.max)})** |`,
    "",
    `Every pair's ratio, in order: ${result.ratio.values.map((value) => `${fixed(value)}×`).join(", ")}. ` +
      `Goal ${judge({ name: "", value: result.ratio.median, spread: result.ratio, goal: { bound: 1.1, atMost: true } })}.`,
    "",
    "Where the burst's time goes (median seconds per phase, from its `phase-start`/`phase-end`",
    "events; the rows in brackets are the time in no phase at all):",
    "",
    "| Phase | Seconds | Share |",
    "| --- | --- | --- |",
    `| (start-up: process start to the first phase) | ${fixed(idle.startup, 2)} | ${share(idle.startup)} |`,
    ...phases.map(([phase, seconds]) => `| ${phase} | ${fixed(seconds, 2)} | ${share(seconds)} |`),
    `| (gaps between phases; largest ${fixed(idle.largestGap.seconds, 2)} s before \`${idle.largestGap.before}\`) | ${fixed(idle.between, 2)} | ${share(idle.between)} |`,
    `| (exit: the last phase's end to the process's) | ${fixed(idle.exit, 2)} | ${share(idle.exit)} |`,
    "",
    "The bare run, step by step:",
    "",
    "| Step | Seconds |",
    "| --- | --- |",
    ...Object.entries(result.barePhases).map(([step, seconds]) => `| ${step} | ${fixed(seconds, 2)} |`),
    "",
    `Reading it: the job itself (burst \`run\` ${fixed(run, 1)} s, bare \`spark-submit\` ${fixed(submit, 1)} s) dominates both; ` +
      `burst's \`run\` also starts the job over SSH and learns its end from the job runner's lock (\`run\` − \`spark-submit\` = ${fixed(run - submit, 1)} s here). ` +
      `Bringing the cluster up takes ${fixed(burstStart, 1)} s in burst (\`apply\` + \`wait-ready\`: S3 server, sshd, ` +
      `master and worker started in parallel by terraform, then the worker's registration) against ${fixed(bareStart, 1)} s ` +
      `by hand (master, then worker). Taking it down: \`destroy\` ${fixed(destroy, 1)} s against ${fixed(bareStop, 1)} s to stop ` +
      `the bare daemons. Everything else burst does (params, synth, stage, clone, collect and upload) takes ${fixed(around, 1)} s, ` +
      `and ${fixed(idleTotal, 1)} s is outside any phase (Node start-up and exit, and the gaps).`,
    "",
    `Every command burst runs on the master goes over SSH. Here each one first waits ${Math.round(result.sshShellMs)} ms ` +
      "for the login shell to start (bash reads `~/.bashrc` for commands run by sshd; on this machine root's runs " +
      "`pyenv init`).",
    "",
  ];
}

function renderUpload(result: UploadResult): string[] {
  const runs = (values: readonly number[]) => values.map((value) => value.toFixed(2)).join(", ");
  const spread = (entry: UploadResult["cases"][number]) =>
    entry.ratios && entry.ratios.values.length > 1
      ? `${fixed(entry.ratio)}× (${fixed(entry.ratios.min)}-${fixed(entry.ratios.max)})`
      : `${fixed(entry.ratio)}×`;
  const start = result.startSeconds;
  return [
    `## ${sectionTitles.upload}`,
    "",
    "The same local files uploaded by burst's `ObjectStore.uploadPath` (what `collect` and `stage` run)",
    `and by \`aws s3 sync\` (${result.awsVersion.split(" ")[0]}) to a versitygw S3 server`,
    "on loopback, each to a fresh bucket, each checked by listing what arrived. Both are timed the same",
    "way: as a process, from its start to its exit, start-up included (burst's through",
    "`scripts/bench/upload-process.mjs`, the compiled code `npm run burst` runs; aws's Python start-up",
    "likewise). Each upload starts after `sync`, and the two tools take turns going first; the ratio is",
    "taken within each round (aws time / burst time), median (min-max) over the rounds.",
    "",
    ...(result.settings
      ? [
          `Each side runs with its own defaults, which differ: burst ${result.settings.burst}; the aws CLI`,
          `${result.settings.aws}. This compares what each does out of the box, not equal concurrency.`,
          "",
        ]
      : []),
    "| Files | burst | aws s3 sync | Throughput ratio (burst / aws), per round |",
    "| --- | --- | --- | --- |",
    ...result.cases.map(
      (entry) =>
        `| ${entry.name} | ${formatSample(entry.burstSeconds, "s", 2)} (${throughput(entry.bytes, entry.burstSeconds.median)}) | ` +
        `${formatSample(entry.awsSeconds, "s", 2)} (${throughput(entry.bytes, entry.awsSeconds.median)}) | ${spread(entry)} |`,
    ),
    "",
    ...(start ? startupShare(result, start) : []),
    "Every run, in order (seconds):",
    "",
    ...result.cases.flatMap((entry) => [
      `- ${entry.name}: burst ${runs(entry.burstSeconds.values)}; aws s3 sync ${runs(entry.awsSeconds.values)}`,
    ]),
    ...(start
      ? [`- start-up and one request: burst ${runs(start.burst.values)}; aws s3 ls ${runs(start.aws.values)}`]
      : []),
    "",
  ];
}

/** Each side's start-up beside each case's gap between the tools, in figures. */
function startupShare(result: UploadResult, start: NonNullable<UploadResult["startSeconds"]>): string[] {
  const startGap = start.aws.median - start.burst.median;
  const gaps = result.cases.map(
    (entry) => `${entry.name} ${fixed(entry.awsSeconds.median - entry.burstSeconds.median)} s`,
  );
  return [
    "Every time above includes the process's start-up. Starting it and making one request (listing a",
    `bucket, once per round) took burst ${formatSample(start.burst, "s", 2)} and \`aws s3 ls\` ${formatSample(start.aws, "s", 2)}:`,
    `a start-up gap of ${fixed(startGap)} s between the medians, against a gap of the upload times' medians (aws − burst) of`,
    `${gaps.join("; ")}. Where the two gaps are close, the difference is start-up, not transfer.`,
    "",
  ];
}

function throughput(bytes: number, seconds: number): string {
  const mib = bytes / 1024 / 1024 / seconds;
  return mib >= 10 ? `${Math.round(mib)} MiB/s` : `${mib.toFixed(1)} MiB/s`;
}

function renderSynthesis(result: {
  readonly aws: readonly SynthPoint[];
  readonly local: readonly SynthPoint[];
}): string[] {
  const table = (points: readonly SynthPoint[]) => {
    const first = points[0];
    return points.map(
      (point) =>
        `| ${point.workers} | ${point.resources} | ${formatSample(point.ms, "ms", 0)} | ${first ? fixed(point.ms.median / first.ms.median) : "-"}× |`,
    );
  };
  return [
    `## ${sectionTitles.synthesis}`,
    "",
    `In-process CDKTF synthesis (construct tree + writing cdk.tf.json): one unmeasured synthesis of every`,
    `size first, then ${result.aws[0]?.ms.values.length ?? 0} round(s), each visiting the sizes in a new random order. AWS: the`,
    "per-run `SparkClusterStack` (workers are one EC2 Fleet request); local: the local target's own",
    "prepare + synth (one `terraform_data` per worker, without CDKTF's construct validation, which runs",
    "`terraform version` once per `terraform_data`).",
    "",
    "| AWS workers | Resources | Synth time | vs 1 worker |",
    "| --- | --- | --- | --- |",
    ...table(result.aws),
    "",
    "| Local workers | Resources | Synth time | vs 1 worker |",
    "| --- | --- | --- | --- |",
    ...table(result.local),
    "",
  ];
}

function renderStartup(result: StartupResult): string[] {
  const rounds = result.nodeMs.values.length;
  const row = (command: string, ms: Sample, ratio?: Sample) =>
    `| ${command} | ${formatSample(ms, "ms", 0)} | ${ratio ? `${fixed(ratio.median)}× (${fixed(ratio.min)}-${fixed(ratio.max)})` : "1.00×"} |`;
  return [
    `## ${sectionTitles.startup}`,
    "",
    "What `npm run burst -- --help` and `npm run burst -- validate examples/wordcount/spark.yml` run",
    "(`node scripts/run.mjs burst ...`: the compiled CLI in dist/, no TypeScript loader, each command",
    "importing only its own modules), without npm's own start-up, against `node -e 0`. After one",
    `unmeasured run of each, ${rounds} rounds each ran the three back to back in a rotating order; the`,
    "ratio is taken per round and shown as median (min-max) over the rounds.",
    "",
    "| Command | Time | Ratio to node -e 0 of the same round |",
    "| --- | --- | --- |",
    row("node -e 0", result.nodeMs),
    row("burst --help", result.helpMs, result.helpRatio),
    row(`burst validate ${validatedSpec}`, result.validateMs, result.validateRatio),
    "",
  ];
}

/** A sample of milliseconds as seconds. */
function inSeconds(ms: Sample): Sample {
  const values = ms.values.map((value) => value / 1000);
  return { values, median: ms.median / 1000, min: ms.min / 1000, max: ms.max / 1000 };
}

/** docs/aws.md's figures: the moto apply section's table and ratios, with the run that measured them. */
export function motoApplyRegion(report: SectionReport<"motoApply">): string {
  const lines = renderMotoApply(report.data);
  const table = lines.indexOf("| Workers | Resources | Apply | Destroy |");
  const what = lines.slice(0, table).findIndex((line) => / workers, (once|\d+ repetitions)/.test(line));
  return [describeRun(report.run), ...lines.slice(what, table), ...lines.slice(table)].join("\n").trimEnd();
}

/** "1.31× (1.23-1.51)": a per-round ratio's median and range. */
const times = (ratio: Sample) =>
  ratio.values.length === 1
    ? `${fixed(ratio.median)}×`
    : `${fixed(ratio.median)}× (${fixed(ratio.min)}-${fixed(ratio.max)})`;

function renderCommitterCost(result: CommitterCostResult): string[] {
  const rounds = result.ratio.values.length;
  return [
    `## ${sectionTitles.committerCost}`,
    "",
    `The same ${result.rows.toLocaleString("en")}-row DataFrame written as ${result.files} parquet files to \`s3a://\` on versitygw from one`,
    "Spark session (local[2]), alternately with the FileOutputCommitter (algorithm 2, what burst used",
    "before) and the S3A magic committer (what burst configures: files stay pending multipart uploads",
    `until the job commits), timed in the driver; ${rounds === 1 ? "one round" : `${rounds} rounds`} after one unmeasured round of each.`,
    "What burst chose it for is correctness (no partial output after a lost executor), not speed. On AWS",
    "S3 a rename is a server-side copy of every byte, which the magic committer avoids; that is not",
    "measured here (no AWS account).",
    "",
    "| Committer | Write time |",
    "| --- | --- |",
    `| FileOutputCommitter v2 | ${formatSample(result.fileV2, "s", 2)} |`,
    `| S3A magic committer | ${formatSample(result.magic, "s", 2)} |`,
    `| magic / file-v2, per round | ${times(result.ratio)} |`,
  ];
}

/** docs/aws.md's and docs/reliability.md's sentence on the committer's cost, with the run it comes from. */
export function committerCostRegion(report: SectionReport<"committerCost">): string {
  const { data, run } = report;
  const { machine } = run;
  const load = peakLoad(run);
  const rounds = data.ratio.values.length;
  return (
    `\`npm run bench -- --only committerCost\` writes the same ${data.rows.toLocaleString("en")}-row, ${data.files}-file parquet DataFrame to\n` +
    `\`s3a://\` on versitygw from one Spark session (local[2]), alternating committers, ${rounds === 1 ? "one round" : `${rounds} rounds`} after an\n` +
    `unmeasured warm-up (${run.generatedAt.slice(0, 10)}, load average ${fixed(load, 1)} on ${machine.cpus} cores): FileOutputCommitter v2\n` +
    `${formatSample(data.fileV2, "s", 2)}, magic committer ${formatSample(data.magic, "s", 2)}, magic / file-v2 ${times(data.ratio)}\n` +
    `per round: the magic committer is ${data.ratio.median > 1 ? "slower" : "faster"} here (docs/benchmarks.md).`
  );
}

/** docs/aws.md's node-role table: one part of the twin's wait-ready (a step of the master, or the whole). */
export function twinReadyFigure(report: SectionReport<"awsTwin">, part: string): string {
  const value = part === "wait-ready" ? report.data.aws["wait-ready"] : report.data.awsReady[part];
  if (!value)
    throw new Error(`docs/bench/awsTwin.json has no ${part}: run \`npm run bench -- --only awsTwin --write\``);
  return formatSample(value, "s");
}

/** ... and which runs those figures come from. */
export function twinRunsRegion(report: SectionReport<"awsTwin">): string {
  const { machine } = report.run;
  const load = peakLoad(report.run);
  return (
    `median (range) of ${report.data.runs} run(s) of \`npm run bench -- --only awsTwin\`, ` +
    `${report.run.generatedAt.slice(0, 10)}, load average ${fixed(load, 1)} on ${machine.cpus} cores`
  );
}

/** docs/operations.md's sentence on what baking saves on the twin, with the issue's goal. */
export function bakedImageRegion(report: SectionReport<"bakedImage">): string {
  const { base, baked, readyRatio, runs } = report.data;
  const seconds = (value: Sample | undefined) => (value ? `${fixed(value.median, 1)} s` : "—");
  const install = base["install-spark"];
  return (
    `the word count's nodes were ready ${seconds(baked["wait-ready"])} after apply from a baked image against ` +
    `${seconds(base["wait-ready"])} from the base image (medians of ${runs} alternating pairs, ` +
    `${report.run.generatedAt.slice(0, 10)}, load average ${fixed(peakLoad(report.run), 1)}; the master's ` +
    `\`install-spark\` alone took ${install ? `${fixed(install.min, 1)}-${fixed(install.max, 1)} s` : "—"} there, from a ` +
    `bucket on the same host): ${fixed(readyRatio.median)}× of the base image's wait per pair ` +
    `(${fixed(readyRatio.min)}-${fixed(readyRatio.max)}×), goal ` +
    judge({ name: "", value: readyRatio.median, spread: readyRatio, goal: bakedReadyGoal })
  );
}

/** README's sentence on the local overhead: the median, every pair's spread, the goal and the load. */
export function overheadRegion(report: SectionReport<"localOverhead">): string {
  const { ratio } = report.data;
  const { machine } = report.run;
  return (
    `The local burst's overhead over bare Spark daemons running the same s3a job is ${fixed(ratio.median)}× per pair, ` +
    `median of ${ratio.values.length} (${fixed(ratio.min)}-${fixed(ratio.max)}×; load average ` +
    `${fixed(peakLoad(report.run), 1)} on ${machine.cpus} cores, ${report.run.generatedAt.slice(0, 10)}), goal ` +
    judge({ name: "", value: ratio.median, spread: ratio, goal: { bound: 1.1, atMost: true } })
  );
}

function renderMotoApply(result: MotoApplyResult): string[] {
  const first = result.points[0];
  const last = result.points[result.points.length - 1];
  const spread = (value: Sample) => `${fixed(value.median)}× (${fixed(value.min)}-${fixed(value.max)})`;
  return [
    `## ${sectionTitles.motoApply}`,
    "",
    `\`terraform apply\` and \`terraform destroy\` (${result.terraform}) of the per-run \`SparkClusterStack\`, with the`,
    "real hashicorp/aws 5.100.0 provider from the local mirror, against a local `moto_server` (one VPC",
    "with two subnets made beforehand). moto answers at once and boots nothing, so this measures what",
    "burst's stack costs in terraform, provider and API round trips, not EC2's launch times.",
    `${result.points.map((point) => point.workers).join(" and ")} workers, ${result.applyRatio.values.length === 1 ? "once" : `${result.applyRatio.values.length} repetitions`}${result.warmUp ? " after one unmeasured apply and destroy" : ""}, the sizes in alternating order; the ratio is`,
    "taken per repetition, median (min-max).",
    "",
    "| Workers | Resources | Apply | Destroy |",
    "| --- | --- | --- | --- |",
    ...result.points.map(
      (point) =>
        `| ${point.workers} | ${point.resources} | ${formatSample(inSeconds(point.applyMs), "s")} | ${formatSample(inSeconds(point.destroyMs), "s")} |`,
    ),
    "",
    `Apply, ${last?.workers} / ${first?.workers} workers: ${spread(result.applyRatio)}, goal ` +
      `${judge({ name: "", value: result.applyRatio.median, spread: result.applyRatio, goal: { bound: 1.2, atMost: true } })}. ` +
      `Destroy: ${spread(result.destroyRatio)}.`,
    "",
  ];
}

/** Issue 26's goal for the model: from a baked image, 100 workers ready within 90 s of apply's start. */
function bakedGoal(models: readonly LaunchModel[]): string {
  const model = models.find((candidate) => candidate.workers === 100);
  if (model === undefined)
    return "Goal, 100 workers ready within 90 s from a baked image: no 100-worker model in this run.";
  const { low, high } = model.readyBaked;
  const verdict = high <= 90 ? "met, even at the high end" : low <= 90 ? "**not met** at the high end" : "**not met**";
  return `Goal, 100 workers ready within 90 s of apply's start from a baked image: ${range(model.readyBaked)}, ${verdict}.`;
}

function renderLaunchModel(models: readonly LaunchModel[]): string[] {
  const first = models[0];
  const last = models[models.length - 1];
  const assumptions = [
    ...Object.entries(resourceTimes).map(([type, entry]) => [type.replace(/^data_/, "data."), entry] as const),
    ...Object.values(afterCreate).map((entry) => ["(after create)", entry] as const),
  ];
  return [
    `## ${sectionTitles.launchModel}`,
    "",
    "**This is a model, not a measurement**: nothing here launched an instance. The AWS cluster stack",
    "is synthesized for each worker count and its dependency graph walked (every `depends_on` and every",
    "reference inside `${...}` expressions, through locals), as terraform would order the creates.",
    "Each resource is weighted by the assumed time below; compute resources add the assumed EC2 and",
    "bootstrap times after terraform creates them. `apply` is the graph's longest chain; `ready` adds",
    "boot until every node runs Spark (the lifecycle's `wait-ready`).",
    "",
    "Assumptions (seconds, low-high) and where they come from:",
    "",
    "| Resource | What | Seconds | Basis |",
    "| --- | --- | --- | --- |",
    ...assumptions.map(([type, entry]) => `| ${type} | ${entry.what} | ${range(entry.seconds)} | ${entry.basis} |`),
    "",
    `Critical path (same at every worker count): ${first?.criticalPath.join(" → ") ?? "-"}.`,
    "",
    "| Workers | Resources | Graph nodes / edges | apply | ready (base AMI) | ready (baked AMI) | apply if one aws_instance per worker |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...models.map(
      (model) =>
        `| ${model.workers} | ${model.resources} | ${model.nodes} / ${model.edges} | ${range(model.apply)} | ` +
        `${range(model.ready)} | ${range(model.readyBaked)} | ${range(model.perInstanceApply)} |`,
    ),
    "",
    bakedGoal(models),
    "",
    `Flat in the worker count: the graph is the same for ${first?.workers} and ${last?.workers} workers, because the`,
    "workers are one `aws_ec2_fleet` (type instant) that depends only on its launch template, which",
    "needs the master's network interface (its fixed private IP) but not the master instance: master",
    "and workers launch in parallel. The last column is the counterfactual of one `aws_instance` per",
    "worker under terraform's default `-parallelism=10`. What the model leaves out: with many workers",
    "the slowest of N boots sets `ready` (a tail that grows slowly with N); a fleet short of capacity",
    "fails its postcondition and burst applies again with other subnets or on-demand workers; account",
    "limits (vCPU quotas, API rate limits) are not modelled.",
    "",
  ];
}

function renderAwsTwin(result: AwsTwinResult): string[] {
  const seconds = (value: Sample | undefined) => (value ? formatSample(value, "s") : "—");
  return [
    `## ${sectionTitles.awsTwin}`,
    "",
    "`examples/wordcount/spark.yml` (1 master + 2 workers), run alternately on the local target and with",
    "`--target aws` on the AWS twin (`scripts/servers/twin/`): the real provider applying against moto,",
    "every instance a Debian 12 system container booted by cloud-init with its own user data, Spark",
    "installed from the staged artifacts, s3a through the instance role's IMDSv2 credentials.",
    `${result.runs} run(s) of each; median (range). The twin's own start (node root, node mirror, moto,`,
    `Consul, \`vpc deploy\`, \`vpc stage\`) took ${result.twinStartSeconds.toFixed(0)} s, once.`,
    "",
    "| Phase | aws on the twin | local |",
    "| --- | --- | --- |",
    // The parts the run recorded, not today's list: a committed run keeps the steps it measured.
    ...Object.keys(result.aws).map(
      (phase) => `| ${phase} | ${seconds(result.aws[phase])} | ${seconds(result.local[phase])} |`,
    ),
    "",
    "wait-ready on the twin, split at the master's node-role steps as the CLI read them from its",
    "console (read every second for 3 nodes: `consolePollMs` in src/lifecycle/node-bootstrap.ts):",
    "",
    "| Part of wait-ready | seconds |",
    "| --- | --- |",
    ...Object.keys(result.awsReady).map((step) => `| ${step} | ${seconds(result.awsReady[step])} |`),
    "",
    "Where the time goes: `apply` and `destroy` are terraform and the provider against moto (the same",
    "half-minute whatever the size: see the moto section); the containers boot while apply still",
    "waits on the fleet, so the first node step shows right after it. On a base image every node",
    "installs pyspark, its Python packages and the s3a jars (`install-spark`, from the staged",
    "artifacts) before it starts Spark; EC2's own boot and downloads over a real network are not in",
    "these figures.",
    "",
  ];
}

function renderBakedImage(result: BakedImageResult): string[] {
  const seconds = (value: Sample | undefined) => (value ? formatSample(value, "s") : "—");
  return [
    `## ${sectionTitles.bakedImage}`,
    "",
    "`examples/wordcount/spark.yml` (1 master + 2 workers) with `--target aws` on the AWS twin, alternately",
    "from the base image (the Debian 12 root: every node installs pyspark, its wheels and the s3a jars",
    "from the staged artifacts bucket) and from the image `npm run vpc -- image` baked once in the same",
    "run (the builder's disk over that root: nodes skip the install steps). The base-image runs set the",
    "image's Consul record aside, so the burst picks the base image as it does when nothing is baked.",
    `${result.runs} pair(s); median (range). The bake itself took ${result.bakeSeconds.toFixed(0)} s; the twin's start`,
    `${result.twinStartSeconds.toFixed(0)} s, once.`,
    "",
    "| Part | base image | baked image |",
    "| --- | --- | --- |",
    ...Object.keys(result.base).map(
      (part) => `| ${part} | ${seconds(result.base[part])} | ${seconds(result.baked[part])} |`,
    ),
    "",
    `wait-ready, baked / base, per pair: ${formatSample(result.readyRatio, "×", 2)}. \`wait-ready\` starts when`,
    "apply returns and ends when every node is ready; `install-spark` is the master's step as the CLI read",
    "its console (read every second for 3 nodes; 0 when the step never ran). On the twin the nodes'",
    "downloads come from a bucket on the same host, names from the twin's VPC resolver, and EC2's own",
    "boot is not in these figures (docs/aws.md).",
    "",
  ];
}
