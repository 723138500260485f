import { mkdir, rm } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import type { RunIdentity } from "../../../stacks/contract.ts";
import { BurstError } from "../../errors.ts";
import { cacheRoot } from "../../home.ts";
import type { PrepareMode } from "../../targets/contract.ts";
import { loadTarget } from "../../targets/index.ts";
import { ensureTerraform } from "../../terraform/binary.ts";
import { TerraformDriver } from "../../terraform/driver.ts";
import { providerInstallation } from "../../terraform/provider-installation.ts";
import { enforceCostLimit } from "../cost-limit.ts";
import type { LaunchableRun, RunPlace, RunScope, SynthesizedRun, ValidatedRun } from "../run-state.ts";

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
  // A launch refuses before synthesizing; a dry run shows the plan first, then refuses (plan.ts).
  if (mode === "launch") enforceCostLimit(run.spec, prepared);
  const synth = prepared.synth(join(place.runDir, "stack"));
  return { prepared, synth, terraformEnv: target.terraformEnv, terraformProvider: target.terraformProvider };
}

/** synth: the run's folder, the target's preparation, the stack, and the record that finds it again. */
export async function synth(scope: RunScope, run: ValidatedRun, place: RunPlace): Promise<LaunchableRun> {
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
      installation: providerInstallation(process.env, cacheRoot(), synthesized.terraformProvider),
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
      ...(synthesized.prepared.costUsd !== undefined ? { costEstimateUsd: synthesized.prepared.costUsd } : {}),
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
