// The whole aws burst on the AWS twin (scripts/servers/twin/), phase by phase, beside the same
// word count on the local target, alternating, in one bench run. The phases come from the CLI's
// own --json events; wait-ready is split at the master's node-role steps as the CLI saw them on
// its console (read every second for 3 nodes, so a step's start is known to within that).

import { mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { run } from "../../src/util/exec.ts";
import { startTwin } from "../servers/twin/twin.ts";
import { type Sample, sample } from "./stats.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const cliEntry = join(repoRoot, "scripts", "run.mjs");
const spec = join(repoRoot, "examples", "wordcount", "spark.yml");

/** Phases in the order a run goes through them, then the parts of wait-ready on the aws target. */
export const twinPhases = ["apply", "wait-ready", "stage", "clone", "run", "collect", "destroy", "total"] as const;
/** install-spark: pyspark and the node's Python packages into the venv, then the s3a jars (one step since pyspark comes from PyPI). */
export const readySteps = ["to first step", "install-spark", "start to ready"] as const;

export interface AwsTwinResult {
  readonly runs: number;
  readonly aws: Readonly<Record<string, Sample>>;
  readonly local: Readonly<Record<string, Sample>>;
  /** wait-ready on the twin, split at the master's steps. */
  readonly awsReady: Readonly<Record<string, Sample>>;
  /** Twin start (node root, mirror, moto, Consul, VPC deploy, stage), seconds; once per bench run. */
  readonly twinStartSeconds: number;
}

export interface Event {
  readonly ts: string;
  readonly type: string;
  readonly phase?: string;
  readonly seconds?: number;
  readonly message?: string;
  readonly exitCode?: number;
}

export async function measureAwsTwin(runs: number, log: (line: string) => void): Promise<AwsTwinResult> {
  const started = Date.now();
  const twin = await startTwin({ log });
  const twinStartSeconds = (Date.now() - started) / 1000;
  const scratch = await mkdtemp(join(tmpdir(), "burst-bench-twin-"));
  const home = join(scratch, "home");
  await mkdir(home);
  await symlink(join(process.env.BURST_HOME || join(process.env.HOME ?? "", ".burst"), "cache"), join(home, "cache"));
  const aws: Record<string, number>[] = [];
  const local: Record<string, number>[] = [];
  const ready: Record<string, number>[] = [];
  try {
    for (let index = 0; index < runs; index++) {
      const localEvents = await burstEvents([spec], home, {});
      local.push(phaseSeconds(localEvents));
      const awsEvents = await burstEvents([spec, "--target", "aws", "--yes"], home, twin.env());
      aws.push(phaseSeconds(awsEvents));
      ready.push(readySplit(awsEvents));
      log(`run ${index + 1}: aws ${aws.at(-1)?.total?.toFixed(1)} s, local ${local.at(-1)?.total?.toFixed(1)} s`);
    }
  } finally {
    await twin.stop();
    await rm(join(home, "cache"), { force: true }); // the link only, never the shared cache
    await rm(scratch, { recursive: true, force: true });
  }
  const collect = (rows: Record<string, number>[], names: readonly string[]) =>
    Object.fromEntries(names.map((name) => [name, sample(rows.map((row) => row[name] ?? 0))]));
  return {
    runs,
    aws: collect(aws, twinPhases),
    local: collect(local, twinPhases),
    awsReady: collect(ready, readySteps),
    twinStartSeconds,
  };
}

export async function burstEvents(args: string[], home: string, env: Record<string, string>): Promise<Event[]> {
  const result = await run(process.execPath, [cliEntry, "burst", ...args, "--json"], {
    cwd: repoRoot,
    env: { BURST_HOME: home, NO_COLOR: "1", CONSUL_HTTP_ADDR: undefined, ...env },
    timeoutMs: 30 * 60_000,
  });
  const events = result.stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Event);
  const end = events.find((event) => event.type === "run-end");
  if (result.code !== 0 || end?.exitCode !== 0) {
    throw new Error(`burst ${args.join(" ")} failed (exit ${result.code}):\n${result.stderr.slice(-3000)}`);
  }
  return events;
}

export function phaseSeconds(events: readonly Event[]): Record<string, number> {
  const seconds: Record<string, number> = {};
  for (const event of events) {
    if (event.type === "phase-end" && event.phase) seconds[event.phase] = event.seconds ?? 0;
    if (event.type === "run-end") seconds.total = event.seconds ?? 0;
  }
  return seconds;
}

/** wait-ready's parts: from its start to the master's steps, as the console lines arrived. */
export function readySplit(events: readonly Event[]): Record<string, number> {
  const at = (predicate: (event: Event) => boolean) => {
    const found = events.find(predicate);
    return found ? Date.parse(found.ts) : Number.NaN;
  };
  const begin = at((event) => event.type === "phase-start" && event.phase === "wait-ready");
  const end = at((event) => event.type === "phase-end" && event.phase === "wait-ready");
  const step = (name: string) =>
    at(
      (event) =>
        event.type === "info" && /^master \(/.test(event.message ?? "") && (event.message ?? "").endsWith(`: ${name}`),
    );
  const install = step("install-spark");
  const startMaster = step("start-master");
  const seconds = (from: number, to: number) => (Number.isFinite(from) && Number.isFinite(to) ? (to - from) / 1000 : 0);
  return {
    "to first step": seconds(begin, Math.min(...[install, startMaster].filter(Number.isFinite))),
    "install-spark": seconds(install, startMaster),
    "start to ready": seconds(startMaster, end),
  };
}
