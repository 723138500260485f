// Constraints on single values, each with the sentence the reference doc prints for it.

import { statSync } from "node:fs";
import { isAbsolute, posix, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describeSupportedSparkVersions, SUPPORTED_SPARK_VERSIONS } from "../../stacks/shared/spark-versions.ts";
import type { Check, DecodeEnv } from "./decoder.ts";
import { type Problem, quote } from "./issues.ts";

const matches = (
  pattern: RegExp,
  doc: string,
  expected: string,
  hint?: (value: string) => string | undefined,
): Check<string> => ({
  doc,
  test: (value) => (pattern.test(value) ? undefined : { expected, hint: hint?.(value) }),
});

// ---- names --------------------------------------------------------------------------------

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/;

/** "My Job_2" -> "my-job-2": the nearest valid name (may be "" when nothing is left). */
export const slugify = (text: string): string =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/, "");

/** The run's name becomes part of cloud resource names, which accept little more than this. */
export const dnsLabel = matches(
  DNS_LABEL,
  "1-40 lowercase letters, digits and dashes, starting and ending with a letter or digit",
  "a name of 1-40 lowercase letters, digits and dashes (no leading or trailing dash)",
  (value) => {
    const slug = slugify(value);
    return DNS_LABEL.test(slug) ? `it names cloud resources; try ${slug}` : undefined;
  },
);

/** Environment names appear in file names (spark.<env>.yml) and on the command line (--env). */
export const ENVIRONMENT_NAME = /^[a-z0-9]([a-z0-9_-]{0,30}[a-z0-9])?$/;

export const environmentName = matches(
  ENVIRONMENT_NAME,
  "1-32 lowercase letters, digits, _ and -, starting and ending with a letter or digit",
  "an environment name of 1-32 lowercase letters, digits, _ and - (e.g. prod, staging)",
  (value) => {
    const slug = slugify(value);
    return slug && slug !== value ? `try ${slug}` : undefined;
  },
);

const INSTANCE_TYPE =
  /^[a-z][a-z0-9]*(-[a-z0-9]+)?\.(nano|micro|small|medium|large|xlarge|[1-9][0-9]*xlarge|metal(-[1-9][0-9]*xl)?)$/;

export const instanceType = matches(
  INSTANCE_TYPE,
  "an EC2 instance type: family.size, e.g. m5.xlarge, c7gd.2xlarge, r6i.metal",
  "an EC2 instance type like m5.xlarge (family.size)",
  (value) => {
    const fixed = value
      .toLowerCase()
      .replace(/^([a-z][a-z0-9-]*?)[-_ ](\d*x?large|medium|small|micro|nano|metal)$/, "$1.$2");
    return fixed !== value && INSTANCE_TYPE.test(fixed) ? `did you mean '${fixed}'?` : undefined;
  },
);

const sparkVersionFormat = matches(
  /^\d+\.\d+\.\d+$/,
  "major.minor.patch, e.g. 3.5.3",
  "a Spark version like 3.5.3 (major.minor.patch)",
  (value) => (/^\d+\.\d+$/.test(value) ? `give the patch release too, e.g. ${value}.0` : undefined),
);

/** Only versions burst installs (pyspark wheels locally, the same release's tarball on AWS) can run. */
export const sparkVersion: Check<string> = {
  doc: `a version burst can provide: ${describeSupportedSparkVersions()}`,
  test: (value, env) => {
    const format = sparkVersionFormat.test(value, env);
    if (format) return format;
    if (SUPPORTED_SPARK_VERSIONS.includes(value)) return undefined;
    return {
      expected: `a Spark version burst can provide (${describeSupportedSparkVersions()})`,
      hint: `e.g. spark: ${SUPPORTED_SPARK_VERSIONS[SUPPORTED_SPARK_VERSIONS.length - 1]}`,
    };
  },
};

/** git check-ref-format, minus the corner cases nobody types. */
export const gitRef = matches(
  /^(?!-)(?!.*\.\.)(?!.*@\{)[^\s~^:?*[\\]+(?<![./])$/,
  "a branch, tag or commit: no spaces, no leading '-', none of ~ ^ : ? * [ \\ ..",
  "a git branch, tag or commit",
);

export const javaClass = matches(
  /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/,
  "a fully qualified Java/Scala class name, e.g. com.example.WordCount",
  "a fully qualified class name like com.example.WordCount",
);

export const envName = matches(
  /^[A-Za-z_][A-Za-z0-9_]*$/,
  "a shell identifier: letters, digits and _, not starting with a digit",
  "an environment variable name (letters, digits and _, not starting with a digit)",
  (value) => {
    const fixed = value.replace(/[^A-Za-z0-9_]/g, "_").replace(/^(\d)/, "_$1");
    return `try ${fixed}`;
  },
);

export const sparkConfKey = matches(
  /^spark\.[^\s=]+$/,
  "a Spark property starting with spark. (spark-submit ignores anything else)",
  "a Spark property name starting with 'spark.'",
  (value) => (/^[^\s=]+$/.test(value) ? `did you mean 'spark.${value}'?` : undefined),
);

export const sparkMemory = matches(
  /^[1-9][0-9]*[kmgt]$/i,
  "a Spark memory size: a number and a unit k, m, g or t, e.g. 2g",
  "a memory size like 2g or 512m",
  (value) => (/^[1-9][0-9]*$/.test(value) ? `add a unit: ${value}m or ${value}g` : undefined),
);

// AWS tag restrictions shared by every service: letters, digits, spaces and _ . : / = + - @
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

const tagText = (max: number, what: string, minLength: number): Check<string> => ({
  doc: `${minLength}-${max} characters: letters, digits, spaces and _ . : / = + - @`,
  test: (value) => {
    const length = [...value].length;
    if (length < minLength || length > max)
      return { expected: `a tag ${what} of ${minLength}-${max} characters`, found: `${length} characters` };
    if (!TAG_TEXT.test(value)) return { expected: `a tag ${what} of letters, digits, spaces and _ . : / = + - @` };
    return undefined;
  },
});

const tagKeyText = tagText(128, "key", 1);

export const tagKey: Check<string> = {
  doc: `${tagKeyText.doc}; not starting with aws:`,
  test: (value, env) =>
    /^aws:/i.test(value)
      ? { expected: "a tag key not starting with aws: (AWS reserves that prefix)" }
      : tagKeyText.test(value, env),
};

export const tagValue = tagText(256, "value", 0);

// ---- dependencies -------------------------------------------------------------------------

const MAVEN_PART = "[A-Za-z0-9_.-]+";
const MAVEN_COORDINATE = new RegExp(`^${MAVEN_PART}:${MAVEN_PART}:[A-Za-z0-9_.+-]+$`);

/** What spark-submit --packages accepts: groupId:artifactId:version. */
export const mavenCoordinate: Check<string> = {
  doc: "Maven coordinates group:artifact:version, e.g. org.apache.spark:spark-avro_2.12:3.5.3",
  test: (value) => {
    if (MAVEN_COORDINATE.test(value)) return undefined;
    const parts = value.split(":");
    const hint = value.endsWith(".jar")
      ? "a jar file in the repository belongs in dependencies.jars"
      : /%/.test(value)
        ? 'write sbt\'s "group" %% "artifact" % "version" as group:artifact_2.12:version'
        : parts.length === 2 && parts.every((part) => part !== "")
          ? `add the version: ${value}:<version>`
          : undefined;
    return { expected: "Maven coordinates group:artifact:version", hint };
  },
};

// PEP 508, without the URL form's corner cases: name[extras] (specifiers) (; marker), or name @ URL.
const PIP_NAME = "[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?";
const PIP_EXTRAS = String.raw`(?:\s*\[\s*${PIP_NAME}(?:\s*,\s*${PIP_NAME})*\s*\])?`;
const PIP_SPECIFIER = String.raw`(?:===|==|!=|~=|<=|>=|<|>)\s*[A-Za-z0-9.*+!_-]+`;
const PIP_REQUIREMENT = new RegExp(
  String.raw`^${PIP_NAME}${PIP_EXTRAS}\s*(?:(?:${PIP_SPECIFIER}(?:\s*,\s*${PIP_SPECIFIER})*)|@\s*(?:https?|git\+https?)://\S+)?\s*(?:;\s*\S.*)?$`,
);

/** One pip requirement (PEP 508): never an option, a path or two requirements on one line. */
export const pipRequirement: Check<string> = {
  doc: "one pip requirement (PEP 508), e.g. scikit-learn==1.5.2, pandas[parquet]>=2.0, or name @ https://…",
  test: (value) => {
    if (PIP_REQUIREMENT.test(value.trim())) return undefined;
    const hint = value.trim().startsWith("-")
      ? "pip options do not belong here: put them in a requirements file (dependencies.requirements)"
      : /^[A-Za-z0-9._-]+\s*=\s*[0-9]/.test(value)
        ? `pin with ==, e.g. ${value.replace(/\s*=\s*/, "==")}`
        : /\s[A-Za-z0-9]/.test(value.trim()) && !value.includes(";")
          ? "one requirement per list item"
          : undefined;
    return { expected: "a pip requirement like scikit-learn==1.5.2", hint };
  },
};

export const jarFile: Check<string> = {
  doc: "a path ending in .jar",
  test: (value) =>
    value.endsWith(".jar")
      ? undefined
      : {
          expected: "a path to a .jar file",
          hint: MAVEN_COORDINATE.test(value) ? "Maven coordinates belong in dependencies.packages" : undefined,
        },
};

/** A file inside the repository, so not the repository itself. */
export const notRepoRoot: Check<string> = {
  doc: "a file, not the repository root",
  test: (value) => (normaliseRelative(value) === "" ? { expected: "a file inside the repository" } : undefined),
};

// ---- paths ----------------------------------------------------------------------------------

/** A path inside the job's folder: relative and not climbing out of it. */
export const insideFolder: Check<string> = {
  doc: "a relative path that stays inside the folder (no leading /, no ..)",
  test: (value) => {
    if (isAbsolute(value))
      return { expected: "a relative path", hint: `drop the leading /: ${value.replace(/^\/+/, "")}` };
    if (value.split(/[\\/]/).includes("..")) return { expected: "a path that stays inside the folder (no ..)" };
    return undefined;
  },
};

/** "./jobs/" -> "jobs", "." -> "". */
export const normaliseRelative = (value: string): string => {
  const normal = posix.normalize(value.replace(/\\/g, "/")).replace(/\/+$/, "");
  return normal === "." ? "" : normal;
};

type PathKind = "file or folder" | "folder";

/** `written` is the path as the spec has it; `path` is where it resolved to. */
function existingPath(written: string, path: string, kind: PathKind): Problem | undefined {
  const stat = statSync(path, { throwIfNoEntry: false });
  const shown = written === path ? quote(path) : `${quote(written)} (${path})`;
  if (!stat) return { expected: `an existing ${kind}`, found: `${shown}, which does not exist` };
  if (kind === "folder" && !stat.isDirectory()) return { expected: "a folder", found: `${shown}, which is a file` };
  return undefined;
}

/** A local path resolved against the spec's folder must exist. */
export const existsLocally: Check<string> = {
  doc: "relative paths are resolved against the spec's folder; the path must exist",
  test: (value, env) => existingPath(value, resolve(env.dir, value), "file or folder"),
};

export const resolveLocal = (value: string, env: DecodeEnv): string => resolve(env.dir, value);

// ---- code.repo ------------------------------------------------------------------------------

type RepoKind = "https" | "ssh" | "file" | "local";

const REPO_FORMS: readonly [RepoKind, RegExp][] = [
  ["https", /^https:\/\/[^\s/]+\/\S+$/],
  ["ssh", /^ssh:\/\/[^\s/]+\/\S+$/],
  ["ssh", /^[\w.-]+@[\w.-]+:\S+$/],
  ["file", /^file:\/\/\S+$/],
];

export function repoKind(repo: string): RepoKind | undefined {
  const form = REPO_FORMS.find(([, pattern]) => pattern.test(repo));
  if (form) return form[0];
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(repo) ? undefined : "local";
}

function localRepoProblem(repo: string, env: DecodeEnv): Problem | undefined {
  const problem = existingPath(repo, resolve(env.dir, repo), "folder");
  if (!problem) return undefined;
  const looksLikeHost = /^[a-z0-9-]+(\.[a-z0-9-]+)+\/[^/]+\/[^/]+/i.test(repo);
  const hint = looksLikeHost
    ? `for a remote repository write the URL: https://${repo.replace(/\.git$/, "")}.git`
    : "a local repository path is resolved against the spec's folder";
  return { ...problem, expected: "an existing local folder (a git URL or a local repository path)", hint };
}

function fileUrlProblem(repo: string): Problem | undefined {
  try {
    return existingPath(repo, fileURLToPath(repo), "folder");
  } catch {
    return { expected: "a file:// URL with an absolute path, e.g. file:///srv/git/jobs.git" };
  }
}

export const gitRepo: Check<string> = {
  doc: "https://host/org/repo.git, git@host:org/repo.git, ssh://host/org/repo.git, file:///path, or a local folder (resolved against the spec's folder; must exist)",
  test: (repo, env) => {
    const kind = repoKind(repo);
    if (kind === "local") return localRepoProblem(repo, env);
    if (kind === "file") return fileUrlProblem(repo);
    if (kind) return undefined;
    const hint = /^http:\/\//.test(repo)
      ? `use https (plain http exposes credentials and code): ${repo.replace(/^http:/, "https:")}`
      : "supported: https://, ssh:// or git@host:path, file://, or a local folder";
    return { expected: "a git URL (https://, ssh://, git@host:path, file://) or a local folder", hint };
  },
};

/** Local repository paths become absolute; URLs stay as written. */
export const resolveRepo = (repo: string, env: DecodeEnv): string =>
  repoKind(repo) === "local" ? resolve(env.dir, repo) : repo;
