// The flat spark.yml of the old Terraform + Consul + Ansible setup: a mapping of named blocks,
// one job each. translateLegacy turns one block into a native spec made of the legacy file's own
// YAML nodes, so the native validation that follows still points at the lines the user wrote.

import { dirname, extname, resolve } from "node:path";
import { isMap, isScalar, isSeq, type Node, Pair, Scalar, YAMLMap, YAMLSeq } from "yaml";
import { describeSupportedSparkVersions, SUPPORTED_SPARK_VERSIONS } from "../../stacks/shared/spark-versions.ts";
import { formatLocation } from "../errors.ts";
import type { SpecDefaults } from "../params/types.ts";
import { insideFolder, slugify } from "./checks.ts";
import { Cursor, type DecodeEnv, INVALID, Session } from "./decoder.ts";
import { integer, object, string } from "./fields.ts";
import { fileProblem, SpecError, type SpecIssue } from "./issues.ts";
import { applyRules, type Rule } from "./rules.ts";
import { NodeOrigins, parseYaml, type YamlSource } from "./sources.ts";
import { didYouMean } from "./suggest.ts";

/** Keys of the old setup that burst does itself now: each is ignored with a warning. */
const RETIRED: Readonly<Record<string, string>> = {
  instance_tag: "burst tags every run's resources itself (run id, owner, commit)",
  git_dest: "burst chooses the checkout folder on the master",
};

/** spark-<version>-bin-<hadoop>.tgz (or spark-<version>.tgz): the distribution the old setup installed. */
const SPARK_TARBALL = /(?:^|\/)spark-(\d+\.\d+\.\d+)(?:-bin-[^/]*)?\.(?:tgz|tar\.gz)$/;

/** The Spark version a legacy spark_url (a distribution tarball URL) asks for, when its file name tells. */
export function sparkVersionOfUrl(url: string): string | undefined {
  return SPARK_TARBALL.exec(url.trim().replace(/[?#].*$/, ""))?.[1];
}

/**
 * What becomes of spark_url: the version it names when burst provides it, else the default
 * (with a sentence saying which was asked and which is used).
 */
function sparkOfUrl(url: string, fallback: string): { version?: string; warning?: string } {
  const asked = sparkVersionOfUrl(url);
  const using = `the run uses Spark ${fallback} (burst provides ${describeSupportedSparkVersions()})`;
  if (asked === undefined) {
    return {
      warning: `expected the URL of a Spark distribution tarball (…/spark-<version>-bin-<hadoop>.tgz), found ${JSON.stringify(url)}, which names no Spark version; ${using}`,
    };
  }
  if (SUPPORTED_SPARK_VERSIONS.includes(asked)) return { version: asked };
  return { warning: `asks for Spark ${asked}, which burst cannot provide; ${using}` };
}

const pyOrJar = {
  doc: "a .py file (pyspark job) or a .jar file (jar job)",
  test: (value: string) =>
    value.endsWith(".py") || value.endsWith(".jar")
      ? undefined
      : { expected: "a path ending in .py or .jar (it chooses the job type)" },
};

export const legacyBlockSchema = object({
  description: "One job of a legacy spark.yml (the old Terraform + Consul + Ansible setup).",
  fields: {
    instance_tag: string({
      description: `Ignored with a warning: ${RETIRED.instance_tag}.`,
      example: "spark-wordcount",
      acceptScalars: true,
    }),
    instance_type_master: string({ description: "Becomes `cluster.master.instanceType`.", example: "m5.xlarge" }),
    instance_type_worker: string({ description: "Becomes `cluster.worker.instanceType`.", example: "m5.xlarge" }),
    no_workers: integer({ description: "Becomes `cluster.workers`.", example: "2", min: 0, max: 1000 }),
    spark_url: string({
      description:
        "URL of the Spark distribution tarball the old setup installed. Its file name (`spark-<version>-bin-<hadoop>.tgz`) becomes `cluster.spark` when burst provides that version; otherwise a warning says which version was asked and which is used (the default).",
      example: "https://archive.apache.org/dist/spark/spark-3.5.3/spark-3.5.3-bin-hadoop3.tgz",
    }),
    spark_job_name: string({
      description: "Becomes `name`, made a slug (lowercase, dashes); the block's name when absent.",
      example: "wordcount",
      acceptScalars: true,
    }),
    git_repo: string({
      description: "Becomes `code.repo`, run at `code.ref: HEAD` (the default branch).",
      example: "https://github.com/org/jobs.git",
      required: true,
    }),
    git_dest: string({ description: `Ignored with a warning: ${RETIRED.git_dest}.`, example: "/home/ubuntu/jobs" }),
    exec_path: string({
      description:
        "Becomes `job.entrypoint` (relative to the repository root); its extension chooses `job.type`: .py is pyspark, .jar is jar.",
      example: "wordcount/main.py",
      required: true,
      checks: [insideFolder, pyOrJar],
    }),
    spark_job_args: string({
      description: "Becomes `job.args` with this ONE string as the only argument, exactly as before.",
      example: "s3a://bucket/in/",
      acceptScalars: true,
      allowEmpty: true,
    }),
    class_name: string({ description: "Becomes `job.class`; required for a .jar.", example: "com.example.WordCount" }),
  },
});

const LEGACY_KEYS = Object.keys(legacyBlockSchema.doc.fields ?? {});
/** Keys only a native spec has at its top level. */
const NATIVE_KEYS = ["name", "code", "job", "steps"];

const legacyRules = (block: string): Rule[] => [
  {
    doc: "A .jar `exec_path` needs `class_name`.",
    reads: [`${block}.exec_path`, `${block}.class_name`],
    check: (spec) =>
      String(spec.get(`${block}.exec_path`)).endsWith(".jar") && spec.get(`${block}.class_name`) === undefined
        ? {
            at: `${block}.class_name`,
            expected: "a main class for a .jar exec_path",
            found: "no class_name",
            hint: `add it to block ${block}, e.g. class_name: com.example.WordCount`,
          }
        : undefined,
  },
  {
    doc: "`class_name` is only for a .jar `exec_path`.",
    reads: [`${block}.exec_path`, `${block}.class_name`],
    check: (spec) =>
      String(spec.get(`${block}.exec_path`)).endsWith(".py") && spec.get(`${block}.class_name`) !== undefined
        ? { at: `${block}.class_name`, expected: "no class_name for a .py exec_path", hint: "remove it" }
        : undefined,
  },
];

export const LEGACY_RULE_DOCS: readonly string[] = legacyRules("block").map((rule) => rule.doc);

/** A legacy spec: a mapping of blocks using legacy keys, without any native top-level key. */
export function isLegacySpec(root: Node | null, origins: NodeOrigins): boolean {
  const map = root ? origins.deref(root) : undefined;
  if (!isMap(map)) return false;
  const keys = map.items.map((pair) => keyName(pair.key as Node, origins));
  if (keys.some((key) => key !== undefined && NATIVE_KEYS.includes(key))) return false;
  return map.items.some((pair) => {
    const block = pair.value ? origins.deref(pair.value as Node) : undefined;
    return isMap(block) && block.items.some((p) => LEGACY_KEYS.includes(keyName(p.key as Node, origins) ?? ""));
  });
}

export interface LegacyTranslation {
  /** The block translated. */
  readonly block: string;
  /** The native spec, as plain data, before defaults (what to write in a native spark.yml). */
  readonly spec: Record<string, unknown>;
  /** Keys that no longer apply, each "file:line:col: block.key: sentence". */
  readonly warnings: readonly string[];
  /** The native spec as YAML nodes positioned in the legacy file, for the loader. */
  readonly root: YAMLMap<Node, Node>;
  /** Native key path -> the legacy key it came from, for messages ("job.entrypoint" -> "etl.exec_path"). */
  legacyKeyPath(nativePath: string): string | undefined;
}

export interface LegacyOptions {
  /** Which block to translate (--block); may be omitted when the file has one block. */
  readonly block?: string;
  readonly defaults: SpecDefaults;
}

/** Translates one block of a legacy spec file. Throws SpecError for a bad block, pointing into the file. */
export function translateLegacy(text: string, file: string, options: LegacyOptions): LegacyTranslation {
  const source = parseYaml(text, file);
  const origins = new NodeOrigins(source);
  const env = { dir: dirname(resolve(file)), defaults: options.defaults };
  if (!isLegacySpec(source.doc.contents, origins)) {
    throw fileProblem(file, "not a legacy spec: expected a mapping of blocks with keys like exec_path and git_repo");
  }
  return translateLegacySource(source, origins, env, options.block);
}

/** The loader's entry: the file is already parsed and known to be legacy. */
export function translateLegacySource(
  source: YamlSource,
  origins: NodeOrigins,
  env: DecodeEnv,
  chosen: string | undefined,
): LegacyTranslation {
  const root = origins.deref(source.doc.contents as Node) as YAMLMap<Node, Node | null>;
  const pair = chooseBlock(root, source.file, origins, chosen);
  const block = keyName(pair.key, origins) ?? "";
  const blockNode = expandMergeKeys(origins.deref(pair.value as Node) as YAMLMap<Node, Node | null>, origins);
  const session = new Session(origins, env, legacyBlockSchema.doc);
  const at = Cursor.root(session, root).child(block, pair.key, blockNode);
  const value = legacyBlockSchema.decode(blockNode, at);
  applyRules(legacyRules(block), session);
  if (session.issues.length > 0 || value === INVALID) throw new SpecError(session.issues);

  const node = (key: string): Node | undefined => {
    const written = session.nodes.get(`${block}.${key}`);
    return written && origins.deref(written);
  };
  const made = <N extends Node>(fresh: N, like: Node): N => origins.adopt(fresh, like);
  const mapping = (like: Node, entries: readonly [string, Node | undefined][]): YAMLMap<Node, Node> => {
    const map = made(new YAMLMap<Node, Node>(), like);
    for (const [key, child] of entries) if (child) map.items.push(new Pair(made(new Scalar(key), child), child));
    return map;
  };

  const nameFrom = node("spark_job_name");
  const nameNode = made(new Scalar(slugify(value.spark_job_name ?? block)), nameFrom ?? pair.key);
  const exec = node("exec_path") as Node;
  const typeNode = made(new Scalar(extname(value.exec_path) === ".jar" ? "jar" : "pyspark"), exec);
  const argsFrom = node("spark_job_args");
  const args = argsFrom ? made(new YAMLSeq<Node>(), argsFrom) : undefined;
  args?.items.push(argsFrom as Node);
  const repo = node("git_repo") as Node;
  const master = node("instance_type_master");
  const worker = node("instance_type_worker");
  const sparkUrl = node("spark_url");
  const spark = value.spark_url === undefined ? undefined : sparkOfUrl(value.spark_url, env.defaults.spark);
  const sparkNode = spark?.version && sparkUrl ? made(new Scalar(spark.version), sparkUrl) : undefined;

  const nativeRoot = mapping(blockNode, [
    ["name", nameNode],
    [
      "code",
      mapping(repo, [
        ["repo", repo],
        ["ref", made(new Scalar("HEAD"), repo)],
      ]),
    ],
    [
      "job",
      mapping(blockNode, [
        ["type", typeNode],
        ["entrypoint", exec],
        ["class", node("class_name")],
        ["args", args],
      ]),
    ],
    [
      "cluster",
      mapping(blockNode, [
        ["workers", node("no_workers")],
        ["master", master && mapping(master, [["instanceType", master]])],
        ["worker", worker && mapping(worker, [["instanceType", worker]])],
        ["spark", sparkNode],
      ]),
    ],
  ]);
  // A block that sets nothing about the cluster gets no cluster: key, like a hand-written spec.
  nativeRoot.items = nativeRoot.items.filter((p) => !(isMap(p.value) && p.value.items.length === 0));

  const legacyPaths: readonly [string, string][] = [
    ["name", nameFrom ? `${block}.spark_job_name` : block],
    ["code", `${block}.git_repo`],
    ["job.class", `${block}.class_name`],
    ["job.args", `${block}.spark_job_args`],
    ["job", `${block}.exec_path`],
    ["cluster.workers", `${block}.no_workers`],
    ["cluster.master", `${block}.instance_type_master`],
    ["cluster.worker", `${block}.instance_type_worker`],
    ["cluster.spark", `${block}.spark_url`],
    ["cluster", block],
  ];
  const warnAt = (key: string, sentence: string): string => {
    const where = session.locations.get(`${block}.${key}`);
    return `${where ? `${formatLocation(where)}: ` : ""}${block}.${key}: ${sentence}`;
  };
  const warnings = [
    ...Object.entries(RETIRED)
      .filter(([key]) => value[key as keyof typeof value] !== undefined)
      .map(([key, reason]) => warnAt(key, `no longer applies and is ignored: ${reason}`)),
    ...(spark?.warning ? [warnAt("spark_url", spark.warning)] : []),
  ];

  return {
    block,
    spec: toPlain(nativeRoot) as Record<string, unknown>,
    warnings,
    root: nativeRoot,
    legacyKeyPath: (nativePath) =>
      legacyPaths.find(
        ([prefix]) =>
          nativePath === prefix || nativePath.startsWith(`${prefix}.`) || nativePath.startsWith(`${prefix}[`),
      )?.[1],
  };
}

/** Issues the native pass found in the legacy file, with key paths the user can find in it. */
export function withLegacyKeyPaths(issues: readonly SpecIssue[], translation: LegacyTranslation, file: string) {
  return issues.map((issue) => {
    const legacy = issue.keyPath && issue.location.file === file ? translation.legacyKeyPath(issue.keyPath) : undefined;
    return legacy ? { ...issue, keyPath: legacy } : issue;
  });
}

const MERGE_KEY = "<<";

/**
 * The block with YAML merge keys (<<: *defaults) applied, as old Ansible-era files often share
 * settings that way: the block's own keys win, then each merged mapping's in order. Merged
 * values keep their own position (under the anchor), where they were written.
 */
function expandMergeKeys(block: YAMLMap<Node, Node | null>, origins: NodeOrigins): YAMLMap<Node, Node | null> {
  const isMerge = (pair: Pair<Node, Node | null>) => keyName(pair.key, origins) === MERGE_KEY;
  if (!block.items.some(isMerge)) return block;
  const expanded = origins.adopt(new YAMLMap<Node, Node | null>(), block);
  const has = (key: string | undefined) => expanded.items.some((p) => keyName(p.key, origins) === key);
  expanded.items = block.items.filter((pair) => !isMerge(pair));
  for (const merge of block.items.filter(isMerge)) {
    const value = merge.value ? origins.deref(merge.value) : undefined;
    const sources = isSeq(value) ? value.items.map((item) => origins.deref(item as Node)) : [value];
    for (const source of sources) {
      // A merge of something that is not a mapping is left for the schema to report as an unknown "<<".
      if (!isMap(source)) {
        expanded.items.push(merge);
        continue;
      }
      const inherited = expandMergeKeys(source as YAMLMap<Node, Node | null>, origins);
      for (const pair of inherited.items) if (!has(keyName(pair.key, origins))) expanded.items.push(pair);
    }
  }
  return expanded;
}

/** The blocks that run something (have an exec_path); mappings only shared through anchors are not listed. */
function runnableBlocks(root: YAMLMap<Node, Node | null>, origins: NodeOrigins): Pair<Node, Node | null>[] {
  const maps = root.items.filter((pair) => pair.value && isMap(origins.deref(pair.value)));
  const runnable = maps.filter((pair) =>
    expandMergeKeys(origins.deref(pair.value as Node) as YAMLMap<Node, Node | null>, origins).items.some(
      (p) => keyName(p.key, origins) === "exec_path",
    ),
  );
  return runnable.length > 0 ? runnable : maps;
}

function chooseBlock(
  root: YAMLMap<Node, Node | null>,
  file: string,
  origins: NodeOrigins,
  chosen: string | undefined,
): Pair<Node, Node | null> {
  const blocks = runnableBlocks(root, origins);
  const names = blocks.map((pair) => keyName(pair.key, origins) ?? "");
  if (chosen === undefined) {
    const [only, ...more] = blocks;
    if (only && more.length === 0) return only;
    throw fileProblem(
      file,
      `legacy spec with ${blocks.length} blocks (${names.join(", ")}): expected --block to choose one, found none`,
      `e.g. --block ${names[0] ?? "<name>"}`,
    );
  }
  // Any mapping may be chosen by name, so a block missing its exec_path says so.
  const found = root.items.find(
    (pair) => keyName(pair.key, origins) === chosen && pair.value && isMap(origins.deref(pair.value)),
  );
  if (found) return found;
  const hint = didYouMean(chosen, names) ?? `choose one of ${names.join(", ")}`;
  throw fileProblem(
    file,
    `legacy spec: expected --block to name one of its blocks (${names.join(", ")}), found "${chosen}"`,
    hint,
  );
}

function keyName(node: Node, origins: NodeOrigins): string | undefined {
  const key = origins.deref(node);
  return isScalar(key) && key.value !== null && typeof key.value !== "object"
    ? (key.source ?? String(key.value))
    : undefined;
}

function toPlain(node: Node): unknown {
  if (isMap(node)) {
    return Object.fromEntries(
      node.items.map((pair) => [String((pair.key as Scalar).value), toPlain(pair.value as Node)]),
    );
  }
  if (isSeq(node)) return node.items.map((item) => toPlain(item as Node));
  if (isScalar(node))
    return typeof node.value === "number" || typeof node.value === "boolean" ? node.value : String(node.value);
  return undefined;
}

/** A two-block legacy file, for the reference doc (rendered with its translation). */
export const EXAMPLE_LEGACY_SPEC = `wordcount:
  instance_tag: spark-wordcount
  instance_type_master: m5.xlarge
  instance_type_worker: m5.2xlarge
  no_workers: 4
  spark_url: https://archive.apache.org/dist/spark/spark-2.4.4/spark-2.4.4-bin-hadoop2.7.tgz
  spark_job_name: WordCount
  git_repo: https://github.com/org/jobs.git
  git_dest: /home/ubuntu/jobs
  exec_path: wordcount/main.py
  spark_job_args: s3a://my-bucket/input/
sparkpi:
  instance_type_master: m5.large
  instance_type_worker: m5.large
  no_workers: 2
  spark_url: https://archive.apache.org/dist/spark/spark-3.5.3/spark-3.5.3-bin-hadoop3.tgz
  git_repo: https://github.com/org/jobs.git
  exec_path: sparkpi/target/sparkpi.jar
  class_name: org.apache.spark.examples.SparkPi
  spark_job_args: 100
`;
