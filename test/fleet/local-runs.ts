// Real local runs for the fleet tests, without Spark: each run folder holds a tiny terraform
// stack (one terraform_data whose create provisioner starts a detached `sleep` in its own session
// and writes its pid, and whose destroy provisioner kills it), applied with the real terraform,
// and a run record like the lifecycle writes. The owner pid is a real process: alive (a child
// we stop later) or dead (a child that has exited).

import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resourcesInState } from "../../src/fleet/status.ts";
import type { Outcome } from "../../src/lifecycle/events.ts";
import { listRecords, type RunRecord, runsRoot, writeRecord } from "../../src/lifecycle/run-record.ts";
import { run, which } from "../../src/util/exec.ts";

export function terraformBinary(): string {
  const binary = which(process.env.TERRAFORM_BINARY_NAME || "terraform") ?? which("tofu");
  if (!binary) throw new Error("terraform (or TERRAFORM_BINARY_NAME) is needed by the fleet tests");
  return binary;
}

export const makeHome = () => mkdtemp(join(tmpdir(), "burst-fleet-"));

/** Whether `pid` is a running process (a zombie waiting for a reaper counts as gone). */
export function processRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** The pid of a process that has exited. */
export async function deadPid(): Promise<number> {
  const child = spawn("true", { stdio: "ignore" });
  await new Promise((resolve) => child.once("exit", resolve));
  if (child.pid === undefined) throw new Error("could not start `true`");
  return child.pid;
}

/** A live stand-in for a CLI process that owns a run. */
export function liveOwner(): { pid: number; stop: () => void } {
  const child = spawn("sleep", ["1000"], { stdio: "ignore" });
  if (child.pid === undefined) throw new Error("could not start `sleep`");
  return { pid: child.pid, stop: () => child.kill("SIGKILL") };
}

export interface RunSetup {
  readonly runId: string;
  readonly pid: number;
  /** Minutes from now; negative for a TTL that has passed. */
  readonly expiresInMinutes: number;
  readonly kept?: boolean;
  readonly outcome?: Outcome;
  /** A destroy provisioner that fails (exit 1). */
  readonly failingDestroy?: boolean;
  readonly target?: "local" | "aws";
}

export interface LocalRun {
  readonly record: RunRecord;
  /** The pid of the cluster's `sleep` (what destroy must stop). */
  readonly nodePid: number;
}

/** A run folder with an applied tiny cluster and its record. */
export async function createLocalRun(burstHome: string, setup: RunSetup): Promise<LocalRun> {
  const runDir = join(runsRoot(burstHome), setup.runId);
  const stackDir = join(runDir, "stack");
  await mkdir(stackDir, { recursive: true });
  const pidFile = join(runDir, "node.pid");
  const kill = `pid="$(cat '${pidFile}')"; kill "$pid" 2>/dev/null; true`;
  const stack = {
    resource: {
      terraform_data: {
        node: {
          input: { pid_file: pidFile },
          provisioner: [
            { "local-exec": { command: `setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo $! > '${pidFile}'` } },
            { "local-exec": { when: "destroy", command: setup.failingDestroy ? "exit 1" : kill } },
          ],
        },
      },
    },
  };
  await writeFile(join(stackDir, "cdk.tf.json"), `${JSON.stringify(stack, null, 2)}\n`);
  const binary = terraformBinary();
  const applied = await run(binary, ["apply", "-auto-approve", "-input=false", "-no-color"], {
    cwd: stackDir,
    env: { TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1", TF_CLI_CONFIG_FILE: cliConfig() },
    timeoutMs: 120_000,
  });
  if (applied.code !== 0) throw new Error(`terraform apply failed:\n${applied.stderr}${applied.stdout}`);
  const record = await writeRunRecord(burstHome, { ...setup, terraformBinary: binary });
  return { record, nodePid: Number((await readFile(pidFile, "utf8")).trim()) };
}

/** Only the record of a run (no stack): for what reads nothing but the record and the run folder. */
export async function writeRunRecord(
  burstHome: string,
  setup: RunSetup & { readonly terraformBinary?: string },
): Promise<RunRecord> {
  const runDir = join(runsRoot(burstHome), setup.runId);
  const stackDir = join(runDir, "stack");
  const started = new Date(Date.now() - 10 * 60_000);
  const record: RunRecord = {
    runId: setup.runId,
    name: "wordcount",
    owner: "alice",
    target: setup.target ?? "local",
    specFile: "/work/spark.yml",
    runDir,
    stackDir,
    terraformBinary: setup.terraformBinary ?? "terraform",
    startedAt: started.toISOString(),
    expiresAt: new Date(Date.now() + setup.expiresInMinutes * 60_000).toISOString(),
    resultsUri: `s3://burst-results/runs/wordcount/${setup.runId}/`,
    pid: setup.pid,
    phase: setup.outcome ? "destroy" : "run",
    destroyed: false,
    ...(setup.outcome ? { outcome: setup.outcome, endedAt: new Date().toISOString() } : {}),
    ...(setup.kept ? { kept: true } : {}),
  };
  await writeRecord(record);
  return record;
}

/** Kill the nodes of clusters a test left up (so no `sleep 1000` outlives the tests). */
export async function killLeftoverNodes(burstHome: string): Promise<void> {
  for (const record of await listRecords(burstHome)) {
    if (((await resourcesInState(record.stackDir)) ?? 0) === 0) continue;
    const pidFile = join(record.runDir, "node.pid");
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, "utf8").trim());
      if (processRunning(pid)) process.kill(pid, "SIGKILL");
    }
  }
}

/** A CLI config that exists (an absent TF_CLI_CONFIG_FILE makes terraform warn). */
function cliConfig(): string {
  const configured = process.env.TF_CLI_CONFIG_FILE;
  return configured && existsSync(configured) ? configured : "/dev/null";
}
