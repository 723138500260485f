import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ClusterPlacement } from "../../stacks/contract.ts";
import { infraError } from "../errors.ts";
import type { TargetName } from "../runspec/types.ts";
import type { ActualCost } from "../targets/contract.ts";
import type { Outcome, Phase } from "./events.ts";

/**
 * A run's own record, kept in its run folder and rewritten at every phase: what `burst list`,
 * `burst down` and `burst gc` read to find clusters a lost terminal left behind.
 */
export interface RunRecord {
  readonly runId: string;
  readonly name: string;
  readonly owner: string;
  /** The machine the CLI runs on (the registry in Consul shows every machine's runs). */
  readonly host?: string;
  readonly target: TargetName;
  readonly specFile: string;
  readonly runDir: string;
  /** Folder terraform runs in (holds the state). */
  readonly stackDir: string;
  readonly terraformBinary: string;
  readonly startedAt: string;
  readonly expiresAt: string;
  readonly resultsUri: string;
  /** The CLI process driving the run; a dead pid with a live cluster is an orphan. */
  readonly pid: number;
  readonly phase: Phase;
  /** Set once the run has ended. */
  readonly outcome?: Outcome;
  readonly endedAt?: string;
  /** True once destroy completed (or nothing was ever provisioned). */
  readonly destroyed: boolean;
  /** Set when the user asked to keep the cluster. */
  readonly kept?: boolean;
  /** Where the cluster ran (AZ and subnet on aws), once applied. */
  readonly placement?: ClusterPlacement;
  /** When apply started: the cluster's first moment, for its cost. */
  readonly clusterStartedAt?: string;
  /** What the run cost, from its nodes' actual lifetimes (set after destroy, when the target can tell). */
  readonly actualCost?: ActualCost;
  /** The target's estimate before launch, beside which the actual cost is shown. */
  readonly costEstimateUsd?: number;
  /** How to reach the master (`burst ssh`), once the cluster answered; the key file stays in the run folder. */
  readonly master?: MasterAccess;
}

export interface MasterAccess {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly privateKeyPath: string;
  /** "ssh-ed25519 AAAA...": the only key the master may present. */
  readonly hostKey: string;
  /** The master's work folder (its env.sh puts Spark on PATH). */
  readonly workDir: string;
}

export function runsRoot(burstHome: string): string {
  return join(burstHome, "runs");
}

/** Sortable, readable and unique: 20261122-030101-a1b2. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${stamp}-${randomBytes(2).toString("hex")}`;
}

export async function writeRecord(record: RunRecord): Promise<void> {
  await mkdir(record.runDir, { recursive: true, mode: 0o700 });
  const file = join(record.runDir, "run.json");
  // Write then rename: a crash mid-write must not leave a record that cannot be read.
  await writeFile(`${file}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
}

export async function readRecord(runDir: string): Promise<RunRecord | undefined> {
  const file = join(runDir, "run.json");
  if (!existsSync(file)) return undefined;
  const text = await readFile(file, "utf8");
  try {
    return JSON.parse(text) as RunRecord;
  } catch (error) {
    throw infraError(`${file} is not valid JSON (${(error as Error).message})`, {
      hint: "a run record is written atomically by burst; restore it or remove the run folder",
      cause: error,
    });
  }
}

export async function listRecords(burstHome: string): Promise<RunRecord[]> {
  const root = runsRoot(burstHome);
  if (!existsSync(root)) return [];
  const records = await Promise.all(
    (await readdir(root)).map((entry) => readRecord(join(root, entry)).catch(() => undefined)),
  );
  return records
    .filter((record): record is RunRecord => record !== undefined)
    .sort((a, b) => a.runId.localeCompare(b.runId));
}

/** Whether the CLI process that owns a run is still alive. */
export function ownerAlive(record: RunRecord): boolean {
  try {
    process.kill(record.pid, 0);
    return true;
  } catch {
    return false;
  }
}
