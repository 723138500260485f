// docs/spec-reference.md, rendered from the schema so the doc cannot drift from the validator.

import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { readRequirements, SPARK_LINES } from "../../stacks/shared/spark-versions.ts";
import type { SpecDefaults } from "../params/types.ts";
import type { FieldDoc } from "./decoder.ts";
import { JOB_OVERLAY_KEYS, OVERLAY_KEYS } from "./environments.ts";
import { SpecError } from "./issues.ts";
import { EXAMPLE_LEGACY_SPEC, LEGACY_RULE_DOCS, legacyBlockSchema, translateLegacy } from "./legacy.ts";
import { parseSpec } from "./load.ts";
import { EXAMPLE_SPEC, EXAMPLE_STEPS_SPEC, RULE_DOCS, specSchema } from "./schema.ts";

const BAD_EXAMPLE = `name: wordcount
code: { repo: https://github.com/org/jobs.git }
job:
  tpye: pyspark
  entrypoint: main.py
cluster:
  workers: two
`;

// Fixed values, so the rendered errors do not depend on this machine's ops config.
const DOC_DEFAULTS: SpecDefaults = {
  results: "s3://burst-results/runs/",
  workers: 2,
  masterInstanceType: "m5.xlarge",
  workerInstanceType: "m5.xlarge",
  spark: "3.5.3",
  ttlMinutes: 120,
  diskGb: 50,
};

/** The real messages burst prints for `text`, so the doc shows exactly what users will see. */
function errorsOf(text: string): string {
  try {
    parseSpec(text, "spark.yml", { defaults: DOC_DEFAULTS });
  } catch (error) {
    if (error instanceof SpecError) return error.render();
    throw error;
  }
  throw new Error("the documented bad example parsed without errors");
}

interface Entry {
  readonly path: string;
  readonly doc: FieldDoc;
}

function entries(doc: FieldDoc, prefix = ""): Entry[] {
  return Object.entries(doc.fields ?? {}).flatMap(([name, child]) => {
    const path = prefix ? `${prefix}.${name}` : name;
    const nested =
      child.kind === "list" && child.item?.fields ? entries(child.item, `${path}[]`) : entries(child, path);
    return [{ path, doc: child }, ...nested];
  });
}

const cell = (text: string): string => text.replace(/\|/g, "\\|");

const alternativesText = (doc: FieldDoc): string | undefined => {
  const group = doc.alternatives;
  if (!group) return undefined;
  const others = group.others.map((key) => `\`${key}\``).join(" or ");
  return group.required ? `**required** unless ${others} is written` : `optional; not with ${others}`;
};

const presence = (doc: FieldDoc): string =>
  alternativesText(doc) ??
  (doc.required
    ? "**required**"
    : (doc.defaultText ?? (doc.kind === "object" && !doc.offWhenAbsent ? "(its keys have defaults)" : "optional")));

const anchor = (path: string): string => path.toLowerCase().replace(/[^a-z0-9]+/g, "");

function summaryTable(all: readonly Entry[]): string[] {
  return [
    "| Key | Type | Required / default |",
    "| --- | --- | --- |",
    ...all.map(({ path, doc }) => `| [\`${path}\`](#${anchor(path)}) | ${cell(doc.type)} | ${cell(presence(doc))} |`),
  ];
}

function presenceLine(doc: FieldDoc): string {
  const alternatives = alternativesText(doc);
  if (alternatives) return alternatives.replace("**required**", "Required").replace(/^optional/, "Optional");
  if (doc.required) return "Required";
  if (doc.defaultText) return `Default: ${doc.defaultText}`;
  if (doc.offWhenAbsent) return "Optional; off when absent";
  return doc.kind === "object" ? "Optional; its keys have defaults" : "Optional";
}

function section({ path, doc }: Entry): string[] {
  const key = path.split(".").at(-1) ?? path;
  const lines = [`### ${path}`, "", doc.description, "", `- Type: ${doc.type}`, `- ${presenceLine(doc)}`];
  if (doc.constraints.length > 0) lines.push("- Constraints:", ...doc.constraints.map((c) => `  - ${c}`));
  if (doc.example) lines.push(`- Example: \`${key}: ${doc.example}\``);
  return [...lines, ""];
}

const bullets = (lines: readonly string[]): string[] => lines.map((line) => `- ${line}`);

const LEGACY_DOC_FILE = "spark.yml";

/** The legacy section: each old key and what it becomes, and a real translation. */
function legacySection(): string[] {
  const keys = Object.entries(legacyBlockSchema.doc.fields ?? {});
  const translation = translateLegacy(EXAMPLE_LEGACY_SPEC, LEGACY_DOC_FILE, {
    block: "wordcount",
    defaults: DOC_DEFAULTS,
  });
  return [
    "## Legacy spec files",
    "",
    "burst also runs the flat `spark.yml` of the old Terraform + Consul + Ansible setup: a mapping of",
    "named blocks, one job each. A file is legacy when its top-level values are mappings with the keys",
    "below and it has none of `name`, `code`, `job`, `steps`. `--block <name>` chooses the block (it may be",
    "omitted when the file has only one). The block is translated into a native spec, which is then",
    "validated like any other; errors point at the legacy file's lines and name its keys",
    "(`wordcount.no_workers`), and keys that no longer apply are reported as warnings. `burst validate`",
    "and `--dry-run` print the native form: paste it into a new spark.yml to migrate.",
    "",
    "| Legacy key | Type | Required | What burst does with it |",
    "| --- | --- | --- | --- |",
    ...keys.map(
      ([key, doc]) =>
        `| \`${key}\` | ${cell(doc.type)} | ${doc.required ? "**required**" : "optional"} | ${cell(doc.description)} |`,
    ),
    "",
    ...bullets(LEGACY_RULE_DOCS),
    "",
    "This legacy file:",
    "",
    "```yaml",
    EXAMPLE_LEGACY_SPEC.trimEnd(),
    "```",
    "",
    "with `--block wordcount` runs as this native spec (before defaults):",
    "",
    "```yaml",
    stringify(translation.spec, { lineWidth: 0 }).trimEnd(),
    "```",
    "",
    "and warns:",
    "",
    "```",
    ...translation.warnings,
    "```",
    "",
  ];
}

/** Which Spark versions cluster.spark accepts, and what each line brings to the nodes. */
function sparkVersionsSection(): string[] {
  const root = fileURLToPath(new URL("../../", import.meta.url));
  return [
    "## Spark versions",
    "",
    "`cluster.spark` accepts the versions burst can install; any other is an error (exit code 2) that",
    "names these. On the local target a version comes from PyPI's `pyspark` wheel (installed once into",
    "the burst cache); on aws from the same release's `spark-<version>-bin-hadoop3.tgz`. Every node's",
    "Python (driver and executors) also has PySpark's extras for ML, SQL and the pandas API, at the",
    "versions in the line's requirements file.",
    "",
    "| Line | Versions | Scala | Python packages on every node (requirements file) |",
    "| --- | --- | --- | --- |",
    ...SPARK_LINES.map(
      (line) =>
        `| ${line.line} | ${line.versions.join(", ")} | ${line.scala} | ${readRequirements(line.pythonRequirementsFile).join(", ")} ([${relative(root, line.pythonRequirementsFile)}](../${relative(root, line.pythonRequirementsFile)})) |`,
    ),
    "",
    "A jar must be built for its line's Scala version (Scala libraries named `_<scala>`); a job that",
    "dies with `NoSuchMethodError` or `NoClassDefFoundError` on a `scala.` class gets a hint saying so.",
    "",
  ];
}

function environmentsSection(): string[] {
  const plain = OVERLAY_KEYS.filter((key) => key !== "job" && key !== "steps").map((key) => `\`${key}\``);
  const jobKeys = JOB_OVERLAY_KEYS.map((key) => `\`${key}\``).join(" and ");
  return [
    "## Environments",
    "",
    "`--env <name>` merges an overlay over the spec before it is validated: `environments.<name>` in the",
    "spec, and/or a file `<spec>.<name>.yml` beside it (`spark.prod.yml` for `spark.yml`); when both exist",
    "the inline overlay is merged first, then the file. The merge rules, in full, are in",
    "[environments.md](environments.md); in short:",
    "",
    ...bullets([
      `An overlay may change ${plain.join(", ")}, and ${jobKeys} of \`job\`, or of \`steps\` by step name (\`steps: { ingest: { args: [...] } }\`).`,
      "Mappings merge key by key, at any depth (so `cluster`, `tags` and `conf` keep the keys the overlay does not mention).",
      "Scalars and lists replace the spec's value (`args`, `inputs` and `outputs` are not appended to).",
      "`null` removes the key, so its default applies (`notify: null` turns notifications off).",
      "The merged spec is validated as a whole; a problem points at the file and line that wrote the offending value.",
    ]),
    "",
  ];
}

/** The whole reference document, deterministic so a test can compare it with the committed file. */
export function renderSpecReference(): string {
  const all = entries(specSchema.doc);
  return [
    "<!-- Generated by scripts/gen-spec-reference.ts from src/runspec/ (schema.ts, environments.ts, legacy.ts); do not edit by hand. -->",
    "# spark.yml reference",
    "",
    `${specSchema.doc.description} Only \`name\`, \`code.repo\` and either \`job\` (its \`type\` and \`entrypoint\`) or \`steps\` are required; everything else has a default.`,
    "",
    "## Example",
    "",
    "```yaml",
    EXAMPLE_SPEC.trimEnd(),
    "```",
    "",
    "A run of several steps on one cluster, with a retry, an error handler and a notification:",
    "",
    "```yaml",
    EXAMPLE_STEPS_SPEC.trimEnd(),
    "```",
    "",
    "## Keys",
    "",
    ...summaryTable(all),
    "",
    "Defaults marked *ops default* come from `burst/defaults/<key>` in Consul (seeded from",
    "`config/defaults.yml`). Precedence: CLI flags > environment > spec > Consul > built-in defaults.",
    "Relative paths are resolved against the folder of the spec file. An explicit `null` (or an",
    "empty value) on an optional key means the key is absent, so its default applies.",
    "",
    "## Rules across keys",
    "",
    ...bullets(["Write exactly one of `job` and `steps`.", ...RULE_DOCS]),
    "",
    "## Errors",
    "",
    "Every problem in the file is reported at once, one line each, in the form editors and CI logs",
    "link to, with a hint when there is an obvious fix; `burst` then exits with code 2. This spec:",
    "",
    "```yaml",
    BAD_EXAMPLE.trimEnd(),
    "```",
    "",
    "is reported as:",
    "",
    "```",
    errorsOf(BAD_EXAMPLE),
    "```",
    "",
    "Unknown keys are errors (a typo must never silently fall back to a default).",
    "",
    ...sparkVersionsSection(),
    ...environmentsSection(),
    ...legacySection(),
    "## Key details",
    "",
    ...all.flatMap(section),
  ]
    .join("\n")
    .replace(/\n+$/, "\n");
}
