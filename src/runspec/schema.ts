// spark.yml, declared once: this drives validation, defaults and docs/spec-reference.md.

import { targetNames } from "../targets/index.ts";
import {
  dnsLabel,
  envName,
  existsLocally,
  gitRef,
  gitRepo,
  insideFolder,
  instanceType,
  jarFile,
  javaClass,
  mavenCoordinate,
  normaliseRelative,
  notRepoRoot,
  pipRequirement,
  resolveLocal,
  resolveRepo,
  sparkConfKey,
  sparkMemory,
  sparkVersion,
  tagKey,
  tagValue,
} from "./checks.ts";
import type { Check } from "./decoder.ts";
import { environmentsField } from "./environments.ts";
import {
  boolean,
  integer,
  list,
  object,
  oneOf,
  opsDefault,
  optionalObject,
  positiveNumber,
  string,
  stringMap,
} from "./fields.ts";
import type { Rule } from "./rules.ts";
import { s3Uri, s3UrisInTextAreValid, toS3, toS3Prefix } from "./s3.ts";
import { webhookUrl } from "./webhook.ts";

export const TARGETS = targetNames;
export const JOB_TYPES = ["pyspark", "jar", "shell"] as const;
export const NOTIFY_EVENTS = ["success", "failure"] as const;

/** The name a spec's single job: runs under, as its only step. */
export const SINGLE_JOB_STEP = "job";
/** The name onError runs under. */
export const ON_ERROR_STEP = "on-error";
export const MAX_RETRIES = 10;

/** The longest a cluster may live: a job that needs more than a day is not a burst. */
export const MAX_TTL_MINUTES = 1440;

const code = object({
  description: "Where the job's code comes from. It is cloned on the master at the start of every run.",
  example: "{ repo: https://github.com/org/jobs.git, ref: main }",
  required: true,
  fields: {
    repo: string({
      description:
        "Git repository of the job: an https or ssh URL, a file:// URL, or a local folder. Local paths are resolved against the spec's folder and must exist.",
      example: "https://github.com/org/jobs.git",
      required: true,
      checks: [gitRepo],
      normalise: resolveRepo,
    }),
    ref: string({
      description:
        "Branch, tag or commit to run. `HEAD` means the repository's default branch. The commit actually run is recorded in the run manifest. Quote commit hashes that are all digits.",
      example: "main",
      default: "HEAD",
      checks: [gitRef],
      typeHint: 'quote it, e.g. ref: "0123456"',
    }),
    subdirectory: string({
      description: "Folder inside the repository the job runs from; empty means the repository root.",
      example: "jobs/wordcount",
      default: "",
      allowEmpty: true,
      checks: [insideFolder],
      normalise: normaliseRelative,
    }),
  },
});

/** A job's keys, shared by job, every item of steps and onError. */
const jobFields = {
  type: oneOf(JOB_TYPES, {
    description:
      "`pyspark` runs a .py file with spark-submit, `jar` runs a .jar's main class with spark-submit, `shell` runs a command on the master (it may call spark-submit itself).",
    example: "pyspark",
    required: true,
  }),
  entrypoint: string({
    description:
      "What to run, relative to code.subdirectory: a .py file for pyspark, a .jar for jar, a script or command for shell.",
    example: "wordcount/main.py",
    required: true,
  }),
  class: string({
    description: "Main class of a jar job (required for jar, not allowed otherwise).",
    example: "com.example.WordCount",
    checks: [javaClass],
  }),
  args: list(
    string({
      description: "One argument.",
      acceptScalars: true,
      allowEmpty: true,
      checks: [s3UrisInTextAreValid],
    }),
    {
      description:
        "Arguments passed to the job as written. Numbers and booleans are taken as written. Buckets named by s3:// or s3a:// URIs here are added to `buckets` (keep s3a:// for Spark paths).",
      example: "[s3a://my-bucket/in/, s3a://my-bucket/out/]",
      typeHint: "write args as a list, e.g. args: [s3a://bucket/in/, 10]",
    },
  ),
  conf: stringMap({
    description: "Spark properties, passed as --conf key=value.",
    example: "{ spark.executor.memory: 2g, spark.sql.shuffle.partitions: 64 }",
    keyChecks: [sparkConfKey],
    typeHint: "write conf as key: value pairs, e.g. spark.executor.memory: 2g",
  }),
  env: stringMap({
    description:
      "Environment variables for the job process. Values of keys that look secret are shown as *** everywhere.",
    example: "{ LOG_LEVEL: info }",
    keyChecks: [envName],
    typeHint: "write env as NAME: value pairs",
  }),
  timeoutMinutes: integer({
    description:
      "Kill the job after this many minutes; 0 means only the cluster TTL applies. Must not exceed cluster.ttlMinutes.",
    example: "60",
    default: 0,
    min: 0,
    max: MAX_TTL_MINUTES,
  }),
};

const job = object({
  description: "What to run on the cluster: one job. Write either `job` or `steps`.",
  example: "{ type: pyspark, entrypoint: wordcount/main.py }",
  fields: jobFields,
});

const atLeastOneStep: Check<readonly unknown[]> = {
  doc: "at least one step",
  test: (steps) => (steps.length > 0 ? undefined : { expected: "at least one step", found: "an empty list" }),
};

const step = object({
  description: "One step: a job with a name (and retries).",
  example: "{ name: ingest, type: pyspark, entrypoint: ingest.py }",
  fields: {
    name: string({
      description:
        "Name of the step, unique within the spec; it names the step's logs and results, so it is a slug like the spec's name.",
      example: "ingest",
      required: true,
      checks: [dnsLabel],
    }),
    ...jobFields,
    retries: integer({
      description: "Run the step again up to this many times when it fails, on the same cluster.",
      example: "2",
      default: 0,
      min: 0,
      max: MAX_RETRIES,
      rangeHint: `retries are for flaky steps; a step that fails ${MAX_RETRIES + 1} times in a row needs fixing, not retrying`,
    }),
  },
});

const steps = list(step, {
  description:
    "Several jobs, run one after the other on the same cluster, instead of a single `job`. A step starts only after the previous one succeeded; the run fails at the first step that fails (after its retries).",
  example:
    "[{ name: ingest, type: pyspark, entrypoint: ingest.py }, { name: report, type: shell, entrypoint: report.sh }]",
  checks: [atLeastOneStep],
  typeHint: "write steps as a list: steps: [{ name: ingest, type: pyspark, entrypoint: ingest.py }]",
});

const onError = optionalObject({
  description: `A job run once when a step (or the job) fails for good, on the same cluster before it is destroyed, e.g. to alert or to clean up partial output. It has a job's keys and runs as the step \`${ON_ERROR_STEP}\`, without retries.`,
  example: "{ type: shell, entrypoint: cleanup.sh }",
  fields: jobFields,
});

const dependencies = object({
  description:
    "Libraries every step needs, for the whole cluster. Paths are relative to the repository root (not code.subdirectory).",
  example: "{ packages: [org.apache.spark:spark-avro_2.12:3.5.3], pip: [scikit-learn==1.5.2] }",
  fields: {
    packages: list(string({ description: "One Maven package.", checks: [mavenCoordinate] }), {
      description: "Maven packages, resolved from Maven Central on the cluster (spark-submit --packages).",
      example: "[org.apache.spark:spark-avro_2.12:3.5.3]",
      typeHint: "write packages as a list, e.g. packages: [group:artifact:version]",
    }),
    jars: list(string({ description: "One jar.", checks: [insideFolder, jarFile], normalise: normaliseRelative }), {
      description: "Jar files in the repository, put on every step's classpath (spark-submit --jars).",
      example: "[lib/udfs.jar]",
      typeHint: "write jars as a list, e.g. jars: [lib/udfs.jar]",
    }),
    pip: list(string({ description: "One pip requirement.", checks: [pipRequirement] }), {
      description:
        "Python packages, written as pip requirements, installed for every step's driver and executors before the first step (with `requirements`, in one pip run). A failed install fails the run (exit code 1) with pip's output in the run's logs (logs/pip/stdout.log). On the local target an installed set is kept in the burst cache and reused by later runs.",
      example: "[scikit-learn==1.5.2, xgboost>=2.0]",
      typeHint: "write pip as a list, e.g. pip: [scikit-learn==1.5.2]",
    }),
    requirements: string({
      description: "A pip requirements file in the repository, installed on every node before the first step.",
      example: "requirements.txt",
      checks: [insideFolder, notRepoRoot],
      normalise: normaliseRelative,
    }),
  },
});

const notify = optionalObject({
  description: "A webhook told how the run ended (JSON POST). Off when absent.",
  example: '{ webhook: "${SLACK_WEBHOOK}", on: [failure] }',
  fields: {
    webhook: string({
      description:
        "URL to POST to. It is a secret: write `${NAME}` to read it from environment variable NAME when the run notifies (so the spec holds no secret; quote it inside { }); a URL written here is never printed in full.",
      example: '"${SLACK_WEBHOOK}"',
      required: true,
      checks: [webhookUrl],
    }),
    on: list(oneOf(NOTIFY_EVENTS, { description: "One outcome." }), {
      description: "Which outcomes to notify about.",
      example: "[failure]",
      default: NOTIFY_EVENTS,
      checks: [
        {
          doc: "at least one outcome (remove notify to turn notifications off)",
          test: (events) =>
            events.length > 0
              ? undefined
              : {
                  expected: "at least one of success, failure",
                  found: "an empty list",
                  hint: "remove notify to turn notifications off",
                },
        },
      ],
      typeHint: "write on as a list, e.g. on: [failure]",
    }),
  },
});

const worker = object({
  description: "Worker nodes. Only workers may be spot instances; the master never is.",
  example: "{ instanceType: m5.xlarge, spot: true }",
  fields: {
    instanceType: string({
      description: "EC2 instance type of each worker (aws target).",
      example: "m5.xlarge",
      default: opsDefault("workerInstanceType"),
      checks: [instanceType],
    }),
    spot: boolean({
      description: "Run workers as spot instances.",
      example: "true",
      default: false,
    }),
    maxPrice: positiveNumber({
      description:
        "Highest spot price in USD per hour; absent means the on-demand price caps it. Only with spot: true.",
      example: "0.12",
    }),
    spotFallback: boolean({
      description: "Launch on-demand workers when spot capacity is unavailable. Only meaningful with spot: true.",
      example: "false",
      default: true,
    }),
    cores: integer({
      description:
        "Cores each worker offers Spark; absent means all of the node's cores (local target: the ops default).",
      example: "4",
      min: 1,
      max: 512,
    }),
    memory: string({
      description: "Memory each worker offers Spark; absent means what the node has (local target: the ops default).",
      example: "8g",
      checks: [sparkMemory],
    }),
  },
});

const cluster = object({
  description: "The cluster rented for the run. Every key has a default, so the whole section is optional.",
  example: "{ workers: 4 }",
  fields: {
    workers: integer({
      description:
        "Number of worker nodes. 0 is allowed only for shell jobs (everything runs on the master); pyspark and jar jobs need at least 1.",
      example: "4",
      default: opsDefault("workers"),
      min: 0,
      max: 1000,
      rangeHint: "ask ops to raise the 1000-worker limit if you really need more",
    }),
    master: object({
      description: "The master node (always on-demand).",
      example: "{ instanceType: m5.xlarge }",
      hints: { spot: "the master is never spot; spot applies to workers: cluster.worker.spot" },
      fields: {
        instanceType: string({
          description: "EC2 instance type of the master (aws target).",
          example: "m5.xlarge",
          default: opsDefault("masterInstanceType"),
          checks: [instanceType],
        }),
      },
    }),
    worker,
    spark: string({
      description:
        "Spark version installed on the nodes: one burst can provide (see [Spark versions](#spark-versions)), else exit code 2.",
      example: "3.5.3",
      default: opsDefault("spark"),
      checks: [sparkVersion],
      typeHint: 'write the full version, e.g. spark: "3.5.3"',
    }),
    diskGb: integer({
      description: "Root disk size of each node in GiB (encrypted).",
      example: "100",
      default: opsDefault("diskGb"),
      min: 8,
      max: 16384,
    }),
    ttlMinutes: integer({
      description:
        "Nodes shut themselves down after this many minutes, whatever happens to the CLI: the safety net against forgotten clusters.",
      example: "120",
      default: opsDefault("ttlMinutes"),
      min: 5,
      max: MAX_TTL_MINUTES,
      rangeHint: `the TTL is a safety net against forgotten clusters; the longest is ${MAX_TTL_MINUTES} minutes (24 hours)`,
    }),
  },
});

const input = object({
  description: "A local file or folder staged into S3 before the job runs.",
  example: "{ from: ./data/, to: s3://my-bucket/input/ }",
  fields: {
    from: string({
      description: "Local file or folder, resolved against the spec's folder; must exist.",
      example: "./data/",
      required: true,
      checks: [existsLocally],
      normalise: resolveLocal,
    }),
    to: string({
      description:
        "Destination s3:// URI (s3a:// is accepted and written as s3://). A trailing / means into this prefix.",
      example: "s3://my-bucket/input/",
      required: true,
      checks: [s3Uri],
      normalise: toS3,
    }),
  },
});

export const specSchema = object({
  description: "A spark.yml: one job (or several steps), the cluster to run it on, and where results go.",
  typeHint: "a spec is a mapping of keys like name:, code:, job:",
  hints: { spot: "spot applies to workers: cluster.worker.spot" },
  exclusive: {
    keys: ["job", "steps"],
    required: true,
    hint: "a spec runs one job (job: { type: pyspark, entrypoint: main.py }) or a list of steps (steps: [...]), not both",
  },
  fields: {
    name: string({
      description:
        "Name of the job. It becomes part of cloud resource names and result paths, so it is a DNS-label-like slug.",
      example: "wordcount",
      required: true,
      checks: [dnsLabel],
    }),
    target: oneOf(TARGETS, {
      description: "Where the cluster runs: `local` (this machine) or `aws`. The --target flag overrides it.",
      example: "aws",
      default: "local",
    }),
    code,
    job,
    steps,
    onError,
    dependencies,
    cluster,
    inputs: list(input, {
      description: "Local files or folders uploaded to S3 before the job starts.",
      example: "[{ from: ./data/, to: s3://my-bucket/input/ }]",
    }),
    outputs: list(
      string({
        description: "One path.",
        checks: [insideFolder],
        normalise: normaliseRelative,
      }),
      {
        description:
          "Files or folders (relative to the job's working folder on the master) copied to the results prefix.",
        example: "[out/, metrics.json]",
      },
    ),
    results: string({
      description:
        "s3:// prefix for logs, the run manifest and outputs; each run writes under <results><name>/<runId>/. s3a:// is accepted; a trailing / is added.",
      example: "s3://my-bucket/runs/",
      default: opsDefault("results"),
      checks: [s3Uri],
      normalise: toS3Prefix,
    }),
    tags: stringMap({
      description: "Extra tags on every cloud resource of the run (AWS tag rules).",
      example: "{ team: data, cost-center: '1234' }",
      keyChecks: [tagKey],
      valueChecks: [tagValue],
    }),
    maxCostUsd: positiveNumber({
      description:
        "Refuse to launch when the run's cost estimate is above this many USD, or when it cannot be estimated (an instance type or region without prices).",
      example: "5",
    }),
    notify,
    environments: environmentsField,
  },
});

const num = (value: unknown): number | undefined => (typeof value === "number" ? value : undefined);

/** Rules every job-shaped section follows; `at` is "job", "steps[2]" or "onError". */
const jobRules = (at: string): Rule[] => [
  {
    doc: `A \`jar\` job needs \`${at}.class\`.`,
    reads: [`${at}.type`, `${at}.class`],
    check: (spec) =>
      spec.get(`${at}.type`) === "jar" && spec.get(`${at}.class`) === undefined
        ? {
            at: `${at}.class`,
            expected: "a main class for a jar job",
            found: `no ${at}.class`,
            hint: `add it under ${at}, e.g. class: com.example.WordCount`,
          }
        : undefined,
  },
  {
    doc: `\`${at}.class\` is only allowed for \`jar\` jobs.`,
    reads: [`${at}.type`, `${at}.class`],
    check: (spec) => {
      const type = spec.get(`${at}.type`);
      return type !== "jar" && type !== undefined && spec.get(`${at}.class`) !== undefined
        ? { at: `${at}.class`, expected: `no class for a ${String(type)} job`, hint: "remove it, or set type: jar" }
        : undefined;
    },
  },
  {
    doc: "A `pyspark` entrypoint ends in `.py`; a `jar` entrypoint ends in `.jar`.",
    reads: [`${at}.type`, `${at}.entrypoint`],
    check: (spec) => {
      const type = spec.get(`${at}.type`);
      const entrypoint = String(spec.get(`${at}.entrypoint`));
      const suffix = type === "pyspark" ? ".py" : type === "jar" ? ".jar" : undefined;
      if (!suffix || entrypoint.endsWith(suffix)) return undefined;
      const other = entrypoint.endsWith(".jar") ? "jar" : entrypoint.endsWith(".py") ? "pyspark" : undefined;
      return {
        at: `${at}.entrypoint`,
        expected: `a ${suffix} file for a ${String(type)} job`,
        hint: other ? `did you mean type: ${other}?` : undefined,
      };
    },
  },
  {
    doc: `\`${at}.timeoutMinutes\` must not exceed \`cluster.ttlMinutes\`.`,
    reads: [`${at}.timeoutMinutes`, "cluster.ttlMinutes"],
    check: (spec) => {
      const timeout = num(spec.get(`${at}.timeoutMinutes`));
      const ttl = num(spec.get("cluster.ttlMinutes"));
      if (timeout === undefined || ttl === undefined || timeout <= ttl) return undefined;
      return {
        at: `${at}.timeoutMinutes`,
        expected: `at most cluster.ttlMinutes (${ttl})`,
        found: String(timeout),
        hint: "the nodes shut down at the TTL whatever the timeout; raise cluster.ttlMinutes or lower the timeout",
      };
    },
  },
];

const workersRule = (jobs: readonly string[]): Rule => ({
  doc: "`pyspark` and `jar` jobs need `cluster.workers` >= 1 (Spark needs executors); `shell` jobs may use 0.",
  reads: [...jobs.map((at) => `${at}.type`), "cluster.workers"],
  check: (spec) => {
    const workers = num(spec.get("cluster.workers"));
    const sparkJob = jobs.find((at) => ["pyspark", "jar"].includes(String(spec.get(`${at}.type`))));
    if (workers !== 0 || sparkJob === undefined) return undefined;
    const type = String(spec.get(`${sparkJob}.type`));
    const which = sparkJob === "job" ? "" : ` (${sparkJob})`;
    const defaulted = spec.isSet("cluster.workers") ? "" : " (the ops default)";
    return {
      at: "cluster.workers",
      expected: `at least 1 worker for a ${type} job${which}`,
      found: `0${defaulted}`,
      hint: "Spark needs a worker to run executors; only shell jobs may run on the master alone",
    };
  },
});

const spotRule: Rule = {
  doc: "`cluster.worker.maxPrice` and `cluster.worker.spotFallback` only apply with `cluster.worker.spot: true`.",
  reads: ["cluster.worker.spot", "cluster.worker.maxPrice", "cluster.worker.spotFallback"],
  check: (spec) => {
    if (spec.get("cluster.worker.spot") === true) return undefined;
    const key = ["maxPrice", "spotFallback"].find((k) => spec.isSet(`cluster.worker.${k}`));
    return key
      ? {
          at: `cluster.worker.${key}`,
          expected: `no ${key} for on-demand workers (spot: false)`,
          hint: `set cluster.worker.spot: true, or remove ${key}`,
        }
      : undefined;
  },
};

/** One rule per step name, so a name used twice is reported where it is used again. */
const stepNameRule = (stepCount: number, hasOnError: boolean, index: number): Rule => ({
  doc: `Step names are unique, and not \`${ON_ERROR_STEP}\` when \`onError\` is set (onError runs under that name).`,
  // Only its own name: an earlier name with a problem of its own has no value, so it matches nothing.
  reads: [`steps[${index}].name`],
  check: (spec) => {
    const name = spec.get(`steps[${index}].name`);
    const at = `steps[${index}].name`;
    if (hasOnError && name === ON_ERROR_STEP) {
      return { at, expected: `a step name other than ${ON_ERROR_STEP} (onError runs under that name)` };
    }
    const earlier = Array.from({ length: Math.min(index, stepCount) }, (_, i) => i).find(
      (i) => spec.get(`steps[${i}].name`) === name,
    );
    if (earlier === undefined) return undefined;
    return {
      at,
      expected: "a name no other step has",
      found: `${JSON.stringify(name)} again (steps[${earlier}].name)`,
      hint: "a step's name names its logs; give each step its own",
    };
  },
});

/** The job-shaped sections a spec has, as key paths. */
export interface SpecShape {
  readonly job: boolean;
  readonly stepCount: number;
  readonly onError: boolean;
}

/** Rules that involve more than one field, for a spec of the given shape. */
export function specRules(shape: SpecShape): readonly Rule[] {
  const jobs = [
    ...(shape.job ? ["job"] : []),
    ...Array.from({ length: shape.stepCount }, (_, i) => `steps[${i}]`),
    ...(shape.onError ? ["onError"] : []),
  ];
  const names = Array.from({ length: shape.stepCount }, (_, i) => stepNameRule(shape.stepCount, shape.onError, i));
  return [...jobs.flatMap(jobRules), workersRule(jobs), spotRule, ...names];
}

/** The rules as the reference doc states them, once each. */
export const RULE_DOCS: readonly string[] = [
  ...jobRules("job").map((rule) => rule.doc),
  "Each rule about `job` applies equally to every item of `steps` and to `onError`, reported at its own key path (e.g. `steps[1].class`).",
  workersRule(["job"]).doc,
  spotRule.doc,
  stepNameRule(1, true, 0).doc,
];

/** A complete, valid spec for the reference doc (a test checks that it parses). */
export const EXAMPLE_SPEC = `name: wordcount
target: aws
code:
  repo: https://github.com/org/jobs.git
  ref: main
job:
  type: pyspark
  entrypoint: wordcount/main.py
  args: [s3a://my-bucket/input/, s3a://my-bucket/output/]
  conf:
    spark.executor.memory: 2g
  timeoutMinutes: 60
cluster:
  workers: 4
  master: { instanceType: m5.xlarge }
  worker: { instanceType: m5.2xlarge, spot: true, maxPrice: 0.2 }
  spark: 3.5.3
  ttlMinutes: 120
inputs:
  - { from: ./data/, to: s3://my-bucket/input/ }
outputs: [out/]
results: s3://my-bucket/runs/
tags: { team: data }
maxCostUsd: 10
`;

/** Several steps on one cluster, for the reference doc (a test checks that it parses). */
export const EXAMPLE_STEPS_SPEC = `name: nightly-sales
target: aws
code: { repo: https://github.com/org/jobs.git, ref: v2.3.0 }
steps:
  - name: ingest
    type: pyspark
    entrypoint: sales/ingest.py
    args: [s3a://raw-sales/today/, s3a://my-bucket/staged/]
    retries: 2
  - name: aggregate
    type: jar
    entrypoint: sales/aggregate.jar
    class: com.example.sales.Aggregate
    args: [s3a://my-bucket/staged/, s3a://my-bucket/daily/]
    conf: { spark.sql.shuffle.partitions: 200 }
  - name: report
    type: shell
    entrypoint: sales/report.sh
onError:
  type: shell
  entrypoint: sales/cleanup.sh
dependencies:
  packages: [org.apache.spark:spark-avro_2.12:3.5.3]
  pip: [scikit-learn==1.5.2]
  requirements: sales/requirements.txt
cluster: { workers: 4 }
results: s3://my-bucket/runs/
notify:
  webhook: \${SLACK_WEBHOOK}
  on: [failure]
environments:
  dev:
    cluster: { workers: 1 }
    steps:
      ingest: { args: [s3a://my-bucket/sample/, s3a://my-bucket/staged/] }
`;
