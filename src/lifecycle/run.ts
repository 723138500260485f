import { existsSync } from "node:fs";
import { burstCommand } from "../commands.ts";
import { BurstError, describeError, ExitCode } from "../errors.ts";
import type { Params } from "../params/types.ts";
import type { TargetName } from "../runspec/types.ts";
import { runOwner } from "../util/owner.ts";
import { destroyCluster } from "./destroy.ts";
import { type EventSink, type Outcome, outcomeOfError } from "./events.ts";
import type { Interrupts } from "./interrupts.ts";
import { Journal } from "./journal.ts";
import { keepFailedCluster } from "./keep.ts";
import { notifyRun } from "./notify.ts";
import { PhaseRunner } from "./phase-runner.ts";
import { apply, confirmLaunch } from "./phases/apply.ts";
import { clone, jobOf } from "./phases/clone.ts";
import { collect } from "./phases/collect.ts";
import { plan } from "./phases/plan.ts";
import { run } from "./phases/run.ts";
import { stage } from "./phases/stage.ts";
import { placeRun, synth } from "./phases/synth.ts";
import { validate } from "./phases/validate.ts";
import { waitReady } from "./phases/wait-ready.ts";
import type { RunRegistry } from "./registry.ts";
import { CLUSTER, ResourceOwner } from "./resources.ts";
import { newRunId, runsRoot } from "./run-record.ts";
import type { ConnectedRun, JobProgress, RunPlace, RunScope, ValidatedRun } from "./run-state.ts";
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
  /** --keep-on-failure: keep a failed run's cluster this long (capped by its TTL), then its TTL guard ends it. */
  readonly keepOnFailureMs?: number;
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
 * destroy, one file per phase in src/lifecycle/phases/; what a phase acquires (the cluster from
 * the moment apply starts, the SSH connection, the S3 client) is owned by one ResourceOwner,
 * released whatever happens: job success or failure, errors, SIGINT/SIGTERM/SIGHUP, or by the
 * crash guard. Only `--keep`, or `--keep-on-failure` after a failure, keeps the cluster.
 */
export async function runBurst(request: BurstRequest): Promise<BurstResult> {
  const scope = newScope(request);
  const phases = new PhaseRunner(scope);
  const reached: Reached = {};
  const verdict: Verdict = { failed: false };
  let failure: unknown;
  try {
    const params = await phases.phase("params", request.resolveParams);
    const validated = await phases.phase("validate", () => validate(scope, request, params));
    reached.validated = validated;
    if (request.dryRun) {
      await plan(scope, validated);
      return { exitCode: ExitCode.ok, outcome: "planned" };
    }
    const runId = newRunId(scope.started);
    // Told first: the reporters name the run in the run-start line placeRun emits.
    request.onRunId?.(runId);
    const place = placeRun(scope, validated, runId, runsRoot(request.burstHome));
    reached.place = place;
    const launchable = await phases.phase("synth", () => synth(scope, validated, place));
    await confirmLaunch(launchable, request.confirm);
    await phases.phase("apply", () =>
      apply(scope, launchable, () => ownCluster(scope, phases, request, verdict, launchable.params)),
    );
    const ready = await phases.phase("wait-ready", () => waitReady(scope, launchable, request.readyTimeoutMs));
    reached.connected = ready;
    await phases.phase("stage", () => stage(scope, ready));
    const job = jobOf(ready);
    reached.progress = job;
    await phases.phase("clone", () => clone(scope, ready, job));
    await phases.phase("run", () => run(scope, ready, job, request.seams?.stepTimeoutSeconds));
  } catch (error) {
    failure = error;
  }
  return await finish(scope, phases, request, reached, verdict, failure);
}

/** Whether the run failed, known by the time the cluster is released (--keep-on-failure reads it). */
interface Verdict {
  failed: boolean;
}

/** How far a run got: what collect, teardown and the notification need. */
interface Reached {
  validated?: ValidatedRun;
  place?: RunPlace;
  connected?: ConnectedRun;
  progress?: JobProgress;
}

/** collect (when the job started), teardown, the notification, the record's outcome and run-end. */
async function finish(
  scope: RunScope,
  phases: PhaseRunner,
  request: BurstRequest,
  { validated, place, connected, progress }: Reached,
  verdict: Verdict,
  firstFailure: unknown,
): Promise<BurstResult> {
  let failure = firstFailure;
  const fail = (error: unknown) => {
    if (failure === undefined) failure = error;
    else scope.sink({ type: "warning", message: describeError(error) });
  };

  // Logs are worth saving whatever went wrong, as long as the job got started.
  if (connected && progress?.started && connected.node.isConnected) {
    const [cluster, job] = [connected, progress];
    const outcome = outcomeOf(failure, request.interrupts);
    const input = { version: request.version, outcome, exitCode: exitCodeOf(outcome), timings: phases.timings };
    await phases.phase("collect", () => collect(scope, cluster, job, input)).catch(fail);
  }
  // A Ctrl-C is a request to stop, not a failure to look into: the cluster goes as without the flag.
  verdict.failed = failure !== undefined && !request.interrupts.received();
  await scope.owner.release((_what, error) => fail(error));

  const outcome = outcomeOf(failure, request.interrupts);
  const exitCode = exitCodeOf(outcome);
  const message = endMessage(failure, request.interrupts);
  const failed = progress?.steps?.steps.find((step) => step.outcome === "failed");
  const digest = failed?.digest ? { digest: failed.digest, failedStep: failed.name } : {};
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
      ...(failed?.digest ? { digest: failed.digest } : {}),
    }).catch((error: unknown) =>
      scope.sink({ type: "warning", message: `notification not delivered: ${describeError(error)}` }),
    );
  }
  await scope.journal.update({ outcome, endedAt: new Date().toISOString() }).catch(() => {});
  const cost = scope.journal.record?.actualCost;
  const actualCost = cost ? { actualCostUsd: cost.totalUsd } : {};
  scope.sink({ type: "run-end", outcome, exitCode, seconds: seconds(), message, ...digest, ...actualCost });
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
async function ownCluster(
  scope: RunScope,
  phases: PhaseRunner,
  request: BurstRequest,
  verdict: Verdict,
  params: Params,
): Promise<void> {
  await scope.journal.update({ destroyed: false, clusterStartedAt: new Date().toISOString() });
  scope.owner.own(CLUSTER, async () => {
    const record = scope.journal.record;
    if (!record) return;
    // Only a cluster whose master answered is worth keeping: `burst ssh` needs it.
    if (request.keepOnFailureMs !== undefined && verdict.failed && record.master) {
      try {
        const kept = await keepFailedCluster(record, request.keepOnFailureMs);
        await scope.journal.replace(kept.record);
        for (const line of kept.lines) scope.sink({ type: "info", message: line });
        return;
      } catch (error) {
        // A cluster whose end could not be set must not outlive the run unguarded.
        scope.sink({ type: "warning", message: `cluster not kept: ${describeError(error)}; destroying it` });
      }
    }
    if (request.keep) {
      await scope.journal.update({ kept: true });
      scope.sink({
        type: "info",
        message: `cluster kept (--keep). Destroy it with: ${burstCommand(`down ${record.runId}`)}`,
      });
      return;
    }
    await phases.phase("destroy", async () => {
      await destroyCluster(record, {
        sink: scope.sink,
        secrets: scope.secrets,
        save: (saved) => scope.journal.replace(saved),
        params,
      });
    });
  });
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
