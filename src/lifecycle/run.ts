import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BurstError, describeError, ExitCode } from "../errors.ts";
import type { Params } from "../params/types.ts";
import type { TargetName } from "../spec/types.ts";
import { runOwner } from "../util/owner.ts";
import { destroyCluster } from "./destroy.ts";
import { type EventSink, type Outcome, outcomeOfError, type Phase } from "./events.ts";
import type { Interrupts } from "./interrupts.ts";
import type { PhaseTiming } from "./manifest.ts";
import { notifyRun } from "./notify.ts";
import {
  apply,
  type ConnectedRun,
  clone,
  collect,
  confirmLaunch,
  connect,
  enforceCostLimit,
  type JobProgress,
  jobOf,
  placeRun,
  planLines,
  prepareAndSynth,
  type RunJournal,
  type RunPlace,
  type RunScope,
  runIdentity,
  runJob,
  stage,
  synthesize,
  type ValidatedRun,
  validate,
} from "./phases.ts";
import type { RunRegistry } from "./registry.ts";
import { CLUSTER, ResourceOwner } from "./resources.ts";
import { newRunId, type RunRecord, runsRoot, writeRecord } from "./run-record.ts";
import type { RunSeams } from "./seams.ts";

export interface BurstRequest {
  readonly specPath: string;
  /** --target: overrides the spec's target. */
  readonly target?: TargetName;
  /** Validate, resolve, synthesize and print the plan; provision nothing. */
  readonly dryRun: boolean;
  /** --env: the spec environment overlay to apply. */
  readonly environment?: string;
  /** --block: the block of a legacy multi-block spec file. */
  readonly block?: string;
  /** Leave the cluster running after the job (destroy later with `burst down`). */
  readonly keep: boolean;
  readonly burstHome: string;
  readonly version: string;
  readonly sink: EventSink;
  /** Shared with the reporters: every value added here is hidden from all output. */
  readonly secrets: string[];
  readonly resolveParams: () => Promise<Params>;
  readonly interrupts: Interrupts;
  /** How long workers may take to register with the master. */
  readonly readyTimeoutMs?: number;
  /** Told the run id as soon as it exists (for messages about the run). */
  readonly onRunId?: (runId: string) => void;
  /** Publishes the run's record beyond this machine (Consul), besides its run.json. */
  readonly registry?: RunRegistry;
  /** Asked before launching anything that costs money; absent = no prompt (--yes, CI, --json). */
  readonly confirm?: (question: string) => Promise<boolean>;
  /** Owns what the run acquires; the caller's crash guard releases it too. Default: a new one. */
  readonly resources?: ResourceOwner;
  /** Where tests reach in (none in production). */
  readonly seams?: RunSeams;
}

export interface BurstResult {
  readonly exitCode: number;
  readonly outcome: Outcome;
  readonly runId?: string;
  readonly runDir?: string;
  readonly resultsUri?: string;
}

/**
 * One burst: params → validate → synth → apply → wait-ready → stage → clone → run → collect →
 * destroy. Each phase is a typed step of src/lifecycle/phases.ts; what a phase acquires (the
 * cluster from the moment apply starts, the SSH connection, the S3 client) is owned by one
 * ResourceOwner, released whatever happens: job success or failure, errors, SIGINT/SIGTERM/SIGHUP,
 * or by the crash guard. Only `--keep` keeps the cluster.
 */
export async function runBurst(request: BurstRequest): Promise<BurstResult> {
  const scope = newScope(request);
  const phases = new PhaseRunner(scope, request.seams);
  let failure: unknown;
  let validated: ValidatedRun | undefined;
  let place: RunPlace | undefined;
  let connected: ConnectedRun | undefined;
  let progress: JobProgress | undefined;
  try {
    const params = await phases.phase("params", request.resolveParams);
    phases.checkInterrupted();
    const run = await phases.phase("validate", () => validate(scope, request, params));
    validated = run;
    phases.checkInterrupted();
    if (request.dryRun) return await dryRun(scope, run);

    const runId = newRunId(scope.started);
    // Told first: the reporters name the run in the run-start line placeRun emits.
    request.onRunId?.(runId);
    const where = placeRun(scope, run, runId, runsRoot(request.burstHome));
    place = where;
    const launchable = await phases.phase("synth", () => synthesize(scope, run, where));
    phases.checkInterrupted();
    await confirmLaunch(launchable, request.confirm);
    await phases.phase("apply", () => apply(scope, launchable, () => ownCluster(scope, phases, request.keep)));
    phases.checkInterrupted();
    const ready = await phases.phase("wait-ready", () => connect(scope, launchable, request.readyTimeoutMs));
    connected = ready;
    phases.checkInterrupted();
    await phases.phase("stage", () => stage(scope, ready));
    phases.checkInterrupted();
    const job = jobOf(ready);
    progress = job;
    await phases.phase("clone", () => clone(scope, ready, job));
    phases.checkInterrupted();
    await phases.phase("run", () => runJob(scope, ready, job, request.seams?.stepTimeoutSeconds));
  } catch (error) {
    failure = error;
  }
  const fail = (error: unknown) => {
    if (failure === undefined) failure = error;
    else scope.sink({ type: "warning", message: describeError(error) });
  };

  // Logs are worth saving whatever went wrong, as long as the job got started.
  if (connected && progress?.started && connected.node.isConnected) {
    const [run, job] = [connected, progress];
    const outcome = outcomeOf(failure, request.interrupts);
    const input = { version: request.version, outcome, exitCode: exitCodeOf(outcome), timings: phases.timings };
    await phases.phase("collect", () => collect(scope, run, job, input)).catch(fail);
  }
  await scope.owner.release((_what, error) => fail(error));

  const outcome = outcomeOf(failure, request.interrupts);
  const exitCode = exitCodeOf(outcome);
  const message = endMessage(failure, request.interrupts);
  const seconds = () => (Date.now() - scope.started.getTime()) / 1000;
  // After teardown, so a slow or dead webhook can never keep a cluster up.
  if (validated?.webhook && place && wantsNotification(validated.spec.notify?.on, outcome)) {
    const { spec } = validated;
    await notifyRun(validated.webhook, {
      runId: place.runId,
      name: spec.name,
      target: spec.target,
      outcome,
      exitCode,
      seconds: seconds(),
      results: place.resultsUri,
      message,
    }).catch((error: unknown) =>
      scope.sink({ type: "warning", message: `notification not delivered: ${describeError(error)}` }),
    );
  }
  await scope.journal.update({ outcome, endedAt: new Date().toISOString() }).catch(() => {});
  scope.sink({ type: "run-end", outcome, exitCode, seconds: seconds(), message });
  return {
    exitCode,
    outcome,
    runId: place?.runId,
    // Bad input found in synth leaves no run folder.
    runDir: place && existsSync(place.runDir) ? place.runDir : undefined,
    resultsUri: place?.resultsUri,
  };
}

/**
 * From apply on, the run owns the cluster: its release destroys it (the one destroy, shared with
 * `burst down`, `burst gc` and the crash guard), or with --keep records it as kept.
 */
async function ownCluster(scope: RunScope, phases: PhaseRunner, keep: boolean): Promise<void> {
  await scope.journal.update({ destroyed: false });
  scope.owner.own(CLUSTER, async () => {
    const record = scope.journal.record;
    if (!record) return;
    if (keep) {
      await scope.journal.update({ kept: true });
      scope.sink({
        type: "info",
        message: `cluster kept (--keep). Destroy it with: npm run burst -- down ${record.runId}`,
      });
      return;
    }
    await phases.phase("destroy", async () => {
      await destroyCluster(record, {
        sink: scope.sink,
        secrets: scope.secrets,
        save: (saved) => scope.journal.replace(saved),
      });
    });
  });
}

/** A dry run: validate, prepare and synthesize in a scratch folder, show the plan; nothing lasting. */
async function dryRun(scope: RunScope, run: ValidatedRun): Promise<BurstResult> {
  const scratch = await mkdtemp(join(tmpdir(), "burst-plan-"));
  scope.owner.own("the dry run's scratch folder", () => rm(scratch, { recursive: true, force: true }));
  try {
    const runId = newRunId();
    const identity = runIdentity(runId, scope, run, new Date());
    const synthesized = await prepareAndSynth(scope, run, { runId, runDir: scratch, identity }, "plan");
    scope.sink({ type: "plan", costUsd: synthesized.prepared.costUsd, lines: planLines(run, synthesized) });
    enforceCostLimit(run.spec, synthesized.prepared);
    return { exitCode: ExitCode.ok, outcome: "planned" };
  } finally {
    await scope.owner.release((what, error) =>
      scope.sink({ type: "warning", message: `${what}: ${describeError(error)}` }),
    );
  }
}

function newScope(request: BurstRequest): RunScope {
  return {
    sink: request.sink,
    interrupts: request.interrupts,
    secrets: request.secrets,
    owner: request.resources ?? new ResourceOwner(),
    journal: new Journal(request.sink, request.registry),
    started: new Date(),
    runOwner: runOwner(),
    seams: request.seams,
  };
}

/** Phase events and timings, the record's current phase, and the test seams around each phase's work. */
class PhaseRunner {
  readonly timings: PhaseTiming[] = [];

  constructor(
    private readonly scope: RunScope,
    private readonly seams: RunSeams | undefined,
  ) {}

  async phase<T>(name: Phase, action: () => Promise<T>): Promise<T> {
    const { sink, journal } = this.scope;
    const began = Date.now();
    const startedAt = new Date(began).toISOString();
    sink({ type: "phase-start", phase: name });
    try {
      await journal.update({ phase: name });
      const [result] = await Promise.all([action(), this.seams?.duringPhase?.(name)]);
      const seconds = (Date.now() - began) / 1000;
      this.timings.push({ phase: name, startedAt, seconds, ok: true });
      sink({ type: "phase-end", phase: name, seconds, ok: true });
      return result;
    } catch (error) {
      const seconds = (Date.now() - began) / 1000;
      this.timings.push({ phase: name, startedAt, seconds, ok: false });
      sink({ type: "phase-end", phase: name, seconds, ok: false, error: describeError(error) });
      throw error;
    }
  }

  checkInterrupted(): void {
    const { interrupts } = this.scope;
    if (interrupts.signal.aborted) throw new BurstError("interrupted", `interrupted by ${interrupts.received()}`);
  }
}

/** run.json always; the shared registry too, where a failure is a warning, never a lost run. */
class Journal implements RunJournal {
  #record: RunRecord | undefined;

  constructor(
    private readonly sink: EventSink,
    private readonly registry: RunRegistry | undefined,
  ) {}

  get record(): RunRecord | undefined {
    return this.#record;
  }

  async start(record: RunRecord): Promise<void> {
    await this.replace(record);
  }

  /** Rewrite the record with `patch` (no-op before the record exists). */
  async update(patch: Partial<RunRecord>): Promise<void> {
    if (this.#record) await this.replace({ ...this.#record, ...patch });
  }

  async replace(record: RunRecord): Promise<void> {
    this.#record = record;
    await writeRecord(record);
    await this.registry?.publish(record).catch((error: unknown) => {
      this.sink({ type: "warning", message: `run registry: ${describeError(error)}` });
    });
  }
}

function outcomeOf(failure: unknown, interrupts: Interrupts): Outcome {
  if (interrupts.received()) return "interrupted";
  if (failure === undefined) return "succeeded";
  return failure instanceof BurstError ? outcomeOfError(failure) : "infrastructure-failed";
}

function exitCodeOf(outcome: Outcome): number {
  switch (outcome) {
    case "succeeded":
    case "planned":
      return ExitCode.ok;
    case "failed":
      return ExitCode.jobFailed;
    case "bad-input":
      return ExitCode.badInput;
    case "interrupted":
      return ExitCode.interrupted;
    case "infrastructure-failed":
      return ExitCode.infrastructure;
  }
}

/** What ended the run, for run-end: the signal first when there was one (it sets the outcome). */
function endMessage(failure: unknown, interrupts: Interrupts): string | undefined {
  const told = failure === undefined ? undefined : describeError(failure);
  const signal = interrupts.received();
  if (!signal) return told;
  const head = `interrupted by ${signal}`;
  if (told === undefined || told.startsWith(head)) return told ?? head;
  return `${head}: ${told}`;
}

function wantsNotification(on: readonly string[] | undefined, outcome: Outcome): boolean {
  return (on ?? ["success", "failure"]).includes(outcome === "succeeded" ? "success" : "failure");
}
