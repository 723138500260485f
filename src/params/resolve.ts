// resolveParams: every parameter from the first source that has it — CLI flag, environment,
// spec, store (Consul over config files), built-in default — validated into the typed Params,
// with the provenance of every leaf.

import { type BurstError, badInput, type SourceLocation } from "../errors.ts";
import { didYouMean } from "../runspec/suggest.ts";
import type { TargetName } from "../targets/names.ts";
import { normalizePrefix, prefixFromEnv } from "./layout.ts";
import { knownKeys, leafForKey, sectionsOf, valueOfKey } from "./schema.ts";
import type { AnyLeaf, AnyPublishedSection } from "./section.ts";
import type { ParamStore, StoredParams } from "./store.ts";
import type { ParamProvenance, ParamSourceKind, Params, SpecDefaults, TargetParams } from "./types.ts";

export type Env = Readonly<Record<string, string | undefined>>;

/** A value given by a CLI flag or the spec; `where` names it for people: "--region", "spark.yml: cluster.workers". */
export interface ParamOverride {
  readonly value: unknown;
  readonly where: string;
}

/** Keyed like the store, relative to the prefix: { "aws/region": { value: "eu-west-1", where: "--region" } }. */
export type ParamOverrides = Readonly<Record<string, ParamOverride | undefined>>;

export interface ResolveOptions {
  readonly store: ParamStore;
  /** The environment consulted for BURST_<SECTION>_<KEY> (and BURST_CONSUL_PREFIX). */
  readonly env: Env;
  readonly flags?: ParamOverrides;
  readonly spec?: ParamOverrides;
  /** Defaults to BURST_CONSUL_PREFIX, else "burst/". */
  readonly prefix?: string;
  /**
   * Only this target's sections and the shared ones are required; a published section (the VPC
   * outputs) is required by the target that declares it and ignored by the others. Without a
   * target, every section is read, published ones when present.
   */
  readonly target?: TargetName;
}

export const CONFIG_PUSH_COMMAND = "npm run config:push";

interface Candidate {
  readonly raw: unknown;
  readonly source: ParamSourceKind;
  readonly where: string;
  readonly location?: SourceLocation;
}

interface Problem {
  readonly key: string;
  readonly message: string;
  readonly hint: string;
  readonly location?: SourceLocation;
}

export async function resolveParams(options: ResolveOptions): Promise<Params> {
  const prefix = options.prefix === undefined ? prefixFromEnv(options.env) : normalizePrefix(options.prefix);
  const stored = await options.store.read(prefix);
  const resolution = new Resolution(prefix, stored, options);

  // Every fixed section is resolved, whatever the target (a run's params carry them all); the
  // published ones after, since another section's value names their instance.
  const values: Record<string, unknown> = {};
  const sections = sectionsOf();
  for (const { property, section } of sections) {
    if (section.kind === "fixed") values[property] = resolution.section(section.leaves);
  }
  const target = options.target;
  const read = new Set(sectionsOf(target).map(({ property }) => property));
  for (const { property, section } of sections) {
    if (section.kind !== "published" || !read.has(property)) continue;
    values[property] = resolution.published(section, target !== undefined);
  }
  resolution.unknownFileKeys();

  resolution.throwProblems();
  const { defaults, notify, ...targetValues } = values;
  return {
    ...(targetValues as TargetParams),
    prefix,
    defaults: defaults as SpecDefaults,
    notifyWebhook: (notify as { webhook?: string }).webhook,
    provenance: resolution.provenance,
  };
}

/**
 * Throws what resolveParams({ target }) says when a published section the target needs is missing
 * (the VPC outputs for aws), for parameters resolved without a target (config:show prints them first).
 */
export function requirePublished(params: Params, target: TargetName): void {
  for (const { property, section } of sectionsOf(target)) {
    if (section.kind !== "published" || (params as Record<string, unknown>)[property] !== undefined) continue;
    const name = String(valueOfKey(params, section.nameKey));
    throw badInput(`${section.publisher.what} for "${name}" are missing (${params.prefix}${section.key}/${name}/...)`, {
      keyPath: `${section.key}/${name}`,
      hint: section.missingHint,
    });
  }
}

/** Whether `target` reads a section a stack publishes (the VPC outputs), which it requires when it runs. */
export const readsPublished = (target: TargetName): boolean =>
  sectionsOf(target).some(({ section }) => section.kind === "published");

class Resolution {
  readonly provenance = new Map<string, ParamProvenance>();
  private readonly problems: Problem[] = [];
  /** Every resolved value by key, for the key that names a published section's instance. */
  private readonly resolved = new Map<string, unknown>();

  constructor(
    private readonly prefix: string,
    private readonly stored: StoredParams,
    private readonly options: ResolveOptions,
  ) {}

  /** Resolves each leaf of a section; missing or invalid ones are collected, not thrown one by one. */
  section(leaves: Readonly<Record<string, AnyLeaf>>): Record<string, unknown> {
    const values: Record<string, unknown> = {};
    for (const [name, leaf] of Object.entries(leaves)) values[name] = this.value(leaf);
    return values;
  }

  /** The instance of a published section that its name key picks, if any of it is there; `required`: missing is a problem. */
  published(section: AnyPublishedSection, required: boolean): Record<string, unknown> | undefined {
    const name = this.resolved.get(section.nameKey);
    if (typeof name !== "string") return undefined;
    const leaves = section.leaves(name);
    const anyPresent = Object.values(leaves).some((leaf) => this.candidate(leaf) !== undefined);
    if (!anyPresent) {
      if (required) {
        this.problems.push({
          key: `${section.key}/${name}`,
          message: `${section.publisher.what} for "${name}" are missing (looked for ${this.prefix}${section.key}/${name}/... in ${this.options.store.description})`,
          hint: section.missingHint,
        });
      }
      return undefined;
    }
    return this.section(leaves);
  }

  /** A key in the config files that burst does not know is a typo that would be silently ignored. */
  unknownFileKeys(): void {
    for (const [key, param] of this.stored) {
      if (param.source !== "file" || leafForKey(key)) continue;
      const suggestion = didYouMean(key, knownKeys());
      this.problems.push({
        key,
        message: `unknown parameter${suggestion ? `: ${suggestion}` : ""} (from ${param.where})`,
        hint: "remove it, or fix its name (known keys are listed in docs/parameters.md)",
        location: param.location,
      });
    }
  }

  throwProblems(): void {
    const [first, ...rest] = this.problems;
    if (!first) return;
    if (rest.length === 0) throw problemError(first);
    const lines = this.problems.map((problem) => `  ${problem.key}: ${problem.message}\n    fix: ${problem.hint}`);
    throw badInput(`${this.problems.length} parameters are invalid or missing:\n${lines.join("\n")}`);
  }

  private value(leaf: AnyLeaf): unknown {
    const found = this.candidate(leaf);
    const candidate: Candidate | undefined =
      found ??
      (leaf.fallback !== undefined ? { raw: leaf.fallback, source: "default", where: "built-in default" } : undefined);
    if (!candidate) {
      this.provenance.set(leaf.key, { source: "default", where: "built-in default (unset)" });
      if (leaf.required) {
        this.problems.push({
          key: leaf.key,
          message: `is not set (looked at ${leaf.env} and ${this.options.store.description})`,
          hint: missingHint(leaf, this.prefix),
        });
      }
      return undefined;
    }
    this.provenance.set(leaf.key, { source: candidate.source, where: candidate.where });
    if (!leaf.required && typeof candidate.raw === "string" && candidate.raw.trim() === "") return undefined;
    const decoded = leaf.codec.decode(candidate.raw);
    if (decoded.ok) {
      this.resolved.set(leaf.key, decoded.value);
      return decoded.value;
    }
    this.problems.push({
      key: leaf.key,
      message: `${decoded.problem} (from ${candidate.where})`,
      hint: fixHint(leaf, candidate, this.prefix),
      location: candidate.location,
    });
    return undefined;
  }

  /** The highest-precedence source that has the leaf; an empty environment variable counts as unset. */
  private candidate(leaf: AnyLeaf): Candidate | undefined {
    const flag = this.options.flags?.[leaf.key];
    if (flag) return { raw: flag.value, source: "flag", where: flag.where };
    const fromEnv = this.options.env[leaf.env];
    if (fromEnv !== undefined && fromEnv !== "") return { raw: fromEnv, source: "env", where: leaf.env };
    const fromSpec = this.options.spec?.[leaf.key];
    if (fromSpec) return { raw: fromSpec.value, source: "spec", where: fromSpec.where };
    const fromStore = this.stored.get(leaf.key);
    if (fromStore)
      return { raw: fromStore.value, source: fromStore.source, where: fromStore.where, location: fromStore.location };
    return undefined;
  }
}

const yamlPath = (key: string): string => key.split("/").join(".");

function fixHint(leaf: AnyLeaf, candidate: Candidate, prefix: string): string {
  switch (candidate.source) {
    case "flag":
    case "spec":
      return `fix ${candidate.where}`;
    case "env":
      return `fix or unset ${leaf.env}`;
    case "file":
      return leaf.owner === "files"
        ? `fix ${candidate.where}, then run \`${CONFIG_PUSH_COMMAND}\``
        : `fix ${candidate.where}`;
    case "consul":
      if (leaf.publisher) return `run \`${leaf.publisher.command}\` to rewrite ${leaf.publisher.what}`;
      if (leaf.owner === "operator") return `consul kv put ${prefix}${leaf.key} <value>, or set ${leaf.env}`;
      return `fix ${yamlPath(leaf.key)} in config/${leaf.file}, then run \`${CONFIG_PUSH_COMMAND}\``;
    case "default":
      return "burst's built-in default is invalid: report this bug";
  }
}

function missingHint(leaf: AnyLeaf, prefix: string): string {
  if (leaf.publisher) return `run \`${leaf.publisher.command}\` to publish ${leaf.publisher.what}`;
  if (leaf.owner === "operator") return `consul kv put ${prefix}${leaf.key} <value>, or set ${leaf.env}`;
  return `set ${yamlPath(leaf.key)} in config/${leaf.file} and run \`${CONFIG_PUSH_COMMAND}\`, or set ${leaf.env}`;
}

const problemError = (problem: Problem): BurstError =>
  badInput(problem.message, { keyPath: problem.key, location: problem.location, hint: problem.hint });
