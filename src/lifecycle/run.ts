import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir, userInfo } from "node:os";
import { basename, join } from "node:path";
import type { ClusterOutputs, RunIdentity } from "../../stacks/contract.ts";
import { BurstError, badInput, ExitCode, infraError } from "../errors.ts";
import { cacheRoot } from "../home.ts";
import { bundleLocalCode, type ResolvedCode, resolveCode } from "../job/code.ts";
import { type JobDependencies, noDependencies } from "../job/command.ts";
import { decommissionedExecutors } from "../job/decommissions.ts";
import { RemoteJob } from "../job/remote-job.ts";
import type { Params } from "../params/types.ts";
import { RemoteNode } from "../remote/ssh.ts";
import { describeSpec } from "../spec/describe.ts";
import { loadSpec } from "../spec/load.ts";
import type { Spec, TargetName } from "../spec/types.ts";
import { resolveWebhook } from "../spec/webhook.ts";
import { joinKey, ObjectStore, parseS3Uri } from "../storage/s3.ts";
import { type PreparedCluster, readClusterOutputs } from "../targets/contract.ts";
import { loadTarget } from "../targets/index.ts";
import { ensureTerraform } from "../terraform/binary.ts";
import { TerraformDriver } from "../terraform/driver.ts";
import type { TerraformEvent } from "../terraform/events.ts";
import { providerInstallation } from "../terraform/provider-installation.ts";
import { isSecretKey, redactText } from "../util/redact.ts";
import { type EventSink, type Outcome, outcomeOfError, type Phase } from "./events.ts";
import type { Interrupts } from "./interrupts.ts";
import { buildManifest, type PhaseTiming } from "./manifest.ts";
import { waitForBootstrap } from "./node-bootstrap.ts";
import { notifyRun } from "./notify.ts";
import type { RunRegistry } from "./registry.ts";
import { newRunId, type RunRecord, runsRoot, writeRecord } from "./run-record.ts";
import { runSteps, type StepsResult } from "./steps.ts";
import { waitForWorkers } from "./wait-ready.ts";

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
}

export interface BurstResult {
  readonly exitCode: number;
  readonly outcome: Outcome;
  readonly runId?: string;
  readonly runDir?: string;
  readonly resultsUri?: string;
}

/** Everything a run acquires, so teardown knows what to release. */
interface RunState {
  runId?: string;
  runDir?: string;
  record?: RunRecord;
  driver?: TerraformDriver;
  /** True from the moment apply starts: from then on, destroy must run. */
  provisioned: boolean;
  node?: RemoteNode;
  job?: RemoteJob;
  /** Attempt folders launched so far, in order (collect downloads their logs). */
  attempts: string[];
  steps?: StepsResult;
  deps?: JobDependencies;
  /** Resolved notification URL (a secret). */
  webhook?: string;
  outputs?: ClusterOutputs;
  store?: ObjectStore;
  prepared?: PreparedCluster;
  spec?: Spec;
  code?: ResolvedCode;
  params?: Params;
}

const owner = () => process.env.BURST_OWNER || userInfo().username;

/**
 * One burst: params → validate → synth → apply → wait-ready → stage → clone → run → collect →
 * destroy. Destroy runs whatever happens after apply starts: job success or failure, errors,
 * SIGINT/SIGTERM. Only `--keep` skips it.
 */
export async function runBurst(request: BurstRequest): Promise<BurstResult> {
  const started = new Date();
  const state: RunState = { provisioned: false, attempts: [] };
  const timings: PhaseTiming[] = [];
  const { sink, interrupts } = request;

  const phase = async <T>(name: Phase, action: () => Promise<T>): Promise<T> => {
    const began = Date.now();
    sink({ type: "phase-start", phase: name });
    // TEST HOOK (test/e2e/faults.test.ts): hold a short phase open ~3 s so a signal can land in it.
    if (process.env.BURST_TEST_PAUSE_PHASE === name) {
      await new Promise((resolve) => setTimeout(resolve, 3000));
    }
    // TEST HOOK (test/e2e/signals.test.ts): an error nothing catches, ~2 s into the phase, for the crash guard.
    if (process.env.BURST_TEST_CRASH_PHASE === name) {
      setTimeout(() => {
        throw new Error(`test crash in ${name} (BURST_TEST_CRASH_PHASE)`);
      }, 2000);
    }
    await updateRecord(state, { phase: name }, request);
    try {
      const result = await action();
      const seconds = (Date.now() - began) / 1000;
      timings.push({ phase: name, startedAt: new Date(began).toISOString(), seconds, ok: true });
      sink({ type: "phase-end", phase: name, seconds, ok: true });
      return result;
    } catch (error) {
      const seconds = (Date.now() - began) / 1000;
      timings.push({ phase: name, startedAt: new Date(began).toISOString(), seconds, ok: false });
      sink({ type: "phase-end", phase: name, seconds, ok: false, error: summary(error) });
      throw error;
    }
  };
  const checkInterrupted = () => {
    if (interrupts.signal.aborted) throw new BurstError("interrupted", `interrupted by ${interrupts.received()}`);
  };

  let failure: unknown;
  let resultsUri: string | undefined;
  try {
    const params = await phase("params", request.resolveParams);
    state.params = params;
    const spec = await phase("validate", async () => {
      const loaded = await loadSpec(request.specPath, {
        defaults: params.defaults,
        overrides: request.target ? { target: request.target } : undefined,
        environment: request.environment,
        block: request.block,
      });
      for (const warning of loaded.warnings) sink({ type: "warning", message: warning });
      for (const note of loaded.notes ?? []) sink({ type: "info", message: note });
      const entrypoints = [...loaded.steps, ...(loaded.onError ? [loaded.onError] : [])].map((step) => step.entrypoint);
      state.code = await resolveCode(loaded.code, entrypoints, loaded.source.dir);
      state.webhook = webhookOf(loaded, params);
      if (state.webhook) request.secrets.push(state.webhook);
      for (const step of [...loaded.steps, ...(loaded.onError ? [loaded.onError] : [])]) {
        request.secrets.push(
          ...Object.entries(step.env)
            .filter(([key]) => isSecretKey(key))
            .map(([, value]) => value),
        );
        request.secrets.push(
          ...Object.entries(step.conf)
            .filter(([key]) => isSecretKey(key))
            .map(([, value]) => value),
        );
      }
      return loaded;
    });
    state.spec = spec;
    const code = state.code as ResolvedCode;
    checkInterrupted();
    if (request.dryRun) return await plan(request, spec, code, params);

    const runId = newRunId(started);
    const runDir = join(runsRoot(request.burstHome), runId);
    state.runId = runId;
    state.runDir = runDir;
    request.onRunId?.(runId);
    resultsUri = `${spec.results.replace(/\/?$/, "/")}${spec.name}/${runId}/`;
    sink({ type: "run-start", name: spec.name, target: spec.target, runDir, spec: spec.source.file });
    sink({ type: "info", message: `code ${code.displayRepo} @ ${code.ref} → ${code.sha.slice(0, 12)}` });

    const identity = runIdentity(runId, spec, code, started);
    await phase("synth", async () => {
      const terraform = await ensureTerraform((line) => sink({ type: "info", message: line }));
      await mkdir(runDir, { recursive: true, mode: 0o700 });
      const target = await loadTarget(spec.target);
      const prepared = await target.prepare(
        { runId, runDir, spec, params, identity, log: (message) => sink({ type: "info", message }) },
        "launch",
      );
      state.prepared = prepared;
      request.secrets.push(...prepared.secrets);
      enforceCostLimit(spec, prepared);
      const synth = prepared.synth(join(runDir, "stack"));
      state.driver = new TerraformDriver({
        binary: terraform.binary,
        stackDir: synth.stackDir,
        scratchDir: runDir,
        installation: providerInstallation(process.env, cacheRoot()),
        secrets: request.secrets,
        logFile: join(runDir, "terraform.log"),
        providerEnv: target.terraformEnv,
      });
      state.record = {
        runId,
        name: spec.name,
        owner: identity.owner,
        host: hostname(),
        target: spec.target,
        specFile: spec.source.file,
        runDir,
        stackDir: synth.stackDir,
        terraformBinary: terraform.binary,
        startedAt: started.toISOString(),
        expiresAt: identity.expiresAt,
        resultsUri: resultsUri ?? "",
        pid: process.pid,
        phase: "synth",
        destroyed: true,
      };
      await saveRecord(state, request);
      sink({ type: "info", message: `${synth.resourceCount} resources in ${synth.stackDir}` });
    }).catch(async (error: unknown) => {
      // Bad input found in synth (above maxCostUsd) leaves no run folder, like any other bad input.
      if (error instanceof BurstError && error.kind === "bad-input" && !state.record) {
        await rm(runDir, { recursive: true, force: true });
        state.runDir = undefined;
      }
      throw error;
    });
    checkInterrupted();

    const driver = state.driver as TerraformDriver;
    const prepared = state.prepared as PreparedCluster;
    if (request.confirm && (prepared.costUsd ?? 0) > 0) {
      const cost = `$${(prepared.costUsd ?? 0).toFixed(2)}`;
      if (!(await request.confirm(`Launch ${spec.cluster.workers + 1} nodes on ${spec.target} (estimated ${cost})?`))) {
        throw new BurstError("interrupted", "launch declined at the prompt; nothing was provisioned");
      }
    }
    await phase("apply", async () => {
      await driver.init(interrupts.signal);
      state.provisioned = true;
      await updateRecord(state, { destroyed: false }, request);
      const onEvent = (event: TerraformEvent) => sink({ type: "terraform", phase: "apply", event });
      // Apply is not cancelled, like destroy: terraform would kill the node scripts it is running
      // and taint their resources, and it runs no destroy-time provisioner for a tainted resource,
      // so what those scripts started would outlive destroy. A signal waits for apply, then destroys.
      const onSignal = () =>
        sink({ type: "warning", message: `${interrupts.received()}: letting apply finish, then destroying` });
      interrupts.signal.addEventListener("abort", onSignal, { once: true });
      try {
        for (;;) {
          try {
            await driver.apply(onEvent);
            break;
          } catch (error) {
            // A target may know another way to get capacity (aws: other subnets, spot → on-demand).
            if (interrupts.signal.aborted || !(await prepared.retryAfterApplyFailure?.(summary(error)))) throw error;
            sink({ type: "warning", message: `apply failed for lack of capacity; applying again: ${summary(error)}` });
          }
        }
      } finally {
        interrupts.signal.removeEventListener("abort", onSignal);
      }
    });
    checkInterrupted();

    await phase("wait-ready", async () => {
      state.outputs = readClusterOutputs(await driver.outputs());
      if (state.outputs.placement) {
        await updateRecord(state, { placement: state.outputs.placement }, request);
        const { availabilityZone, subnetId } = state.outputs.placement;
        sink({ type: "info", message: `cluster placed in ${availabilityZone} (subnet ${subnetId})` });
      }
      const endpoint = await prepared.sshEndpoint(state.outputs, interrupts.signal);
      // The nodes wait for these before starting Spark (stacks/shared/node/role.sh, await-secret).
      await prepared.deliverSecrets?.(state.outputs, interrupts.signal);
      const readyTimeoutMs = request.readyTimeoutMs ?? prepared.readyTimeoutMs ?? 180_000;
      const consoles = prepared.nodeConsoles?.(state.outputs);
      if (consoles !== undefined) {
        await waitForBootstrap(consoles, {
          timeoutMs: readyTimeoutMs,
          signal: interrupts.signal,
          onProgress: (node, step) => sink({ type: "info", message: `${node}: ${step}` }),
        });
      }
      state.node = await RemoteNode.connect(endpoint, { waitMs: 60_000, signal: interrupts.signal });
      await waitForWorkers(state.node, state.outputs, spec.cluster.workers, {
        timeoutMs: readyTimeoutMs,
        signal: interrupts.signal,
      });
    });
    checkInterrupted();
    const node = state.node as RemoteNode;
    const outputs = state.outputs as ClusterOutputs;

    state.store = new ObjectStore(prepared.objectStore, {
      attempts: 5,
      firstDelayMs: 1000,
      onRetry: (attempt, error, delayMs) =>
        sink({ type: "warning", message: `S3: ${summary(error)}; retry ${attempt} in ${delayMs / 1000}s` }),
    });
    const store = state.store;
    await phase("stage", async () => {
      if (prepared.createBuckets) await store.ensureBuckets(spec.buckets);
      for (const input of spec.inputs) {
        const to = parseS3Uri(input.to);
        const key = input.to.endsWith("/") ? joinKey(to.key, basename(input.from)) : to.key;
        const report = await store.uploadPath(input.from, { bucket: to.bucket, key });
        sink({ type: "info", message: `staged ${input.from} → s3://${to.bucket}/${key} (${report.files} files)` });
      }
    });
    checkInterrupted();

    const job = new RemoteJob(node, outputs.workDir, spec.code.subdirectory);
    await phase("clone", async () => {
      const bundle = code.source.kind === "local" ? await bundleLocalCode(code, join(runDir, "code")) : undefined;
      const sha = await job.stageCode(code, bundle);
      if (sha !== code.sha) throw infraError(`the master checked out ${sha}, expected ${code.sha}`);
      for (const step of [...spec.steps, ...(spec.onError ? [spec.onError] : [])]) {
        await job.checkEntrypoint(step.entrypoint);
      }
      // Once pip starts writing its log, a failure still collects it (as it does the job's).
      state.deps = await installDependencies(job, spec, prepared, sink, (folder) => {
        state.job = job;
        state.attempts.push(folder);
      });
    });
    checkInterrupted();

    state.job = job;
    const result = await phase("run", async () => {
      const steps = await runSteps({
        job,
        spec,
        runId,
        sparkMasterUrl: outputs.sparkMasterUrl,
        resultsUri: resultsUri ?? "",
        deps: state.deps ?? noDependencies,
        sink,
        signal: interrupts.signal,
        interruptedBy: () => interrupts.received(),
        logsDir: join(runDir, "logs"),
        reconnect: async () => {
          sink({ type: "warning", message: "SSH connection to the master dropped; reconnecting" });
          await node.open({ waitMs: 60_000, signal: interrupts.signal });
        },
        onAttempt: (folder) => state.attempts.push(folder),
      });
      state.steps = steps;
      if (steps.failure) throw steps.failure;
      return steps;
    });
    state.steps = result;
  } catch (error) {
    failure = error;
  }

  // Logs are worth saving whatever went wrong, as long as the job got started.
  if (state.job && state.node?.isConnected && state.spec && state.runDir && state.store && resultsUri) {
    const uri = resultsUri;
    const { spec, runDir, job, store } = state;
    await phase("collect", async () => {
      const localDir = join(runDir, "results");
      const collected = await job.collect(localDir, state.attempts, spec.outputs).catch(async (error: unknown) => {
        if (!/ENOSPC|no space left/i.test(summary(error))) throw error;
        // Logs come first and are kept; the outputs' partial copy goes, so destroy can write its state.
        await rm(join(localDir, "outputs"), { recursive: true, force: true });
        throw infraError(`no space left on the disk holding ${localDir} while collecting the job's outputs`, {
          hint: `the logs that fit are kept in ${join(localDir, "logs")}; free space under BURST_HOME and rerun`,
          cause: error,
        });
      });
      for (const missing of collected.missingOutputs) {
        sink({ type: "warning", message: `declared output ${missing} was not produced by the job` });
      }
      const interruptedWorkers = await decommissionedExecutors(join(localDir, "logs", "eventlog"));
      for (const worker of interruptedWorkers) {
        sink({
          type: "warning",
          message: `worker ${worker.host} was interrupted (spot notice) and decommissioned at ${worker.at}; its executor ${worker.executorId} left gracefully`,
        });
      }
      const outcome = outcomeOf(failure, interrupts);
      const manifest = buildManifest({
        version: request.version,
        runId: state.runId ?? "",
        owner: owner(),
        spec,
        resolvedSpec: describeSpec(spec),
        code: state.code as ResolvedCode,
        params: state.params as Params,
        outputs: state.outputs,
        phases: timings,
        startedAt: started,
        outcome,
        exitCode: exitCodeOf(outcome),
        jobExitCode: lastExitCode(state.steps),
        steps: state.steps,
        costUsd: state.prepared?.costUsd,
        resultsUri: uri,
        files: [...collected.logs, ...collected.outputs].map((file) => file.slice(localDir.length + 1)),
        missingOutputs: collected.missingOutputs,
        interruptedWorkers,
      });
      await writeFile(
        join(localDir, "manifest.json"),
        redactText(`${JSON.stringify(manifest, null, 2)}\n`, request.secrets),
      );
      try {
        await store.uploadPath(localDir, parseS3Uri(uri));
      } catch (error) {
        throw infraError(`results were not uploaded to ${uri}: ${summary(error)}`, {
          hint: `they are kept in ${localDir}`,
          cause: error,
        });
      }
      sink({ type: "results", uri, localDir, browse: state.prepared?.browse(uri) });
    }).catch((error: unknown) => {
      if (failure === undefined) failure = error;
      else sink({ type: "warning", message: summary(error) });
    });
  }

  await teardown(state, request, phase, (error) => {
    if (failure === undefined) failure = error;
    else sink({ type: "warning", message: summary(error) });
  });
  const outcome = outcomeOf(failure, interrupts);
  const exitCode = exitCodeOf(outcome);
  // After teardown, so a slow or dead webhook can never keep a cluster up.
  if (state.webhook && state.spec && state.runId && wantsNotification(state.spec, outcome)) {
    await notifyRun(state.webhook, {
      runId: state.runId,
      name: state.spec.name,
      target: state.spec.target,
      outcome,
      exitCode,
      seconds: (Date.now() - started.getTime()) / 1000,
      results: resultsUri,
      message: endMessage(failure, interrupts),
    }).catch((error: unknown) => sink({ type: "warning", message: `notification not delivered: ${summary(error)}` }));
  }
  await updateRecord(state, { outcome, endedAt: new Date().toISOString() }, request).catch(() => {});
  sink({
    type: "run-end",
    outcome,
    exitCode,
    seconds: (Date.now() - started.getTime()) / 1000,
    message: endMessage(failure, interrupts),
  });
  return { exitCode, outcome, runId: state.runId, runDir: state.runDir, resultsUri };
}

/** Rewrite the run's record with `patch` (no-op before the record exists). */
async function updateRecord(state: RunState, patch: Partial<RunRecord>, request: BurstRequest): Promise<void> {
  if (!state.record) return;
  state.record = { ...state.record, ...patch };
  await saveRecord(state, request);
}

/** run.json always; the shared registry too, where a failure is a warning, never a lost run. */
async function saveRecord(state: RunState, request: BurstRequest): Promise<void> {
  if (!state.record) return;
  await writeRecord(state.record);
  await request.registry?.publish(state.record).catch((error: unknown) => {
    request.sink({ type: "warning", message: `run registry: ${summary(error)}` });
  });
}

/** Disconnect, then destroy everything apply may have created (unless --keep). */
async function teardown(
  state: RunState,
  request: BurstRequest,
  phase: <T>(name: Phase, action: () => Promise<T>) => Promise<T>,
  onError: (error: unknown) => void,
): Promise<void> {
  state.node?.dispose();
  state.store?.destroy();
  if (!state.provisioned || !state.driver || !state.record) return;
  const driver = state.driver;
  if (request.keep) {
    await updateRecord(state, { kept: true }, request);
    request.sink({
      type: "info",
      message: `cluster kept (--keep). Destroy it with: npm run burst -- down ${state.record.runId}`,
    });
    return;
  }
  try {
    await phase("destroy", async () => {
      await driver.destroy((event) => request.sink({ type: "terraform", phase: "destroy", event }));
      const left = await driver.resourceCount();
      if (left > 0) throw infraError(`${left} resources are still in the state after destroy`);
    });
    await updateRecord(state, { destroyed: true }, request);
  } catch (error) {
    onError(
      infraError(`destroy failed: ${summary(error)}`, {
        hint: `the cluster may still be running; retry with: npm run burst -- down ${state.record.runId}`,
        cause: error,
      }),
    );
  }
}

async function plan(request: BurstRequest, spec: Spec, code: ResolvedCode, params: Params): Promise<BurstResult> {
  const scratch = await mkdtemp(join(tmpdir(), "burst-plan-"));
  try {
    const runId = newRunId();
    const target = await loadTarget(spec.target);
    const identity = runIdentity(runId, spec, code, new Date());
    const prepared = await target.prepare(
      { runId, runDir: scratch, spec, params, identity, log: (message) => request.sink({ type: "info", message }) },
      "plan",
    );
    request.secrets.push(...prepared.secrets);
    const synth = prepared.synth(join(scratch, "stack"));
    const cost = prepared.costUsd === undefined ? "unknown" : `$${prepared.costUsd.toFixed(2)}`;
    request.sink({
      type: "plan",
      costUsd: prepared.costUsd,
      lines: [
        "# resolved spec",
        describeSpec(spec).trimEnd(),
        "",
        "# plan (dry run: nothing is provisioned)",
        `code: ${code.displayRepo} @ ${code.ref} → ${code.sha}`,
        ...prepared.plan,
        `stack: ${synth.resourceCount} resources`,
        `estimated cost: ${cost}${spec.maxCostUsd === undefined ? "" : ` (limit $${spec.maxCostUsd.toFixed(2)})`}`,
      ],
    });
    enforceCostLimit(spec, prepared);
    return { exitCode: ExitCode.ok, outcome: "planned" };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function enforceCostLimit(spec: Spec, prepared: PreparedCluster): void {
  // An unpriced part counted as $0 would let any run under the cap: no price, no launch.
  if (spec.maxCostUsd !== undefined && prepared.costUsd === undefined) {
    throw badInput(
      `maxCostUsd is set, but this run's cost cannot be estimated: ${prepared.costUnknown ?? "the target gives no estimate"}`,
      {
        keyPath: "maxCostUsd",
        location: { file: spec.source.file },
        hint: "pick an instance type and region the price table covers (src/cost/prices.ts; add the price there), or remove maxCostUsd",
      },
    );
  }
  if (spec.maxCostUsd !== undefined && prepared.costUsd !== undefined && prepared.costUsd > spec.maxCostUsd) {
    throw badInput(
      `estimated cost $${prepared.costUsd.toFixed(2)} is above maxCostUsd $${spec.maxCostUsd.toFixed(2)}`,
      {
        keyPath: "maxCostUsd",
        location: { file: spec.source.file },
        hint: "use fewer or smaller nodes, or raise maxCostUsd",
      },
    );
  }
}

function runIdentity(runId: string, spec: Spec, code: ResolvedCode, started: Date): RunIdentity {
  return {
    runId,
    name: spec.name,
    owner: owner(),
    commit: code.sha,
    expiresAt: new Date(started.getTime() + spec.cluster.ttlMinutes * 60_000).toISOString(),
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

function summary(error: unknown): string {
  if (error instanceof BurstError) return error.render();
  if (error instanceof Error) return error.message;
  return String(error);
}

/** What ended the run, for run-end: the signal first when there was one (it sets the outcome). */
function endMessage(failure: unknown, interrupts: Interrupts): string | undefined {
  const told = failure === undefined ? undefined : summary(failure);
  const signal = interrupts.received();
  if (!signal) return told;
  const head = `interrupted by ${signal}`;
  if (told === undefined || told.startsWith(head)) return told ?? head;
  return `${head}: ${told}`;
}

/** The webhook a run reports to: the spec's notify (wins) or the notify/webhook parameter. */
function webhookOf(spec: Spec, params: Params): string | undefined {
  if (spec.notify) return resolveWebhook(spec.notify, process.env);
  return params.notifyWebhook || undefined;
}

function wantsNotification(spec: Spec, outcome: Outcome): boolean {
  const on = spec.notify?.on ?? ["success", "failure"];
  return on.includes(outcome === "succeeded" ? "success" : "failure");
}

function lastExitCode(steps: StepsResult | undefined): number | null {
  const all = [...(steps?.steps ?? [])];
  const last = all[all.length - 1]?.attempts;
  return last?.[last.length - 1]?.exitCode ?? null;
}

/** pip's output in the run's logs: logs/pip/stdout.log (steps log under <step>/attempt-<n>, so a step named pip does not clash). */
const PIP_LOG_FOLDER = "pip";

/**
 * Python dependencies into a folder on the master (reused from the target's cache when it has
 * one); dependency jars checked in the checked-out code. A failed pip install fails the run.
 */
async function installDependencies(
  job: RemoteJob,
  spec: Spec,
  prepared: PreparedCluster,
  sink: EventSink,
  onLogFolder: (folder: string) => void,
): Promise<JobDependencies> {
  const { packages, jars, requirements, pip } = spec.dependencies;
  const jarPaths = jars.map((jar) => `${job.repoDir}/${jar}`);
  for (const [index, jar] of jarPaths.entries()) {
    if (!(await job.exists("f", jar))) {
      throw badInput(`${jars[index]} does not exist in the job's code`, { keyPath: `dependencies.jars[${index}]` });
    }
  }
  if (!requirements && pip.length === 0) return { packages, jars: jarPaths };
  const what = [...pip, ...(requirements ? [`-r ${requirements}`] : [])].join(" ");
  sink({ type: "info", message: `pip install ${what} on the master` });
  onLogFolder(PIP_LOG_FOLDER);
  const installed = await job.installPythonDependencies({
    requirementsFile: requirements,
    packages: pip,
    cacheRoot: prepared.pythonDependencyCache,
    logFolder: PIP_LOG_FOLDER,
  });
  if (!installed.ok) {
    throw new BurstError(
      "job-failed",
      `pip could not install the job's Python dependencies (exit code ${installed.exitCode ?? "unknown"}):\n${installed.tail}`,
      { hint: `pip's whole output is in the run's logs: logs/${PIP_LOG_FOLDER}/stdout.log` },
    );
  }
  if (installed.reused) sink({ type: "info", message: `Python dependencies reused from ${installed.folder}` });
  return { packages, jars: jarPaths, pythonPath: installed.folder };
}
