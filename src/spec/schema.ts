// spark.yml, declared once: this drives validation, defaults and docs/spec-reference.md.

import {
  dnsLabel,
  envName,
  existsLocally,
  gitRef,
  gitRepo,
  insideFolder,
  instanceType,
  javaClass,
  normaliseRelative,
  resolveLocal,
  resolveRepo,
  sparkConfKey,
  sparkMemory,
  sparkVersion,
  tagKey,
  tagValue,
} from "./checks.ts";
import { boolean, integer, list, object, oneOf, opsDefault, positiveNumber, string, stringMap } from "./fields.ts";
import type { Rule } from "./rules.ts";
import { s3Uri, s3UrisInTextAreValid, toS3, toS3Prefix } from "./s3.ts";

export const TARGETS = ["local", "aws"] as const;
export const JOB_TYPES = ["pyspark", "jar", "shell"] as const;

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

const job = object({
  description: "What to run on the cluster.",
  example: "{ type: pyspark, entrypoint: wordcount/main.py }",
  required: true,
  fields: {
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
      description: "Spark version installed on the nodes.",
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
  description: "A spark.yml: one job, the cluster to run it on, and where results go.",
  typeHint: "a spec is a mapping of keys like name:, code:, job:",
  hints: { spot: "spot applies to workers: cluster.worker.spot" },
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
      description: "Refuse to launch when the run's cost estimate is above this many USD.",
      example: "5",
    }),
  },
});

const num = (value: unknown): number | undefined => (typeof value === "number" ? value : undefined);

/** Rules that involve more than one field. */
export const specRules: readonly Rule[] = [
  {
    doc: "A `jar` job needs `job.class`.",
    reads: ["job.type", "job.class"],
    check: (spec) =>
      spec.get("job.type") === "jar" && spec.get("job.class") === undefined
        ? {
            at: "job.class",
            expected: "a main class for a jar job",
            found: "no job.class",
            hint: "add it under job, e.g. class: com.example.WordCount",
          }
        : undefined,
  },
  {
    doc: "`job.class` is only allowed for `jar` jobs.",
    reads: ["job.type", "job.class"],
    check: (spec) => {
      const type = spec.get("job.type");
      return type !== "jar" && type !== undefined && spec.get("job.class") !== undefined
        ? { at: "job.class", expected: `no class for a ${String(type)} job`, hint: "remove it, or set type: jar" }
        : undefined;
    },
  },
  {
    doc: "A `pyspark` entrypoint ends in `.py`; a `jar` entrypoint ends in `.jar`.",
    reads: ["job.type", "job.entrypoint"],
    check: (spec) => {
      const type = spec.get("job.type");
      const entrypoint = String(spec.get("job.entrypoint"));
      const suffix = type === "pyspark" ? ".py" : type === "jar" ? ".jar" : undefined;
      if (!suffix || entrypoint.endsWith(suffix)) return undefined;
      const other = entrypoint.endsWith(".jar") ? "jar" : entrypoint.endsWith(".py") ? "pyspark" : undefined;
      return {
        at: "job.entrypoint",
        expected: `a ${suffix} file for a ${String(type)} job`,
        hint: other ? `did you mean type: ${other}?` : undefined,
      };
    },
  },
  {
    doc: "`pyspark` and `jar` jobs need `cluster.workers` >= 1 (Spark needs executors); `shell` jobs may use 0.",
    reads: ["job.type", "cluster.workers"],
    check: (spec) => {
      const type = spec.get("job.type");
      const workers = num(spec.get("cluster.workers"));
      if (workers !== 0 || (type !== "pyspark" && type !== "jar")) return undefined;
      const defaulted = spec.isSet("cluster.workers") ? "" : " (the ops default)";
      return {
        at: "cluster.workers",
        expected: `at least 1 worker for a ${type} job`,
        found: `0${defaulted}`,
        hint: "Spark needs a worker to run executors; only shell jobs may run on the master alone",
      };
    },
  },
  {
    doc: "`job.timeoutMinutes` must not exceed `cluster.ttlMinutes`.",
    reads: ["job.timeoutMinutes", "cluster.ttlMinutes"],
    check: (spec) => {
      const timeout = num(spec.get("job.timeoutMinutes"));
      const ttl = num(spec.get("cluster.ttlMinutes"));
      if (timeout === undefined || ttl === undefined || timeout <= ttl) return undefined;
      return {
        at: "job.timeoutMinutes",
        expected: `at most cluster.ttlMinutes (${ttl})`,
        found: String(timeout),
        hint: "the nodes shut down at the TTL whatever the timeout; raise cluster.ttlMinutes or lower the timeout",
      };
    },
  },
  {
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
  },
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
