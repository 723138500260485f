// The work of each phase of a run, as typed steps: each takes what the phases before it produced
// and returns what the ones after it need. The order, the events, the record and the guarantees
// (destroy once apply has started) are src/lifecycle/run.ts's; what a phase acquires it hands to
// the run's ResourceOwner, which releases it.
import { mkdir, rm, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { basename, join } from "node:path";
import type { ClusterOutputs, RunIdentity } from "../../stacks/contract.ts";
import { BurstError, badInput, describeError, infraError } from "../errors.ts";
import { cacheRoot } from "../home.ts";
import { bundleLocalCode, type ResolvedCode, resolveCode } from "../job/code.ts";
import { type JobDependencies, noDependencies } from "../job/command.ts";
import { decommissionedExecutors } from "../job/decommissions.ts";
import { RemoteJob } from "../job/remote-job.ts";
import type { Params } from "../params/types.ts";
import { RemoteNode } from "../remote/ssh.ts";
import { describeSpec } from "../spec/describe.ts";
import { loadSpec } from "../spec/load.ts";
import type { Spec } from "../spec/types.ts";
import { resolveWebhook } from "../spec/webhook.ts";
import { joinKey, ObjectStore, parseS3Uri } from "../storage/s3.ts";
import { type PreparedCluster, type PrepareMode, readClusterOutputs, type SynthResult } from "../targets/contract.ts";
import { loadTarget } from "../targets/index.ts";
import { ensureTerraform } from "../terraform/binary.ts";
import { TerraformDriver } from "../terraform/driver.ts";
import type { TerraformEvent } from "../terraform/events.ts";
import { providerInstallation } from "../terraform/provider-installation.ts";
import { isSecretKey, redactText } from "../util/redact.ts";
import type { EventSink, Outcome } from "./events.ts";
import type { Interrupts } from "./interrupts.ts";
import { buildManifest, type PhaseTiming } from "./manifest.ts";
import { waitForBootstrap } from "./node-bootstrap.ts";
import type { ResourceOwner } from "./resources.ts";
import type { RunRecord } from "./run-record.ts";
import type { RunSeams } from "./seams.ts";
import { runSteps, type StepsResult } from "./steps.ts";
import { waitForWorkers } from "./wait-ready.ts";

/** What every phase may use: the run's channels, its owner of resources and its record. */
export interface RunScope {
  readonly sink: EventSink;
  readonly interrupts: Interrupts;
  /** Shared with the reporters: every value added here is hidden from all output. */
  readonly secrets: string[];
  readonly owner: ResourceOwner;
  readonly journal: RunJournal;
  readonly started: Date;
  /** Whose run this is (BURST_OWNER or the login name). */
  readonly runOwner: string;
  /** Where tests reach in (none in production). */
  readonly seams?: RunSeams;
}

/** The run's record (run.json, and the shared registry): absent until synth has a stack. */
export interface RunJournal {
  readonly record: RunRecord | undefined;
  start(record: RunRecord): Promise<void>;
  update(patch: Partial<RunRecord>): Promise<void>;
  /** Replace the whole record (after destroy, which writes its own). */
  replace(record: RunRecord): Promise<void>;
}

/** After `validate`: the spec, its code at a commit, the parameters. Bad input stops before this. */
export interface ValidatedRun {
  readonly params: Params;
  readonly spec: Spec;
  readonly code: ResolvedCode;
  /** The resolved notification URL (a secret). */
  readonly webhook?: string;
}

/** A run that has an id and a folder (from synth on). */
export interface RunPlace {
  readonly runId: string;
  readonly runDir: string;
  readonly identity: RunIdentity;
  /** Where results go: <results>/<name>/<runId>/. */
  readonly resultsUri: string;
}

/** After prepare and synth (shared by a launch and a dry run). */
export interface SynthesizedRun {
  readonly prepared: PreparedCluster;
  readonly synth: SynthResult;
  readonly terraformEnv: readonly string[];
}

/** After `synth` on a launch: a stack terraform can apply, and the record that finds it again. */
export interface LaunchableRun extends ValidatedRun, RunPlace, SynthesizedRun {
  readonly driver: TerraformDriver;
}

/** After `wait-ready`: the cluster's outputs, a connection to its master and its object store. */
export interface ConnectedRun extends LaunchableRun {
  readonly outputs: ClusterOutputs;
  readonly node: RemoteNode;
  readonly store: ObjectStore;
}

/** The job on the master: what collect downloads, whatever happens to the phases after clone starts. */
export interface JobProgress {
  readonly job: RemoteJob;
  /** Attempt folders launched so far, in order (pip's log first when it ran). */
  readonly attempts: string[];
  /** True once anything on the master writes logs collect should save. */
  started: boolean;
  deps: JobDependencies;
  steps?: StepsResult;
}

export interface ValidateRequest {
  readonly specPath: string;
  readonly target?: Spec["target"];
  readonly environment?: string;
  readonly block?: string;
}

/** validate: the spec with its defaults from the parameters, the code's commit, the run's secrets. */
export async function validate(scope: RunScope, request: ValidateRequest, params: Params): Promise<ValidatedRun> {
  const spec = await loadSpec(request.specPath, {
    defaults: params.defaults,
    overrides: request.target ? { target: request.target } : undefined,
    environment: request.environment,
    block: request.block,
  });
  for (const warning of spec.warnings) scope.sink({ type: "warning", message: warning });
  for (const note of spec.notes ?? []) scope.sink({ type: "info", message: note });
  const allSteps = [...spec.steps, ...(spec.onError ? [spec.onError] : [])];
  const code = await resolveCode(
    spec.code,
    allSteps.map((step) => step.entrypoint),
    spec.source.dir,
  );
  const webhook = spec.notify ? resolveWebhook(spec.notify, process.env) : params.notifyWebhook || undefined;
  if (webhook) scope.secrets.push(webhook);
  for (const step of allSteps) {
    for (const [key, value] of [...Object.entries(step.env), ...Object.entries(step.conf)]) {
      if (isSecretKey(key)) scope.secrets.push(value);
    }
  }
  return { params, spec, code, webhook };
}

/** The run's id, folder, identity tags and results location, told to the user as the run starts. */
export function placeRun(scope: RunScope, run: ValidatedRun, runId: string, runsRoot: string): RunPlace {
  const { spec, code } = run;
  const runDir = join(runsRoot, runId);
  const resultsUri = `${spec.results.replace(/\/?$/, "/")}${spec.name}/${runId}/`;
  scope.sink({ type: "run-start", runId, name: spec.name, target: spec.target, runDir, spec: spec.source.file });
  scope.sink({ type: "info", message: `code ${code.displayRepo} @ ${code.ref} → ${code.sha.slice(0, 12)}` });
  return { runId, runDir, resultsUri, identity: runIdentity(runId, scope, run, scope.started) };
}

export function runIdentity(runId: string, scope: RunScope, run: ValidatedRun, started: Date): RunIdentity {
  return {
    runId,
    name: run.spec.name,
    owner: scope.runOwner,
    commit: run.code.sha,
    expiresAt: new Date(started.getTime() + run.spec.cluster.ttlMinutes * 60_000).toISOString(),
  };
}

/** The target's preparation and the stack's synthesis: a launch's synth phase and a dry run share it. */
export async function prepareAndSynth(
  scope: RunScope,
  run: ValidatedRun,
  place: Omit<RunPlace, "resultsUri">,
  mode: PrepareMode,
): Promise<SynthesizedRun> {
  const target = await loadTarget(run.spec.target);
  const prepared = await target.prepare(
    {
      runId: place.runId,
      runDir: place.runDir,
      spec: run.spec,
      params: run.params,
      identity: place.identity,
      log: (message) => scope.sink({ type: "info", message }),
    },
    mode,
  );
  scope.secrets.push(...prepared.secrets);
  // A launch refuses before synthesizing; a dry run shows the plan first, then refuses (run.ts).
  if (mode === "launch") enforceCostLimit(run.spec, prepared);
  const synth = prepared.synth(join(place.runDir, "stack"));
  return { prepared, synth, terraformEnv: target.terraformEnv };
}

/** synth: the run's folder, the target's preparation, the stack, and the record that finds it again. */
export async function synthesize(scope: RunScope, run: ValidatedRun, place: RunPlace): Promise<LaunchableRun> {
  const { spec } = run;
  const { runId, runDir } = place;
  try {
    const terraform = await ensureTerraform((line) => scope.sink({ type: "info", message: line }));
    await mkdir(runDir, { recursive: true, mode: 0o700 });
    const synthesized = await prepareAndSynth(scope, run, place, "launch");
    const { synth } = synthesized;
    const driver = new TerraformDriver({
      binary: terraform.binary,
      stackDir: synth.stackDir,
      scratchDir: runDir,
      installation: providerInstallation(process.env, cacheRoot()),
      secrets: scope.secrets,
      logFile: join(runDir, "terraform.log"),
      providerEnv: synthesized.terraformEnv,
    });
    await scope.journal.start({
      runId,
      name: spec.name,
      owner: place.identity.owner,
      host: hostname(),
      target: spec.target,
      specFile: spec.source.file,
      runDir,
      stackDir: synth.stackDir,
      terraformBinary: terraform.binary,
      startedAt: scope.started.toISOString(),
      expiresAt: place.identity.expiresAt,
      resultsUri: place.resultsUri,
      pid: process.pid,
      phase: "synth",
      destroyed: true,
    });
    scope.sink({ type: "info", message: `${synth.resourceCount} resources in ${synth.stackDir}` });
    return { ...run, ...place, ...synthesized, driver };
  } catch (error) {
    // Bad input found in synth (above maxCostUsd) leaves no run folder, like any other bad input.
    if (error instanceof BurstError && error.kind === "bad-input" && !scope.journal.record) {
      await rm(runDir, { recursive: true, force: true });
    }
    throw error;
  }
}

/** Asked before launching anything that costs money; declining provisions nothing. */
export async function confirmLaunch(
  run: LaunchableRun,
  confirm: ((question: string) => Promise<boolean>) | undefined,
): Promise<void> {
  const cost = run.prepared.costUsd ?? 0;
  if (!confirm || cost <= 0) return;
  const question = `Launch ${run.spec.cluster.workers + 1} nodes on ${run.spec.target} (estimated $${cost.toFixed(2)})?`;
  if (!(await confirm(question))) {
    throw new BurstError("interrupted", "launch declined at the prompt; nothing was provisioned");
  }
}

/**
 * apply: from the moment terraform may create anything, the run owns the cluster (`ownCluster`
 * registers its release). A target may know another way to get capacity after a failed apply
 * (aws: other subnets, spot → on-demand).
 */
export async function apply(scope: RunScope, run: LaunchableRun, ownCluster: () => Promise<void>): Promise<void> {
  const { driver, prepared } = run;
  const { interrupts, sink } = scope;
  await driver.init(interrupts.signal);
  await ownCluster();
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
        return;
      } catch (error) {
        if (interrupts.signal.aborted || !(await prepared.retryAfterApplyFailure?.(describeError(error)))) throw error;
        sink({
          type: "warning",
          message: `apply failed for lack of capacity; applying again: ${describeError(error)}`,
        });
      }
    }
  } finally {
    interrupts.signal.removeEventListener("abort", onSignal);
  }
}

/** wait-ready: outputs, secrets to the nodes, their bootstrap, SSH to the master, workers registered. */
export async function connect(
  scope: RunScope,
  run: LaunchableRun,
  readyTimeoutMs: number | undefined,
): Promise<ConnectedRun> {
  const { prepared, spec } = run;
  const { sink, interrupts, owner } = scope;
  const signal = interrupts.signal;
  const outputs = readClusterOutputs(await run.driver.outputs());
  if (outputs.placement) {
    await scope.journal.update({ placement: outputs.placement });
    const { availabilityZone, subnetId } = outputs.placement;
    sink({ type: "info", message: `cluster placed in ${availabilityZone} (subnet ${subnetId})` });
  }
  const endpoint = await prepared.sshEndpoint(outputs, signal);
  // The nodes wait for these before starting Spark (stacks/shared/node/role.sh, await-secret).
  await prepared.deliverSecrets?.(outputs, signal);
  const timeoutMs = readyTimeoutMs ?? prepared.readyTimeoutMs ?? 180_000;
  const consoles = prepared.nodeConsoles?.(outputs);
  if (consoles !== undefined) {
    await waitForBootstrap(consoles, {
      timeoutMs,
      signal,
      onProgress: (node, step) => sink({ type: "info", message: `${node}: ${step}` }),
    });
  }
  const node = await RemoteNode.connect(endpoint, { waitMs: 60_000, signal });
  owner.own("the SSH connection to the master", () => node.dispose());
  await waitForWorkers(node, outputs, spec.cluster.workers, { timeoutMs, signal });
  const access = (await scope.seams?.objectStore?.(prepared.objectStore)) ?? prepared.objectStore;
  const store = new ObjectStore(access, {
    attempts: 5,
    firstDelayMs: 1000,
    onRetry: (attempt, error, delayMs) =>
      sink({ type: "warning", message: `S3: ${describeError(error)}; retry ${attempt} in ${delayMs / 1000}s` }),
  });
  owner.own("the S3 client", () => store.destroy());
  return { ...run, outputs, node, store };
}

/** stage: buckets (local S3 server) and the spec's inputs uploaded. */
export async function stage(scope: RunScope, run: ConnectedRun): Promise<void> {
  const { prepared, store, spec } = run;
  const signal = scope.interrupts.signal;
  if (prepared.createBuckets) await store.ensureBuckets(spec.buckets, signal);
  for (const input of spec.inputs) {
    const to = parseS3Uri(input.to);
    const key = input.to.endsWith("/") ? joinKey(to.key, basename(input.from)) : to.key;
    const report = await store.uploadPath(input.from, { bucket: to.bucket, key }, { signal });
    scope.sink({ type: "info", message: `staged ${input.from} → s3://${to.bucket}/${key} (${report.files} files)` });
  }
}

/** The job's place on the master, before clone starts (collect needs it even if clone fails). */
export function jobOf(run: ConnectedRun): JobProgress {
  return {
    job: new RemoteJob(run.node, run.outputs.workDir, run.spec.code.subdirectory),
    attempts: [],
    started: false,
    deps: noDependencies,
  };
}

/** clone: the code at its commit on the master, entrypoints checked, dependencies installed. */
export async function clone(scope: RunScope, run: ConnectedRun, progress: JobProgress): Promise<void> {
  const { code, spec, runDir, prepared } = run;
  const { job } = progress;
  const bundle = code.source.kind === "local" ? await bundleLocalCode(code, join(runDir, "code")) : undefined;
  const sha = await job.stageCode(code, bundle);
  if (sha !== code.sha) throw infraError(`the master checked out ${sha}, expected ${code.sha}`);
  for (const step of [...spec.steps, ...(spec.onError ? [spec.onError] : [])]) {
    await job.checkEntrypoint(step.entrypoint);
  }
  // Once pip starts writing its log, a failure still collects it (as it does the job's).
  progress.deps = await installDependencies(job, spec, prepared, scope.sink, (folder) => {
    progress.started = true;
    progress.attempts.push(folder);
  });
}

/** run: the spec's steps on the cluster; a failed or interrupted step fails the phase. */
export async function runJob(
  scope: RunScope,
  run: ConnectedRun,
  progress: JobProgress,
  timeoutSeconds: number | undefined,
): Promise<StepsResult> {
  const { sink, interrupts } = scope;
  progress.started = true;
  const steps = await runSteps({
    job: progress.job,
    spec: run.spec,
    runId: run.runId,
    sparkMasterUrl: run.outputs.sparkMasterUrl,
    resultsUri: run.resultsUri,
    deps: progress.deps,
    sink,
    signal: interrupts.signal,
    interruptedBy: () => interrupts.received(),
    logsDir: join(run.runDir, "logs"),
    reconnect: async () => {
      sink({ type: "warning", message: "SSH connection to the master dropped; reconnecting" });
      await run.node.open({ waitMs: 60_000, signal: interrupts.signal });
    },
    onAttempt: (folder) => progress.attempts.push(folder),
    timeoutSeconds,
  });
  progress.steps = steps;
  if (steps.failure) throw steps.failure;
  return steps;
}

export interface CollectInput {
  readonly version: string;
  readonly outcome: Outcome;
  readonly exitCode: number;
  readonly timings: readonly PhaseTiming[];
}

/** collect: logs of every attempt, the event log and declared outputs, with the manifest, to S3. */
export async function collect(
  scope: RunScope,
  run: ConnectedRun,
  progress: JobProgress,
  input: CollectInput,
): Promise<void> {
  const { spec, runDir, store, resultsUri } = run;
  const { sink } = scope;
  const localDir = join(runDir, "results");
  const collected = await progress.job
    .collect(localDir, progress.attempts, spec.outputs)
    .catch(async (error: unknown) => {
      if (!/ENOSPC|no space left/i.test(describeError(error))) throw error;
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
  const manifest = buildManifest({
    version: input.version,
    runId: run.runId,
    owner: scope.runOwner,
    spec,
    resolvedSpec: describeSpec(spec),
    code: run.code,
    params: run.params,
    outputs: run.outputs,
    phases: input.timings,
    startedAt: scope.started,
    outcome: input.outcome,
    exitCode: input.exitCode,
    jobExitCode: lastExitCode(progress.steps),
    steps: progress.steps,
    costUsd: run.prepared.costUsd,
    resultsUri,
    files: [...collected.logs, ...collected.outputs].map((file) => file.slice(localDir.length + 1)),
    missingOutputs: collected.missingOutputs,
    interruptedWorkers,
  });
  await writeFile(join(localDir, "manifest.json"), redactText(`${JSON.stringify(manifest, null, 2)}\n`, scope.secrets));
  try {
    await store.uploadPath(localDir, parseS3Uri(resultsUri));
  } catch (error) {
    throw infraError(`results were not uploaded to ${resultsUri}: ${describeError(error)}`, {
      hint: `they are kept in ${localDir}`,
      cause: error,
    });
  }
  sink({ type: "results", uri: resultsUri, localDir, browse: run.prepared.view.browse(resultsUri) });
}

/** The dry run's plan lines: the resolved spec, the code's commit, what would be provisioned, the cost. */
export function planLines(run: ValidatedRun, synthesized: SynthesizedRun): string[] {
  const { spec, code } = run;
  const { prepared, synth } = synthesized;
  const cost = prepared.costUsd === undefined ? "unknown" : `$${prepared.costUsd.toFixed(2)}`;
  return [
    "# resolved spec",
    describeSpec(spec).trimEnd(),
    "",
    "# plan (dry run: nothing is provisioned)",
    `code: ${code.displayRepo} @ ${code.ref} → ${code.sha}`,
    ...prepared.view.plan,
    `stack: ${synth.resourceCount} resources`,
    `estimated cost: ${cost}${spec.maxCostUsd === undefined ? "" : ` (limit $${spec.maxCostUsd.toFixed(2)})`}`,
  ];
}

export function enforceCostLimit(spec: Spec, prepared: PreparedCluster): void {
  const location = spec.source.maxCostUsdAt ?? { file: spec.source.file };
  // An unpriced part counted as $0 would let any run under the cap: no price, no launch.
  if (spec.maxCostUsd !== undefined && prepared.costUsd === undefined) {
    throw badInput(
      `maxCostUsd is set, but this run's cost cannot be estimated: ${prepared.costUnknown ?? "the target gives no estimate"}`,
      {
        keyPath: "maxCostUsd",
        location,
        hint: "pick an instance type and region the price table covers (src/cost/prices.ts; add the price there), or remove maxCostUsd",
      },
    );
  }
  if (spec.maxCostUsd !== undefined && prepared.costUsd !== undefined && prepared.costUsd > spec.maxCostUsd) {
    throw badInput(
      `estimated cost $${prepared.costUsd.toFixed(2)} is above maxCostUsd $${spec.maxCostUsd.toFixed(2)}`,
      { keyPath: "maxCostUsd", location, hint: "use fewer or smaller nodes, or raise maxCostUsd" },
    );
  }
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
