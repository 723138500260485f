// Boot to ready on the AWS twin (scripts/servers/twin/), from the base image and from the image
// `npm run vpc -- image` bakes, in one bench run: the image is baked once (timed), then the word
// count runs alternately from each, the base-image runs with the image's Consul record set aside
// (a burst without a record boots from the base image) and the baked runs with it back.

import { mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startTwin } from "../servers/twin/twin.ts";
import { runVpcScript } from "../servers/vpc-script.ts";
import { burstEvents, phaseSeconds, readySplit } from "./aws-twin.ts";
import { type Sample, sample } from "./stats.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const spec = join(repoRoot, "examples", "wordcount", "spark.yml");
/** What each run reports, per image. */
export const bakedImageParts = ["apply", "wait-ready", "apply to ready", "install-spark"] as const;

export interface BakedImageResult {
  readonly runs: number;
  readonly base: Readonly<Record<string, Sample>>;
  readonly baked: Readonly<Record<string, Sample>>;
  /** Per pair: baked wait-ready / base wait-ready. */
  readonly readyRatio: Sample;
  /** `npm run vpc -- image` on the twin, seconds; once. */
  readonly bakeSeconds: number;
  readonly twinStartSeconds: number;
}

export async function measureBakedImage(runs: number, log: (line: string) => void): Promise<BakedImageResult> {
  const started = Date.now();
  const twin = await startTwin({ log });
  const twinStartSeconds = (Date.now() - started) / 1000;
  const scratch = await mkdtemp(join(tmpdir(), "burst-bench-baked-"));
  const home = join(scratch, "home");
  await mkdir(home);
  await symlink(join(process.env.BURST_HOME || join(process.env.HOME ?? "", ".burst"), "cache"), join(home, "cache"));
  const base: Record<string, number>[] = [];
  const baked: Record<string, number>[] = [];
  let bakeSeconds = 0;
  try {
    const bakeStarted = Date.now();
    const made = await runVpcScript(["image"], {
      cwd: scratch,
      env: { ...process.env, ...twin.env() },
      timeoutMs: 30 * 60_000,
    });
    if (made.code !== 0) throw new Error(`vpc image failed:\n${made.stdout.slice(-2000)}\n${made.stderr.slice(-2000)}`);
    bakeSeconds = (Date.now() - bakeStarted) / 1000;
    log(`baked in ${bakeSeconds.toFixed(1)} s`);
    const records = await twin.consul.kv("burst/vpc/main/images/");
    const [key, record] = [...records][0] ?? [];
    if (key === undefined || record === undefined) throw new Error("vpc image recorded no image");
    for (let index = 0; index < runs; index++) {
      await twin.consul.api("DELETE", `/kv/${key}`);
      base.push(parts(await burstEvents([spec, "--target", "aws", "--yes"], home, twin.env())));
      await twin.consul.api("PUT", `/kv/${key}`, record);
      baked.push(parts(await burstEvents([spec, "--target", "aws", "--yes"], home, twin.env())));
      log(
        `pair ${index + 1}: wait-ready base ${base.at(-1)?.["wait-ready"]?.toFixed(1)} s, baked ${baked.at(-1)?.["wait-ready"]?.toFixed(1)} s`,
      );
    }
  } finally {
    await twin.stop();
    await rm(join(home, "cache"), { force: true }); // the link only, never the shared cache
    await rm(scratch, { recursive: true, force: true });
  }
  const collect = (rows: Record<string, number>[]) =>
    Object.fromEntries(bakedImageParts.map((name) => [name, sample(rows.map((row) => row[name] ?? 0))]));
  return {
    runs,
    base: collect(base),
    baked: collect(baked),
    readyRatio: sample(base.map((row, index) => (baked[index]?.["wait-ready"] ?? 0) / (row["wait-ready"] ?? 1))),
    bakeSeconds,
    twinStartSeconds,
  };
}

function parts(events: Parameters<typeof phaseSeconds>[0]): Record<string, number> {
  const phases = phaseSeconds(events);
  return {
    apply: phases.apply ?? 0,
    "wait-ready": phases["wait-ready"] ?? 0,
    "apply to ready": (phases.apply ?? 0) + (phases["wait-ready"] ?? 0),
    "install-spark": readySplit(events)["install-spark"] ?? 0,
  };
}
