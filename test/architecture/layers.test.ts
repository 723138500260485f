// The layering, checked on the import lines of every source file (static, re-exports and dynamic
// `import()`): the engine reaches a target only through the registry and the contract, targets
// do not know each other, and nothing that ships or runs as a script depends on the tests.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

interface ImportLine {
  /** Repo-relative path of the importing file. */
  readonly file: string;
  readonly line: number;
  /** As written: "../targets/local/spark.ts", "node:fs", "yaml". */
  readonly specifier: string;
  /** Repo-relative path of a relative specifier; undefined for packages and node: modules. */
  readonly resolved?: string;
}

const importPattern =
  /(?:^|[\n;])\s*(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?"([^"]+)"|\bimport\(\s*"([^"]+)"\s*\)/g;

/** Every import of a file's text (line comments skipped, so prose that mentions a path is not an import). */
function importsOf(file: string, text: string): ImportLine[] {
  const code = text.replace(/^\s*\/\/.*$/gm, (comment) => " ".repeat(comment.length));
  const found: ImportLine[] = [];
  for (const match of code.matchAll(importPattern)) {
    const specifier = match[1] ?? match[2] ?? "";
    const line = code.slice(0, (match.index ?? 0) + match[0].indexOf(specifier)).split("\n").length;
    const resolved = specifier.startsWith(".") ? normalize(join(dirname(file), specifier)) : undefined;
    found.push({ file, line, specifier, resolved });
  }
  return found;
}

/** The target a repo path belongs to: src/targets/<name>/... -> name (files directly in src/targets/ belong to none). */
const targetOf = (path: string): string | undefined => /^src\/targets\/([^/]+)\//.exec(path)?.[1];
const isEngine = (path: string) => path.startsWith("src/") && !path.startsWith("src/targets/");

interface Rule {
  readonly name: string;
  /** A reason when this import breaks the rule. */
  readonly broken: (i: ImportLine) => string | undefined;
}

const rules: readonly Rule[] = [
  {
    name: "the engine imports no target's internals (only src/targets/index.ts and the contract)",
    broken: (i) =>
      isEngine(i.file) && i.resolved && targetOf(i.resolved)
        ? `${i.resolved} is inside target "${targetOf(i.resolved)}"`
        : undefined,
  },
  {
    name: "targets do not import each other",
    broken: (i) => {
      const from = targetOf(i.file);
      const to = i.resolved && targetOf(i.resolved);
      return from && to && from !== to ? `target "${from}" imports target "${to}" (${i.resolved})` : undefined;
    },
  },
  {
    name: "src/ imports nothing from test/",
    broken: (i) => (i.file.startsWith("src/") && i.resolved?.startsWith("test/") ? `${i.resolved}` : undefined),
  },
  {
    name: "scripts/ import nothing from test/",
    broken: (i) => (i.file.startsWith("scripts/") && i.resolved?.startsWith("test/") ? `${i.resolved}` : undefined),
  },
];

/** "file:line imports <specifier>: <reason>" for every import that breaks a rule. */
function violations(imports: readonly ImportLine[], rule: Rule): string[] {
  return imports.flatMap((i) => {
    const reason = rule.broken(i);
    return reason ? [`${i.file}:${i.line} imports "${i.specifier}": ${reason}`] : [];
  });
}

function sourceFiles(folder: string): string[] {
  return readdirSync(join(repoRoot, folder), { recursive: true, encoding: "utf8" })
    .filter((path) => /\.(ts|mts|js|mjs)$/.test(path) && !path.split("/").includes("node_modules"))
    .map((path) => join(folder, path))
    .sort();
}

const tree: ImportLine[] = ["src", "stacks", "scripts"].flatMap((folder) =>
  sourceFiles(folder).flatMap((file) => importsOf(file, readFileSync(join(repoRoot, file), "utf8"))),
);

describe("layers: the import lines of src/, stacks/ and scripts/", () => {
  test("the scan reads the imports it is meant to judge", () => {
    const spots = [
      ["src/targets/index.ts", "src/targets/local/target.ts"], // a dynamic import()
      ["src/lifecycle/run.ts", "src/lifecycle/run-state.ts"], // a multi-name import
      ["scripts/bench/upload.ts", "scripts/servers/s3server.ts"],
    ];
    for (const [file, target] of spots) {
      assert.ok(
        tree.some((i) => i.file === file && i.resolved === target),
        `${file} -> ${target} not found among ${tree.length} imports`,
      );
    }
    assert.ok(new Set(tree.map((i) => i.file)).size > 100, "every source file is read");
  });

  for (const rule of rules) {
    test(rule.name, () => {
      assert.deepEqual(violations(tree, rule), []);
    });
  }
});

describe("layers: each rule catches what it forbids", () => {
  const planted = (file: string, text: string) => importsOf(file, text);
  const cases: [rule: number, file: string, text: string][] = [
    [0, "src/lifecycle/run.ts", `import { ensureSpark } from "../targets/local/spark.ts";`],
    [0, "src/cli/burst.ts", `const m = await import("../targets/aws/target.ts");`],
    [0, "src/fleet/gc.ts", `export { sweep } from "../targets/aws/sweeper.ts";`],
    [1, "src/targets/aws/target.ts", `import type {\n  LocalThing,\n} from "../local/target.ts";`],
    [2, "src/job/code.ts", `import { repoRoot } from "../../test/helpers/burst.ts";`],
    [3, "scripts/bench/upload.ts", `import { startS3Server } from "../../test/helpers/s3server.ts";`],
  ];
  for (const [index, file, text] of cases) {
    const rule = rules[index] as Rule;
    test(`${rule.name}: ${file} <- ${text.replace(/\s+/g, " ")}`, () => {
      assert.equal(violations(planted(file, text), rule).length, 1);
    });
  }

  test("what is allowed passes: the registry, the contract, a target's own files, comments", () => {
    const allowed = [
      planted("src/lifecycle/run.ts", `import { loadTarget } from "../targets/index.ts";`),
      planted("src/lifecycle/run.ts", `import type { PreparedCluster } from "../targets/contract.ts";`),
      planted("src/targets/index.ts", `local: async () => (await import("./local/target.ts")).localTarget,`),
      planted("src/targets/local/target.ts", `import { ensureSpark } from "./spark.ts";`),
      planted(
        "src/home.ts",
        `// spark/<version>/ (src/targets/local/spark.ts): import x from "../targets/local/spark.ts"`,
      ),
      planted("test/e2e/x.test.ts", `import { startS3Server } from "../../scripts/servers/s3server.ts";`),
    ].flat();
    for (const rule of rules) assert.deepEqual(violations(allowed, rule), [], rule.name);
  });
});
