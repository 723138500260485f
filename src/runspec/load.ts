// spark.yml -> Spec: read the file, parse YAML with positions, translate a legacy file, merge the
// chosen environment, validate against the schema, fill defaults, derive buckets. Every problem
// in the files is reported in one SpecError.

import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { isSeq, type Node } from "yaml";
import { formatLocation, type SourceLocation } from "../errors.ts";
import type { SpecDefaults } from "../params/types.ts";
import { Cursor, type DecodeEnv, INVALID, Session } from "./decoder.ts";
import { applyEnvironment, type OverlayFile } from "./environments.ts";
import { fileProblem, SpecError, type SpecIssue } from "./issues.ts";
import { isLegacySpec, type LegacyTranslation, translateLegacySource, withLegacyKeyPaths } from "./legacy.ts";
import { applyRules } from "./rules.ts";
import { type BucketRole, bucketOf, bucketsInText, fillBucketRoles } from "./s3.ts";
import { ON_ERROR_STEP, SINGLE_JOB_STEP, type SpecShape, specRules, specSchema } from "./schema.ts";
import { NodeOrigins, parseYaml } from "./sources.ts";
import type { JobSpec, NamedBuckets, Spec, StepSpec, TargetName } from "./types.ts";

export interface LoadOptions {
  /** What ops set centrally; the spec falls back to these. */
  readonly defaults: SpecDefaults;
  /** CLI flags, which beat the spec. */
  readonly overrides?: { readonly target?: TargetName };
  /** Environment whose overlay is merged over the spec (--env): inline environments.<name> and/or <spec>.<name>.yml. */
  readonly environment?: string;
  /** Block of a legacy spec file to run (--block); may be omitted when the file has a single block. */
  readonly block?: string;
  /** What s3://${data}/ and s3://${results}/ stand for on the run's target; absent: no target names any. */
  readonly namedBuckets?: (target: TargetName) => NamedBuckets;
}
const REFERENCE = "see docs/spec-reference.md";

/** Reads, validates and resolves a spark.yml. Throws SpecError (bad-input, exit 2) listing every problem. */
export async function loadSpec(path: string, options: LoadOptions): Promise<Spec> {
  const bytes = await readSpecFile(path);
  return resolveSpec(bytes.toString("utf8"), path, options, sha256(bytes));
}

/** Like loadSpec for text already in memory; `file` names it in messages and anchors relative paths. */
export function parseSpec(text: string, file: string, options: LoadOptions): Spec {
  return resolveSpec(text, file, options, sha256(Buffer.from(text, "utf8")));
}

const sha256 = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex");

async function readSpecFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw fileError(path, error);
  }
}

function fileError(path: string, error: unknown): SpecError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return fileProblem(path, "spec file not found", "pass the path of a spark.yml");
  if (code === "EISDIR") {
    const inside = join(path, "spark.yml");
    const hint = existsSync(inside) ? `did you mean ${inside}?` : "pass the path of the spark.yml inside it";
    return fileProblem(path, "is a directory, not a spec file", hint);
  }
  if (code === "EACCES") return fileProblem(path, "cannot read the spec file: permission denied");
  const reason = error instanceof Error ? error.message : String(error);
  return fileProblem(path, `cannot read the spec file: ${reason}`);
}

function resolveSpec(text: string, file: string, options: LoadOptions, digest: string): Spec {
  const absolute = resolve(file);
  const env: DecodeEnv = { dir: dirname(absolute), defaults: options.defaults };
  const decoded = decodeSpec(text, file, env, options);
  const { overlays, legacy, maxCostUsdAt } = decoded;
  const target = options.overrides?.target ?? decoded.raw.target;
  const raw = withNamedBuckets(decoded, file, target, options);
  const steps: StepSpec[] = raw.steps ?? (raw.job ? [{ name: SINGLE_JOB_STEP, ...raw.job, retries: 0 }] : []);
  const first = steps[0];
  if (!first) throw new Error("a decoded spec has a job or at least one step");
  const onError = raw.onError && { name: ON_ERROR_STEP, ...raw.onError, retries: 0 };
  const source = {
    file: absolute,
    dir: env.dir,
    sha256: digest,
    ...(overlays.length > 0 ? { overlays: overlays.map((o) => ({ file: resolve(o.file), sha256: o.sha256 })) } : {}),
    ...(legacy ? { legacyBlock: legacy.block } : {}),
    ...(maxCostUsdAt ? { maxCostUsdAt } : {}),
  };
  const buckets = bucketsOf(raw.results, raw.inputs, onError ? [...steps, onError] : steps);
  return {
    name: raw.name,
    target,
    ...(options.environment === undefined ? {} : { environment: options.environment }),
    code: raw.code,
    job: jobOf(first),
    steps,
    ...(onError ? { onError } : {}),
    dependencies: raw.dependencies,
    cluster: raw.cluster,
    inputs: raw.inputs,
    outputs: raw.outputs,
    results: raw.results,
    buckets,
    tags: raw.tags,
    ...(raw.maxCostUsd === undefined ? {} : { maxCostUsd: raw.maxCostUsd }),
    ...(raw.notify ? { notify: raw.notify } : {}),
    warnings: legacy?.warnings ?? [],
    ...(legacy ? { notes: [legacyBucketsNote(absolute, legacy.block, buckets)] } : {}),
    source,
  };
}

/**
 * Which buckets a legacy block's run reaches: those it names. The old setup's node role often
 * reached more, and a legacy job may read a bucket named only in its code.
 */
function legacyBucketsNote(file: string, block: string, buckets: readonly string[]): string {
  return (
    `${file}: the run of block ${block} reaches the S3 buckets it names (in spark_job_args and results): ${buckets.join(", ")}. ` +
    "A bucket the job names only in its code is not among them: on aws add it to the buckets the node role may use " +
    "(aws/buckets; docs/aws.md#buckets-a-legacy-job-reads)"
  );
}

/** A step as the one job older code expects: everything but its name and retries. */
function jobOf(step: StepSpec): JobSpec {
  const { name: _name, retries: _retries, ...job } = step;
  return job;
}

type DecodedSpec = Exclude<ReturnType<typeof specSchema.decode>, typeof INVALID>;

interface Decoded {
  readonly raw: DecodedSpec;
  readonly overlays: readonly OverlayFile[];
  readonly legacy?: LegacyTranslation;
  readonly maxCostUsdAt?: SourceLocation;
  /** Where each key path is written, for problems found after decoding. */
  readonly locations: ReadonlyMap<string, SourceLocation>;
}

function decodeSpec(text: string, file: string, env: DecodeEnv, options: LoadOptions): Decoded {
  if (text.trim() === "") {
    const needs = "a spec needs at least name, code.repo, job.type and job.entrypoint";
    throw fileProblem(file, "the spec file is empty", `${needs}; ${REFERENCE}`);
  }
  const source = parseYaml(text, file);
  const contents = source.doc.contents;
  if (contents === null) throw fileProblem(file, "the spec file has no content (only comments)", REFERENCE);
  const origins = new NodeOrigins(source);
  let root: Node = contents;
  let legacy: LegacyTranslation | undefined;
  if (isLegacySpec(contents, origins)) {
    legacy = translateLegacySource(source, origins, env, options.block);
    root = legacy.root;
  } else if (options.block !== undefined) {
    throw fileProblem(
      file,
      `--block ${options.block}: expected a legacy spec (named blocks with exec_path, git_repo, ...), found a native spec`,
      "remove --block; it chooses a block of a legacy spec",
    );
  }
  let overlayIssues: readonly SpecIssue[] = [];
  let overlays: readonly OverlayFile[] = [];
  if (options.environment !== undefined) {
    const context = { specFile: file, origins, env, rootDoc: specSchema.doc };
    const outcome = applyEnvironment(root, options.environment, context);
    root = outcome.root;
    overlays = outcome.overlays;
    overlayIssues = outcome.issues;
  }
  const session = new Session(origins, env, specSchema.doc);
  const value = specSchema.decode(root, Cursor.root(session, root));
  applyRules(specRules(shapeOf(session)), session);
  // The spec's own problems first: its file is listed before its overlays'.
  const issues = [...session.issues, ...overlayIssues];
  const reported = legacy ? withLegacyKeyPaths(issues, legacy, file) : issues;
  if (reported.length > 0 || value === INVALID) throw new SpecError(distinct(reported));
  return {
    raw: value,
    overlays,
    legacy,
    maxCostUsdAt: session.locations.get("maxCostUsd"),
    locations: session.locations,
  };
}

/**
 * The spec with s3://${data}/ and s3://${results}/ replaced by the target's buckets, in results,
 * inputs[].to and every step's args; a placeholder the target cannot fill is a SpecError at its line.
 */
function withNamedBuckets(decoded: Decoded, file: string, target: TargetName, options: LoadOptions): DecodedSpec {
  const named = options.namedBuckets?.(target);
  const issues: SpecIssue[] = [];
  const fill = (text: string, keyPath: string): string => {
    const { text: filled, unfilled } = fillBucketRoles(text, (role) => named?.[role]);
    for (const role of new Set(unfilled)) issues.push(unnamedBucketIssue(role, keyPath, target, named, decoded, file));
    return filled;
  };
  const fillArgs = <S extends { readonly args: readonly string[] }>(step: S, keyPath: string): S => ({
    ...step,
    args: step.args.map((arg, index) => fill(arg, `${keyPath}.args[${index}]`)),
  });
  const raw = decoded.raw;
  const filled: DecodedSpec = {
    ...raw,
    results: fill(raw.results, "results"),
    inputs: raw.inputs.map((input, index) => ({ ...input, to: fill(input.to, `inputs[${index}].to`) })),
    ...(raw.job ? { job: fillArgs(raw.job, "job") } : {}),
    ...(raw.steps ? { steps: raw.steps.map((step, index) => fillArgs(step, `steps[${index}]`)) } : {}),
    ...(raw.onError ? { onError: fillArgs(raw.onError, "onError") } : {}),
  };
  if (issues.length === 0) return filled;
  throw new SpecError(decoded.legacy ? withLegacyKeyPaths(issues, decoded.legacy, file) : issues);
}

function unnamedBucketIssue(
  role: BucketRole,
  keyPath: string,
  target: TargetName,
  named: NamedBuckets | undefined,
  decoded: Decoded,
  file: string,
): SpecIssue {
  const written = decoded.locations.get(keyPath);
  const param = named?.params[role];
  return {
    location: written ?? { file },
    keyPath,
    message:
      `\${${role}} stands for the ${role} bucket of target ${target}` +
      (param ? `, which parameter ${param} names, and it is not set` : ", and this command names none"),
    hint: named?.hint ?? `write the bucket's name: s3://my-bucket/...`,
  };
}

/** Which job-shaped sections were written, so their cross-field rules can run. */
function shapeOf(session: Session): SpecShape {
  const steps = session.nodes.get("steps");
  const list = steps && session.deref(steps);
  return {
    job: session.nodes.has("job"),
    stepCount: isSeq(list) ? list.items.length : 0,
    onError: session.nodes.has("onError"),
  };
}

/** An inline overlay is checked before merging and again with the spec: report each problem once. */
function distinct(issues: readonly SpecIssue[]): SpecIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${formatLocation(issue.location)}|${issue.keyPath ?? ""}|${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Buckets the run touches: results, inputs[].to and any s3(a):// URI in a step's args. */
function bucketsOf(results: string, inputs: readonly { readonly to: string }[], steps: readonly JobSpec[]): string[] {
  const uris = [results, ...inputs.map((input) => input.to)];
  const named = [...uris.map(bucketOf), ...steps.flatMap((step) => step.args.flatMap(bucketsInText))];
  return [...new Set(named.filter((b): b is string => b !== undefined && b !== ""))].sort();
}
