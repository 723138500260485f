// Environments: named overlays merged over the spec before it is validated, written inline
// (environments: { prod: {...} }) and/or in files beside the spec (spark.prod.yml for spark.yml).
// Merging works on the YAML nodes themselves, so a value keeps the file and line that wrote it.

import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import { isMap, isScalar, isSeq, type Node, Pair, YAMLMap, YAMLSeq } from "yaml";
import { ENVIRONMENT_NAME, environmentName } from "./checks.ts";
import { Cursor, type DecodeEnv, type Field, type FieldDoc, INVALID, Session } from "./decoder.ts";
import { fileProblem, type SpecIssue } from "./issues.ts";
import { type NodeOrigins, parseYaml } from "./sources.ts";
import { closeMatches, didYouMean } from "./suggest.ts";

/** Top-level keys an overlay may change; the rest describe the job itself, which is the same everywhere. */
export const OVERLAY_KEYS = [
  "target",
  "cluster",
  "inputs",
  "outputs",
  "results",
  "job",
  "steps",
  "tags",
  "maxCostUsd",
  "notify",
] as const;

/** What an overlay may change in a job or a step. */
export const JOB_OVERLAY_KEYS = ["conf", "args"] as const;

const FIXED_KEYS: Readonly<Record<string, string>> = {
  name: "the name is the same in every environment (it names the run's results)",
  code: "every environment runs the same code",
  onError: "onError is the same in every environment",
  dependencies: "dependencies are the same in every environment",
  environments: "environments do not nest",
};

export interface OverlayFile {
  readonly file: string;
  readonly sha256: string;
}

export interface EnvironmentOutcome {
  /** The spec's root with the overlays merged in. */
  readonly root: Node;
  readonly overlays: readonly OverlayFile[];
  /** Problems in the overlays themselves (forbidden keys, unknown step names); reported with the spec's. */
  readonly issues: readonly SpecIssue[];
}

interface EnvironmentContext {
  readonly specFile: string;
  readonly origins: NodeOrigins;
  readonly env: DecodeEnv;
  /** The spec schema's doc, for "did you mean" across the whole spec. */
  readonly rootDoc: FieldDoc;
}

/**
 * Merges environment `name` over the spec: its inline overlay first, then its file beside the
 * spec. Throws SpecError when the spec has no such environment or an overlay file is unreadable.
 */
export function applyEnvironment(root: Node, name: string, context: EnvironmentContext): EnvironmentOutcome {
  const { origins } = context;
  const inline = inlineOverlays(root, origins);
  const files = overlayFiles(context.specFile);
  const file = files.get(name);
  const inlinePair = inline?.items.find((pair) => keyName(pair.key, origins) === name);
  if (!inlinePair && !file) throw unknownEnvironment(name, context.specFile, available(inline, files, origins));

  const session = new Session(origins, context.env, context.rootDoc);
  let merged = root;
  const overlays: OverlayFile[] = [];
  if (inlinePair && inline) {
    const at = Cursor.root(session, root)
      .child("environments", undefined, inline)
      .child(name, inlinePair.key, inlinePair.value ?? undefined);
    const overlay = inlinePair.value ? checkOverlay(inlinePair.value, at) : undefined;
    if (overlay) merged = mergeSpec(merged, overlay, at);
  }
  if (file) {
    const text = readOverlay(file);
    const source = parseYaml(text, file);
    origins.add(source);
    overlays.push({ file, sha256: createHash("sha256").update(text).digest("hex") });
    const contents = source.doc.contents;
    // An empty overlay file is an environment that changes nothing.
    if (contents && !(isScalar(contents) && contents.value === null)) {
      const at = Cursor.root(session, contents);
      const overlay = checkOverlay(contents, at);
      if (overlay) merged = mergeSpec(merged, overlay, at);
    }
  }
  return { root: merged, overlays, issues: session.issues };
}

/** Environments a spec has: its inline ones and the overlay files beside it, sorted. */
export function environmentsOf(root: Node | null, specFile: string, origins: NodeOrigins): string[] {
  return available(root ? inlineOverlays(root, origins) : undefined, overlayFiles(specFile), origins);
}

function available(
  inline: YAMLMap<Node, Node | null> | undefined,
  files: ReadonlyMap<string, string>,
  origins: NodeOrigins,
): string[] {
  const names = inline?.items.map((pair) => keyName(pair.key, origins)) ?? [];
  return [...new Set([...names.filter((n): n is string => n !== undefined), ...files.keys()])].sort();
}

/** spark.<env>.yml beside spark.yml (generally <stem>.<env><ext>), by environment name. */
export function overlayFiles(specFile: string): Map<string, string> {
  const dir = dirname(specFile);
  const ext = extname(specFile);
  const stem = basename(specFile, ext);
  const found = new Map<string, string>();
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return found;
  }
  for (const entry of entries.sort()) {
    if (!entry.startsWith(`${stem}.`) || !entry.endsWith(ext)) continue;
    const name = entry.slice(stem.length + 1, entry.length - ext.length);
    if (ENVIRONMENT_NAME.test(name)) {
      found.set(name, join(dir, entry));
    }
  }
  return found;
}

export const overlayFileName = (specFile: string, name: string): string => {
  const ext = extname(specFile);
  return `${basename(specFile, ext)}.${name}${ext}`;
};

function readOverlay(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw fileProblem(file, `cannot read the environment overlay: ${reason}`);
  }
}

function inlineOverlays(root: Node, origins: NodeOrigins): YAMLMap<Node, Node | null> | undefined {
  const map = origins.deref(root);
  if (!isMap(map)) return undefined;
  const pair = map.items.find((p) => keyName(p.key as Node, origins) === "environments");
  const value = pair?.value ? origins.deref(pair.value as Node) : undefined;
  return isMap(value) ? (value as YAMLMap<Node, Node | null>) : undefined;
}

function unknownEnvironment(name: string, specFile: string, names: readonly string[]) {
  const where = `environments: { ${name}: {...} } in the spec, or a file ${overlayFileName(specFile, name)} beside it`;
  if (names.length === 0) {
    return fileProblem(
      specFile,
      `unknown environment "${name}" (--env): the spec defines no environments`,
      `add ${where}`,
    );
  }
  const hint = didYouMean(name, names) ?? `choose one of ${names.join(", ")}, or add ${where}`;
  return fileProblem(
    specFile,
    `unknown environment "${name}" (--env): the spec's environments are ${names.join(", ")}`,
    hint,
  );
}

// ---- what an overlay may contain ----------------------------------------------------------------

/** The overlay with only the keys it may change (forbidden ones reported), or undefined if not a mapping. */
function checkOverlay(node: Node, at: Cursor): YAMLMap<Node, Node | null> | undefined {
  const map = at.session.deref(node);
  if (!isMap(map)) {
    at.report({
      expected: "a mapping of the keys this environment changes",
      hint: "e.g. prod: { cluster: { workers: 8 }, results: s3://prod-results/runs/ }",
    });
    return undefined;
  }
  const accepted = at.session.origins.adopt(new YAMLMap<Node, Node | null>(), map);
  for (const pair of map.items as Pair<Node, Node | null>[]) {
    const key = keyOf(pair, at);
    if (key === undefined) continue;
    const child = at.child(key, pair.key, pair.value ?? undefined);
    if (!(OVERLAY_KEYS as readonly string[]).includes(key)) {
      const reason = Object.hasOwn(FIXED_KEYS, key) ? FIXED_KEYS[key] : undefined;
      if (reason) {
        child.report(
          {
            expected: `one of ${OVERLAY_KEYS.join(", ")}`,
            found: `"${key}", which an environment cannot change`,
            hint: reason,
          },
          pair.key,
        );
      } else at.unknownKey(key, pair.key, OVERLAY_KEYS, {});
      continue;
    }
    if (key === "job") {
      const job = checkJobOverlay(pair.value, child);
      if (job) accepted.items.push(new Pair(pair.key, job));
    } else if (key === "steps") {
      const steps = checkStepsOverlay(pair.value, child);
      if (steps) accepted.items.push(new Pair(pair.key, steps));
    } else accepted.items.push(pair);
  }
  return accepted;
}

const JOB_ONLY_HINT = "an environment may change a job's conf and args only";

function checkJobOverlay(node: Node | null, at: Cursor): YAMLMap<Node, Node | null> | undefined {
  const map = node ? at.session.deref(node) : undefined;
  if (!isMap(map)) {
    at.report({ expected: "a mapping of conf and args", hint: "e.g. job: { args: [s3a://prod-data/in/] }" });
    return undefined;
  }
  const accepted = at.session.origins.adopt(new YAMLMap<Node, Node | null>(), map);
  for (const pair of map.items as Pair<Node, Node | null>[]) {
    const key = keyOf(pair, at);
    if (key === undefined) continue;
    if ((JOB_OVERLAY_KEYS as readonly string[]).includes(key)) {
      accepted.items.push(pair);
      continue;
    }
    const hint = didYouMean(key, JOB_OVERLAY_KEYS) ?? JOB_ONLY_HINT;
    at.child(key, pair.key, pair.value ?? undefined).report(
      {
        expected: `one of ${JOB_OVERLAY_KEYS.join(", ")}`,
        found: `"${key}", which an environment cannot change`,
        hint,
      },
      pair.key,
    );
  }
  return accepted;
}

function checkStepsOverlay(node: Node | null, at: Cursor): YAMLMap<Node, Node | null> | undefined {
  const map = node ? at.session.deref(node) : undefined;
  if (!isMap(map)) {
    at.report({
      expected: "a mapping of step names to their changes",
      hint: "in an environment, change steps by name: steps: { ingest: { args: [s3a://prod-data/in/] } }",
    });
    return undefined;
  }
  const accepted = at.session.origins.adopt(new YAMLMap<Node, Node | null>(), map);
  for (const pair of map.items as Pair<Node, Node | null>[]) {
    const key = keyOf(pair, at);
    if (key === undefined) continue;
    const step = checkJobOverlay(pair.value, at.child(key, pair.key, pair.value ?? undefined));
    if (step) accepted.items.push(new Pair(pair.key, step));
  }
  return accepted;
}

/** Checks every inline overlay (selected or not), so `burst validate` catches a mistake in any of them. */
export const environmentsField: Field<string[]> = {
  doc: {
    kind: "map",
    type: "mapping of environment name to overlay",
    description:
      "Named overlays merged over the spec when chosen with --env, e.g. to run bigger in prod. A file beside the spec named <spec>.<env>.yml (spark.prod.yml for spark.yml) is an overlay too. See docs/environments.md for the merge rules.",
    example: "{ prod: { cluster: { workers: 8 }, results: s3://prod-results/runs/ } }",
    required: false,
    defaultText: "`{}`",
    constraints: [
      `names: ${environmentName.doc}`,
      `an overlay may change ${OVERLAY_KEYS.filter((k) => k !== "job" && k !== "steps").join(", ")}, and conf and args of job or of steps (by step name)`,
    ],
  },
  decode: (node, at) => {
    const map = at.session.deref(node);
    if (!isMap(map)) {
      return at.fail({
        expected: "a mapping of environment names to overlays",
        hint: "e.g. environments: { prod: { cluster: { workers: 8 } } }",
      });
    }
    const before = at.session.issues.length;
    const names: string[] = [];
    for (const pair of map.items as Pair<Node, Node | null>[]) {
      const name = keyOf(pair, at);
      if (name === undefined) continue;
      const child = at.child(name, pair.key, pair.value ?? undefined);
      const problem = environmentName.test(name, at.env);
      if (problem) child.report({ found: `environment ${JSON.stringify(name)}`, ...problem }, pair.key);
      if (pair.value) checkOverlay(pair.value, child);
      else child.report({ expected: "a mapping of the keys this environment changes", hint: "write {} for none" });
      names.push(name);
    }
    return at.session.issues.length === before ? names : INVALID;
  },
  absent: () => [],
};

// ---- merging ------------------------------------------------------------------------------------

const isNull = (node: Node | null | undefined): boolean => !node || (isScalar(node) && node.value === null);

function keyName(node: unknown, origins: NodeOrigins): string | undefined {
  const key = origins.deref(node as Node);
  if (!isScalar(key)) return undefined;
  const value = key.value;
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean"
    ? (key.source ?? String(value))
    : undefined;
}

function keyOf(pair: Pair<Node, Node | null>, at: Cursor): string | undefined {
  const key = keyName(pair.key, at.session.origins);
  if (key === undefined) at.report({ expected: "a key name", hint: "keys are plain words, e.g. cluster:" }, pair.key);
  return key;
}

/**
 * `over` merged onto `base`: mappings merge key by key (deeply), anything else in the overlay
 * replaces the base value, lists included; null in the overlay removes the key.
 */
function mergeNodes(base: Node | null | undefined, over: Node, origins: NodeOrigins): Node {
  const from = base ? origins.deref(base) : undefined;
  const into = origins.deref(over);
  if (!isMap(from) || !isMap(into)) return into;
  const merged = origins.adopt(new YAMLMap<Node, Node | null>(), from);
  const overPairs = new Map<string, Pair<Node, Node | null>>();
  for (const pair of into.items as Pair<Node, Node | null>[]) {
    const key = keyName(pair.key, origins);
    if (key !== undefined) overPairs.set(key, pair);
  }
  for (const pair of from.items as Pair<Node, Node | null>[]) {
    const key = keyName(pair.key, origins);
    const change = key === undefined ? undefined : overPairs.get(key);
    if (key !== undefined) overPairs.delete(key);
    if (!change) merged.items.push(pair);
    else if (!isNull(change.value)) {
      merged.items.push(new Pair(pair.key, mergeNodes(pair.value, change.value as Node, origins)));
    }
  }
  for (const pair of overPairs.values()) if (!isNull(pair.value)) merged.items.push(pair);
  return merged;
}

/** The spec's root with a checked overlay merged in; steps are matched by name. */
function mergeSpec(root: Node, overlay: YAMLMap<Node, Node | null>, at: Cursor): Node {
  const origins = at.session.origins;
  const base = origins.deref(root);
  if (!isMap(base)) return root; // the spec's own decoding reports a root that is not a mapping
  const has = (key: string) => base.items.some((pair) => keyName(pair.key, origins) === key);
  const plain = origins.adopt(new YAMLMap<Node, Node | null>(), overlay);
  let steps: Pair<Node, Node | null> | undefined;
  for (const pair of overlay.items) {
    const key = keyName(pair.key, origins);
    const child = at.child(key ?? "", pair.key, pair.value ?? undefined);
    if (key === "steps" && !has("steps")) {
      child.report(
        {
          expected: "job (this spec runs a single job)",
          found: "steps",
          hint: "change the job's conf or args with job: { args: [...] }",
        },
        pair.key,
      );
    } else if (key === "job" && !has("job") && has("steps")) {
      child.report(
        {
          expected: "steps (this spec runs steps)",
          found: "job",
          hint: "change a step by name: steps: { <step name>: { args: [...] } }",
        },
        pair.key,
      );
    } else if (key === "steps") steps = pair;
    else plain.items.push(pair);
  }
  const merged = mergeNodes(base, plain, origins) as YAMLMap<Node, Node | null>;
  if (!steps?.value) return merged;
  const changes = steps.value as YAMLMap<Node, Node | null>;
  const stepsAt = at.child("steps", steps.key, changes);
  merged.items = merged.items.map((pair) =>
    keyName(pair.key, origins) === "steps" && pair.value
      ? new Pair(pair.key, mergeSteps(pair.value, changes, stepsAt))
      : pair,
  );
  return merged;
}

function mergeSteps(baseSteps: Node, changes: YAMLMap<Node, Node | null>, at: Cursor): Node {
  const origins = at.session.origins;
  const list = origins.deref(baseSteps);
  if (!isSeq(list)) return baseSteps; // decoding the spec reports steps that are not a list
  const nameOf = (item: unknown): string | undefined => {
    const step = origins.deref(item as Node);
    if (!isMap(step)) return undefined;
    const pair = step.items.find((p) => keyName(p.key as Node, origins) === "name");
    return pair?.value ? keyName(pair.value as Node, origins) : undefined;
  };
  const names = list.items.map(nameOf).filter((n): n is string => n !== undefined);
  const byName = new Map<string, Node>();
  for (const pair of changes.items) {
    const name = keyName(pair.key, origins);
    if (name === undefined || !pair.value) continue;
    if (names.includes(name)) byName.set(name, pair.value);
    else {
      const typo = closeMatches(name, names).length > 0 ? didYouMean(name, names) : undefined;
      at.child(name, pair.key, pair.value).report(
        {
          expected: `the name of a step (${names.join(", ")})`,
          found: `"${name}", which no step has`,
          hint: typo ?? "an environment changes the spec's own steps; it cannot add new ones",
        },
        pair.key,
      );
    }
  }
  const merged = origins.adopt(new YAMLSeq<Node>(), list);
  merged.items = list.items.map((item) => {
    const change = byName.get(nameOf(item) ?? "");
    return change ? mergeNodes(item as Node, change, origins) : (item as Node);
  });
  return merged;
}
