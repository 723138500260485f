// The layering, checked on the import lines of every file of src/, stacks/ and scripts/ (static,
// re-exports and dynamic `import()`): the engine reaches a target only through the registry and
// the contract, targets do not know each other, a target's code is imported only by its own two
// folders, scripts/ and the registry (a target is its folders), a target's parameter sections are
// plain data the parameter layer reaches through the registry's names.ts alone, nothing that ships
// or runs as a script depends on the tests, CDKTF loads only where a stack is synthesized, and no
// file imports itself in a circle.
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
  /** `import("...")`: loaded when the code runs, not with the file. */
  readonly dynamic: boolean;
  /** `import type` (or every name marked `type`): erased by the build, loads nothing. */
  readonly typeOnly: boolean;
}

const importPattern =
  /(?:^|[\n;])\s*(?:import|export)\s+(type\s+)?(?:([\w*{}\s,$]+?)\s+from\s+)?"([^"]+)"|\bimport\(\s*"([^"]+)"\s*\)/g;

/** `{ type A, type B }`: a clause whose every name is a type. */
const allTypes = (clause: string | undefined) =>
  clause !== undefined &&
  /^\{[^}]*\}$/.test(clause.trim()) &&
  clause
    .trim()
    .slice(1, -1)
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean)
    .every((name) => name.startsWith("type "));

/** Every import of a file's text (line comments skipped, so prose that mentions a path is not an import). */
function importsOf(file: string, text: string): ImportLine[] {
  const code = text.replace(/^\s*\/\/.*$/gm, (comment) => " ".repeat(comment.length));
  const found: ImportLine[] = [];
  for (const match of code.matchAll(importPattern)) {
    const [, typeKeyword, clause, staticSpecifier, dynamicSpecifier] = match;
    const specifier = staticSpecifier ?? dynamicSpecifier ?? "";
    const line = code.slice(0, (match.index ?? 0) + match[0].indexOf(specifier)).split("\n").length;
    const resolved = specifier.startsWith(".") ? normalize(join(dirname(file), specifier)) : undefined;
    const dynamic = dynamicSpecifier !== undefined;
    found.push({ file, line, specifier, resolved, dynamic, typeOnly: !dynamic && (!!typeKeyword || allTypes(clause)) });
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
    name: "a target's code is imported only by its own folders (src/targets/<name>/, stacks/<name>/), scripts/ and the registry (its code by import(), its parameter sections by names.ts)",
    broken: (i) => {
      const to = i.resolved && targetOf(i.resolved);
      if (!to) return undefined;
      const own = targetOf(i.file) === to || i.file.startsWith(`stacks/${to}/`) || i.file.startsWith("scripts/");
      const registry = i.file === "src/targets/index.ts" && i.dynamic;
      // Every command that reads parameters needs every target's sections, without loading the target.
      const sections = i.file === "src/targets/names.ts" && i.resolved === `src/targets/${to}/params.ts`;
      return own || registry || sections ? undefined : `${i.resolved} belongs to target "${to}"`;
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
  {
    name: "src/ and scripts/ never import CDKTF (cdktf, @cdktf/*, constructs): stacks/ does",
    broken: (i) => (outsideStacks(i.file) && isCdktf(i.specifier) ? "CDKTF is imported in stacks/ only" : undefined),
  },
  {
    name: "src/ and scripts/ load a construct file of stacks/ only by a dynamic import() (types aside)",
    broken: (i) =>
      outsideStacks(i.file) && i.resolved && constructFiles().has(i.resolved) && !i.dynamic && !i.typeOnly
        ? `${i.resolved} loads CDKTF with it; import plain TS, or this one with import()`
        : undefined,
  },
  {
    name: "a target's parameter sections (src/targets/<name>/params.ts) are plain data: they import only src/params/section.ts and codecs.ts",
    broken: (i) =>
      /^src\/targets\/[^/]+\/params\.ts$/.test(i.file) && !sectionImports.has(i.resolved ?? i.specifier)
        ? "every command that reads parameters loads this file"
        : undefined,
  },
  {
    name: "src/params/ reaches the targets only through their declarations, src/targets/names.ts",
    broken: (i) =>
      i.file.startsWith("src/params/") &&
      i.resolved?.startsWith("src/targets/") &&
      i.resolved !== "src/targets/names.ts"
        ? "the parameter layer is below the targets: it knows their names and sections, not their code"
        : undefined,
  },
];

const sectionImports = new Set(["src/params/section.ts", "src/params/codecs.ts"]);

const outsideStacks = (path: string) => path.startsWith("src/") || path.startsWith("scripts/");
const isCdktf = (specifier: string) =>
  specifier === "cdktf" || specifier.startsWith("@cdktf/") || specifier === "constructs";

/**
 * The files of stacks/ that load CDKTF when they are loaded: they import it as a value, or import
 * (statically, as a value) a stacks/ file that does. Every other stacks/ file is plain TS.
 */
function constructFilesOf(imports: readonly ImportLine[]): Set<string> {
  const loads = imports.filter((i) => i.file.startsWith("stacks/") && !i.dynamic && !i.typeOnly);
  const found = new Set(loads.filter((i) => isCdktf(i.specifier)).map((i) => i.file));
  for (let grew = true; grew; ) {
    grew = false;
    for (const i of loads) {
      if (i.resolved && found.has(i.resolved) && !found.has(i.file)) grew = Boolean(found.add(i.file));
    }
  }
  return found;
}
/** The tree's construct files (defined below the tree; the rules run after both exist). */
const constructFiles = () => treeConstructFiles;

/**
 * Breaks in files this branch may not edit (another change is rewriting them), kept visible: each
 * must still break its rule, so the entry goes when the file is fixed.
 */
const knownBreaks: Readonly<Record<string, string>> = {};

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
const treeConstructFiles = constructFilesOf(tree);

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
      const found = violations(tree, rule);
      assert.deepEqual(
        found.filter((violation) => !(violation in knownBreaks)),
        [],
      );
    });
  }

  test("every known break is still one (remove it from knownBreaks once fixed)", () => {
    const found = rules.flatMap((rule) => violations(tree, rule));
    assert.deepEqual(
      Object.keys(knownBreaks).filter((known) => !found.includes(known)),
      [],
    );
  });

  test("the construct files are told apart from plain TS", () => {
    const constructs = constructFiles();
    for (const file of [
      "stacks/aws/cluster-app.ts",
      "stacks/aws/cluster/node-image.ts",
      "stacks/local/cluster-app.ts",
    ]) {
      assert.ok(constructs.has(file), `${file} loads CDKTF`);
    }
    for (const file of ["stacks/contract.ts", "stacks/aws/node-image-lookup.ts", "stacks/shared/spark-versions.ts"]) {
      assert.ok(!constructs.has(file), `${file} is plain TS`);
    }
  });

  test("no import circles among src/, stacks/ and scripts/ (type-only imports included)", () => {
    assert.deepEqual(importCircles(tree), []);
  });
});

/**
 * Every import circle, as "a -> b -> a" from its alphabetically first file: the strongly connected
 * groups of the import graph (Tarjan), each shown by one circle through all its files' edges.
 */
function importCircles(imports: readonly ImportLine[]): string[] {
  const edges = new Map<string, Set<string>>();
  for (const i of imports) {
    if (!i.resolved) continue;
    const to = edges.get(i.file) ?? new Set<string>();
    edges.set(i.file, to.add(i.resolved));
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (file: string) => {
    index.set(file, index.size);
    low.set(file, index.get(file) as number);
    stack.push(file);
    onStack.add(file);
    for (const next of edges.get(file) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(file, Math.min(low.get(file) as number, index.get(next) as number));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const group: string[] = [];
    for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
      onStack.delete(member);
      group.push(member);
      if (member === file) break;
    }
    if (group.length > 1 || edges.get(file)?.has(file)) groups.push(group.sort());
  };
  for (const file of [...edges.keys()].sort()) if (!index.has(file)) visit(file);
  return groups.map((group) => circleThrough(group, edges)).sort();
}

/** One circle from a group's first file back to it, by the shortest path (breadth first). */
function circleThrough(group: readonly string[], edges: ReadonlyMap<string, ReadonlySet<string>>): string {
  const start = group[0] as string;
  const members = new Set(group);
  const cameFrom = new Map<string, string>();
  const queue = [start];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    for (const next of edges.get(file) ?? []) {
      if (!members.has(next)) continue;
      if (next === start) {
        const path = [file];
        while (path[0] !== start) path.unshift(cameFrom.get(path[0] as string) as string);
        return [...path, start].join(" -> ");
      }
      if (!cameFrom.has(next)) {
        cameFrom.set(next, file);
        queue.push(next);
      }
    }
  }
  return group.join(" -> ");
}

describe("layers: each rule catches what it forbids", () => {
  const planted = (file: string, text: string) => importsOf(file, text);
  const cases: [rule: number, file: string, text: string][] = [
    [0, "src/lifecycle/run.ts", `import { ensureSpark } from "../targets/local/spark.ts";`],
    [0, "src/cli/burst.ts", `const m = await import("../targets/aws/target.ts");`],
    [0, "src/fleet/gc.ts", `export { sweep } from "../targets/aws/sweeper.ts";`],
    [1, "src/targets/aws/target.ts", `import type {\n  LocalThing,\n} from "../local/target.ts";`],
    [3, "src/job/code.ts", `import { repoRoot } from "../../test/helpers/burst.ts";`],
    [4, "scripts/bench/upload.ts", `import { startS3Server } from "../../test/helpers/s3server.ts";`],
    [5, "src/lifecycle/run.ts", `import { App } from "cdktf";`],
    [5, "scripts/bench/synthesis.ts", `import type { Construct } from "constructs";`],
    [5, "src/targets/aws/plan.ts", `import { Instance } from "@cdktf/provider-aws/lib/instance/index.js";`],
    [6, "src/targets/aws/plan.ts", `import { NodeImage } from "../../../stacks/aws/cluster/node-image.ts";`],
    [6, "scripts/bench/synthesis.ts", `import { synthClusterForBench } from "../../stacks/aws/bench.ts";`],
    [6, "src/targets/local/target.ts", `export { localS3Region } from "../../../stacks/local/cluster-app.ts";`],
    [2, "stacks/shared/spark-conf.ts", `import { awsEndpointsFromEnv } from "../../src/targets/aws/endpoints.ts";`],
    [2, "src/targets/index.ts", `import { awsTarget } from "./aws/target.ts";`],
    [2, "src/targets/contract.ts", `import type { AwsTargetOptions } from "./aws/target.ts";`],
    [2, "stacks/local/cluster-app.ts", `const { vpcCommand } = await import("../../src/targets/aws/vpc-command.ts");`],
    [2, "src/targets/names.ts", `import { awsTarget } from "./aws/target.ts";`],
    [2, "src/targets/index.ts", `import { awsParamSections } from "./aws/params.ts";`],
    [7, "src/targets/aws/params.ts", `import { EC2Client } from "@aws-sdk/client-ec2";`],
    [7, "src/targets/aws/params.ts", `import { awsEndpointsFromEnv } from "./endpoints.ts";`],
    [7, "src/targets/local/params.ts", `import { resolveParams } from "../../params/resolve.ts";`],
    [8, "src/params/resolve.ts", `import { loadTarget } from "../targets/index.ts";`],
    [8, "src/params/report.ts", `import type { Target } from "../targets/contract.ts";`],
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
      planted("src/targets/local/target.ts", `const app = await import("../../../stacks/local/cluster-app.ts");`),
      planted(
        "src/targets/aws/plan.ts",
        `import type { SparkClusterProps } from "../../../stacks/aws/spark-cluster-stack.ts";`,
      ),
      planted(
        "src/targets/aws/plan.ts",
        `import { type A, type B } from "../../../stacks/aws/spark-cluster-stack.ts";`,
      ),
      planted(
        "src/targets/aws/plan.ts",
        `import { instanceArchitecture } from "../../../stacks/aws/node-image-lookup.ts";`,
      ),
      planted("stacks/aws/cluster-app.ts", `import { App } from "cdktf";`),
      planted("scripts/vpc.ts", `import { vpcCommand } from "../src/targets/aws/vpc-command.ts";`),
      planted("stacks/aws/vpc-app.ts", `import type { AwsApiEndpoints } from "../../src/targets/aws/endpoints.ts";`),
      planted("src/targets/names.ts", `import { awsParamSections } from "./aws/params.ts";`),
      planted("src/targets/aws/params.ts", `import { fixedSection } from "../../params/section.ts";`),
      planted("src/params/schema.ts", `import { targetParamSections } from "../targets/names.ts";`),
    ].flat();
    for (const rule of rules) assert.deepEqual(violations(allowed, rule), [], rule.name);
  });

  test("the circle check finds a planted circle, type-only or through import(), and nothing in a chain", () => {
    const twoFiles = [
      ...planted("src/job/code.ts", `import type { Spec } from "../runspec/types.ts";`),
      ...planted("src/runspec/types.ts", `import type { ResolvedCode } from "../job/code.ts";`),
    ];
    assert.deepEqual(importCircles(twoFiles), ["src/job/code.ts -> src/runspec/types.ts -> src/job/code.ts"]);
    const threeFiles = [
      ...planted("src/a.ts", `import { b } from "./b.ts";`),
      ...planted("src/b.ts", `const c = await import("./c.ts");`),
      ...planted("src/c.ts", `export { a } from "./a.ts";`),
    ];
    assert.deepEqual(importCircles(threeFiles), ["src/a.ts -> src/b.ts -> src/c.ts -> src/a.ts"]);
    const chain = [
      ...planted("src/a.ts", `import { b } from "./b.ts";`),
      ...planted("src/b.ts", `import { c } from "./c.ts";`),
    ];
    assert.deepEqual(importCircles(chain), []);
    const withTree = [...tree, ...planted("src/errors.ts", `import { main } from "./cli/burst.ts";`)];
    assert.ok(
      importCircles(withTree).some((circle) => circle.includes("src/cli/burst.ts") && circle.includes("src/errors.ts")),
    );
  });
});
