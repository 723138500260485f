import { join } from "node:path";
import { BurstError, badInput, infraError } from "../../errors.ts";
import { bundleLocalCode } from "../../job/code.ts";
import { type JobDependencies, noDependencies } from "../../job/command.ts";
import { RemoteJob } from "../../job/remote-job.ts";
import type { Spec } from "../../runspec/types.ts";
import type { PreparedCluster } from "../../targets/contract.ts";
import type { EventSink } from "../events.ts";
import type { ConnectedRun, JobProgress, RunScope } from "../run-state.ts";

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
