import { appendFileSync, existsSync } from "node:fs";
import { mkdir, open } from "node:fs/promises";
import { join } from "node:path";
import { BurstError } from "../errors.ts";
import { type JobDependencies, jobLaunch } from "../job/command.ts";
import { type FailureDigest, failureDigest } from "../job/failure-digest.ts";
import { scalaLinkageError, scalaMismatchHint } from "../job/failure-hints.ts";
import type { RemoteJob } from "../job/remote-job.ts";
import { SINGLE_JOB_STEP } from "../runspec/schema.ts";
import type { Spec, StepSpec } from "../runspec/types.ts";
import type { EventSink } from "./events.ts";

export interface AttemptRecord {
  /** Folder name of the attempt's logs under results/logs/. */
  readonly folder: string;
  readonly exitCode: number | null;
  readonly seconds: number;
  readonly timedOut: boolean;
}

export interface StepRecord {
  readonly name: string;
  readonly outcome: "succeeded" | "failed" | "interrupted";
  readonly attempts: readonly AttemptRecord[];
  /** What the last attempt's output says about why it failed (e.g. a Scala version mismatch). */
  readonly hint?: string;
  /** What failed in the last attempt, read from its output (the exception, the stage, the last lines). */
  readonly digest?: FailureDigest;
}

export interface StepsResult {
  readonly steps: readonly StepRecord[];
  readonly onError?: StepRecord;
  /** Why the run failed, if a step failed for good or was interrupted. */
  readonly failure?: BurstError;
}

export interface StepsContext {
  readonly job: RemoteJob;
  readonly spec: Spec;
  readonly runId: string;
  readonly sparkMasterUrl: string;
  readonly resultsUri: string;
  readonly deps: JobDependencies;
  readonly sink: EventSink;
  readonly signal: AbortSignal;
  readonly interruptedBy: () => string | undefined;
  /** Local folder where each attempt's streamed lines are appended as they arrive. */
  readonly logsDir: string;
  readonly reconnect: () => Promise<void>;
  /** Called with each attempt's folder as it starts (collect downloads them all). */
  readonly onAttempt: (folder: string) => void;
  /** Every step's timeout in seconds instead of its timeoutMinutes (a test seam: RunSeams). */
  readonly timeoutSeconds?: number;
}

/**
 * Run the spec's steps in order on the one cluster, each retried up to its `retries`; when a
 * step fails for good, run `onError` once (its own outcome does not change the run's).
 */
export async function runSteps(context: StepsContext): Promise<StepsResult> {
  const steps: StepRecord[] = [];
  let failure: BurstError | undefined;
  for (const step of context.spec.steps) {
    const record = await runStep(step, context);
    steps.push(record);
    if (record.outcome === "interrupted") {
      return { steps, failure: new BurstError("interrupted", `interrupted by ${context.interruptedBy()}`) };
    }
    if (record.outcome === "failed") {
      failure = new BurstError("job-failed", describeFailure(step, record), { hint: record.hint });
      break;
    }
  }
  if (!failure || !context.spec.onError) return { steps, failure };
  context.sink({ type: "warning", message: `running onError step "${context.spec.onError.name}"` });
  const onError = await runStep(context.spec.onError, context);
  if (onError.outcome !== "succeeded") {
    context.sink({ type: "warning", message: `the onError step did not succeed (${onError.outcome})` });
  }
  return { steps, onError, failure };
}

async function runStep(step: StepSpec, context: StepsContext): Promise<StepRecord> {
  const attempts: AttemptRecord[] = [];
  const total = step.retries + 1;
  let lastLinkageError: string | undefined;
  for (let attempt = 1; attempt <= total; attempt++) {
    const folder = `${step.name}/attempt-${attempt}`;
    const localDir = join(context.logsDir, step.name, `attempt-${attempt}`);
    await mkdir(localDir, { recursive: true });
    const began = Date.now();
    const launch = jobLaunch(
      step,
      {
        name: context.spec.name,
        runId: context.runId,
        step: step.name,
        sparkMasterUrl: context.sparkMasterUrl,
        resultsUri: context.resultsUri,
      },
      context.deps,
    );
    await context.job.launch(launch, folder);
    context.onAttempt(folder);
    let linkageError: string | undefined;
    const outcome = await context.job.follow({
      onLine: (stream, line) => {
        linkageError ??= scalaLinkageError(line);
        appendFileSync(join(localDir, `${stream}.log`), `${line}\n`);
        // The whole run's output in one file per stream, for `burst logs --follow`.
        appendFileSync(join(context.logsDir, `job-${stream}.log`), `${line}\n`);
        context.sink({ type: "job-log", stream, line });
      },
      timeoutMs: context.timeoutSeconds ? context.timeoutSeconds * 1000 : step.timeoutMinutes * 60_000,
      signal: context.signal,
      reconnect: context.reconnect,
    });
    attempts.push({
      folder,
      exitCode: outcome.exitCode,
      seconds: (Date.now() - began) / 1000,
      timedOut: outcome.timedOut,
    });
    if (outcome.interrupted) return { name: step.name, outcome: "interrupted", attempts };
    if (outcome.exitCode === 0 && !outcome.timedOut) return { name: step.name, outcome: "succeeded", attempts };
    if (attempt < total) {
      const why = outcome.timedOut ? "timed out" : `exited with code ${outcome.exitCode ?? "unknown"}`;
      context.sink({ type: "warning", message: `step "${step.name}" ${why}; retry ${attempt} of ${step.retries}` });
    }
    lastLinkageError = linkageError;
  }
  const hint = lastLinkageError ? scalaMismatchHint(lastLinkageError, context.spec.cluster.spark) : undefined;
  const last = attempts[attempts.length - 1];
  const digest = last
    ? await digestOf(step, last, join(context.logsDir, step.name, `attempt-${attempts.length}`))
    : undefined;
  return { name: step.name, outcome: "failed", attempts, ...(hint ? { hint } : {}), ...(digest ? { digest } : {}) };
}

/** The digest of a failed attempt, from the logs streamed into its local folder; none if they cannot be read. */
async function digestOf(step: StepSpec, attempt: AttemptRecord, localDir: string): Promise<FailureDigest | undefined> {
  try {
    const read = async (stream: string) => (await readEnds(join(localDir, `${stream}.log`))).split("\n");
    return failureDigest({
      jobType: step.type,
      stdout: await read("stdout"),
      stderr: await read("stderr"),
      exitCode: attempt.exitCode,
      timedOut: attempt.timedOut,
      timeoutMinutes: step.timeoutMinutes,
    });
  } catch {
    return undefined;
  }
}

/** How much of each end of a log the digest reads: the first traceback and the last lines, in bounded memory. */
const DIGEST_READ_BYTES = 8 * 1024 * 1024;

async function readEnds(file: string): Promise<string> {
  if (!existsSync(file)) return "";
  const handle = await open(file, "r");
  try {
    const { size } = await handle.stat();
    if (size <= 2 * DIGEST_READ_BYTES) return (await handle.readFile()).toString("utf8");
    const head = Buffer.alloc(DIGEST_READ_BYTES);
    const tail = Buffer.alloc(DIGEST_READ_BYTES);
    await handle.read(head, 0, DIGEST_READ_BYTES, 0);
    await handle.read(tail, 0, DIGEST_READ_BYTES, size - DIGEST_READ_BYTES);
    return `${head.toString("utf8")}\n${tail.toString("utf8")}`;
  } finally {
    await handle.close();
  }
}

function describeFailure(step: StepSpec, record: StepRecord): string {
  const last = record.attempts[record.attempts.length - 1];
  const subject = step.name === SINGLE_JOB_STEP ? "the job" : `step "${step.name}"`;
  const tries = record.attempts.length > 1 ? ` (after ${record.attempts.length} attempts)` : "";
  if (last?.timedOut) {
    return `${subject} ran longer than timeoutMinutes (${step.timeoutMinutes}) and was stopped${tries}`;
  }
  return `${subject} exited with code ${last?.exitCode ?? "unknown (killed)"}${tries}`;
}
