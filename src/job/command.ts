import type { JobSpec } from "../runspec/types.ts";

export interface JobLaunch {
  /** The process to run on the master, as an argv (never through a shell string). */
  readonly argv: readonly string[];
  /** Environment for the job: the spec's env plus what burst tells every job. */
  readonly env: Readonly<Record<string, string>>;
}

export interface JobContext {
  readonly name: string;
  readonly runId: string;
  readonly step: string;
  readonly sparkMasterUrl: string;
  readonly resultsUri: string;
}

/** Cluster-wide dependencies, resolved to what spark-submit and Python need on the master. */
export interface JobDependencies {
  /** Maven coordinates for --packages (Spark resolves them through its ivy cache). */
  readonly packages: readonly string[];
  /** Absolute paths on the master for --jars. */
  readonly jars: readonly string[];
  /** Folder on the master with pip-installed requirements, for the driver; <folder>.zip goes to executors. */
  readonly pythonPath?: string;
}

export const noDependencies: JobDependencies = { packages: [], jars: [] };

/** Where executors unpack the requirements, relative to their working folder. */
const executorPythonPath = "burst-pydeps";

/** spark-submit for pyspark and jar jobs; the script itself for shell jobs. */
export function jobLaunch(job: JobSpec, context: JobContext, deps: JobDependencies = noDependencies): JobLaunch {
  const env: Record<string, string> = {
    ...job.env,
    BURST_RUN_ID: context.runId,
    BURST_STEP: context.step,
    BURST_RESULTS: context.resultsUri,
    SPARK_MASTER_URL: context.sparkMasterUrl,
  };
  if (deps.pythonPath) env.PYTHONPATH = deps.pythonPath;
  if (job.type === "shell") return { argv: ["bash", job.entrypoint, ...job.args], env };
  const conf: Record<string, string> = { ...job.conf };
  if (deps.pythonPath) {
    // The folder exists only on the master: executors on other nodes get its zip, unpacked in
    // their working folder (where the Python workers start), so C extensions load too.
    const archives = [conf["spark.archives"], `${deps.pythonPath}.zip#${executorPythonPath}`];
    conf["spark.archives"] = archives.filter(Boolean).join(",");
    conf["spark.executorEnv.PYTHONPATH"] = executorPythonPath;
  }
  const submit = [
    "spark-submit",
    "--master",
    context.sparkMasterUrl,
    "--deploy-mode",
    "client",
    "--name",
    `${context.name}-${context.step}-${context.runId}`,
    ...(deps.packages.length > 0 ? ["--packages", deps.packages.join(",")] : []),
    ...(deps.jars.length > 0 ? ["--jars", deps.jars.join(",")] : []),
    ...Object.entries(conf).flatMap(([key, value]) => ["--conf", `${key}=${value}`]),
  ];
  if (job.type === "jar") {
    return { argv: [...submit, "--class", job.class ?? "", job.entrypoint, ...job.args], env };
  }
  return { argv: [...submit, job.entrypoint, ...job.args], env };
}
