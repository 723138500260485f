// The unit lane's rule, checked on the code of every test file: a file outside test/e2e and
// test/bench that starts a real external program (terraform, moto, Consul, versitygw, Spark or
// Java, sshd, shellcheck, a container, the burst CLI or a scripts/*.ts as a process of its own,
// the compiler) says so on its FIRST line, `// component: <what>`, which is how `npm run
// test:unit` (scripts/test.sh --unit) leaves it out. What starts a program is found in the
// syntax tree: a call that spawns one by name or runs node on a script, and every use of a
// helper that does, followed through the helpers that call each other.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, normalize } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import type * as TypeScript from "typescript";
import type { CallExpression, Identifier, Node, StringLiteral } from "typescript";
import { run } from "../../src/util/exec.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
// Required, not imported: an ESM import of its 9 MB CommonJS file scans it for exports first (~0.7 s).
const ts = createRequire(import.meta.url)("typescript") as typeof TypeScript;

/** Programs a unit test may not start (the shell's own tools, git and python3 are allowed). */
const programs = new Set([
  "terraform",
  "tofu",
  "java",
  "javac",
  "jar",
  "spark-submit",
  "spark-class",
  "moto_server",
  "consul",
  "versitygw",
  "sshd",
  "ssh",
  "shellcheck",
  "systemd-nspawn",
  "nsenter",
  "debootstrap",
  "npx",
  "tsc",
  "go",
]);

/** Calls that start a process; their first argument names the program. */
const spawners = new Set([
  "run",
  "runChecked",
  "start",
  "spawn",
  "spawnSync",
  "exec",
  "execSync",
  "execFile",
  "execFileSync",
]);

/**
 * Helpers whose program comes from a variable (a binary found, checked or built), so no literal
 * names it: declared here, and each must still be exported where it is said to be.
 */
const seeds: Readonly<Record<string, readonly string[]>> = {
  "src/terraform/binary.ts": ["ensureTerraform"],
  "src/targets/local/spark.ts": ["ensureSpark"],
  "src/targets/local/s3-server.ts": ["ensureS3Server"],
  "src/targets/local/sshd.ts": ["ensureSshd"],
  "scripts/servers/consul.ts": ["consulBinary", "startConsulAgent"],
  "test/helpers/standalone-spark.ts": ["startStandaloneSpark"],
};

interface Declaration {
  readonly exported: boolean;
  /** Why it starts a program by itself ("spawns terraform"). */
  readonly direct: string[];
  /** Names it mentions: other top-level declarations of its file and names it imports. */
  readonly mentions: Set<string>;
}

interface Analysis {
  /** Local name -> [repo-relative module, exported name] of each relative named import. */
  readonly imports: Map<string, [string, string]>;
  readonly declarations: Map<string, Declaration>;
  /** The whole file (imports aside): what it starts directly, and the names it mentions. */
  readonly file: Declaration;
}

const calleeName = (call: CallExpression): string | undefined =>
  ts.isIdentifier(call.expression)
    ? call.expression.text
    : ts.isPropertyAccessExpression(call.expression)
      ? call.expression.name.text
      : undefined;

/** The program a spawning call starts, when its first argument names it. */
function programOf(call: CallExpression): string | undefined {
  const name = calleeName(call);
  const first = call.arguments[0];
  if (!first) return undefined;
  if (name === "which") {
    // Looking a program up is the first step of running it (`which("terraform") ?? which("tofu")`).
    let found: string | undefined;
    const visit = (node: Node): void => {
      if (ts.isStringLiteralLike(node) && programs.has(node.text)) found = node.text;
      ts.forEachChild(node, visit);
    };
    visit(first);
    return found;
  }
  if (!name || !spawners.has(name) || !ts.isStringLiteralLike(first)) return undefined;
  // exec/execSync take a command line; the others a program (perhaps a path to one).
  const program = (first.text.trim().split(/\s+/)[0] ?? "").split("/").pop() ?? "";
  return programs.has(program) ? program : undefined;
}

/** `x.name`, `{ name: … }`, a method or field named so: a member, not a mention of a declaration. */
const isMemberName = (node: Identifier): boolean => {
  const parent = node.parent;
  return (
    (ts.isPropertyAccessExpression(parent) ||
      ts.isPropertyAssignment(parent) ||
      ts.isPropertySignature(parent) ||
      ts.isPropertyDeclaration(parent) ||
      ts.isMethodDeclaration(parent)) &&
    parent.name === node
  );
};

/** What one declaration (or the whole file) does: programs it starts by name, and the names it mentions. */
function scanned(root: Node, exported = false): Declaration {
  const found: Declaration = { exported, direct: [], mentions: new Set() };
  let spawns = false;
  let nodeBinary = false;
  const visit = (node: Node): void => {
    if (ts.isImportDeclaration(node)) return;
    if (ts.isCallExpression(node)) {
      const program = programOf(node);
      if (program) found.direct.push(`starts ${program}`);
      if (spawners.has(calleeName(node) ?? "")) spawns = true;
    }
    // CDKTF's App.synth() validates each terraform_data by running `terraform version`, unless told not to.
    if (
      ts.isNewExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === "App" &&
      !/\bskipValidation:\s*true\b/.test(node.arguments?.[0]?.getText() ?? "")
    ) {
      found.direct.push(
        "starts terraform (`terraform version` per terraform_data: a CDKTF App without skipValidation)",
      );
    }
    if (ts.isPropertyAccessExpression(node) && node.getText() === "process.execPath") nodeBinary = true;
    if (ts.isIdentifier(node) && !isMemberName(node)) found.mentions.add(node.text);
    ts.forEachChild(node, visit);
  };
  visit(root);
  // Node itself runs the tests; a node child spawned here runs the CLI or a scripts/*.ts of its own.
  if (spawns && nodeBinary) found.direct.push("starts node on a script of its own (the burst CLI or a scripts/*.ts)");
  return found;
}

const isExported = (node: Node): boolean =>
  ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);

/** Imports, top-level declarations and the whole file's program starts of one source file. */
function analyse(file: string, text: string): Analysis {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const imports = new Map<string, [string, string]>();
  const declarations = new Map<string, Declaration>();
  for (const statement of source.statements.filter(ts.isImportDeclaration)) {
    const specifier = (statement.moduleSpecifier as StringLiteral).text;
    const bindings = statement.importClause?.namedBindings;
    if (specifier.startsWith(".") && bindings && ts.isNamedImports(bindings)) {
      const module = normalize(join(dirname(file), specifier));
      for (const element of bindings.elements) {
        imports.set(element.name.text, [module, (element.propertyName ?? element.name).text]);
      }
    }
  }
  for (const statement of source.statements) {
    const names = ts.isVariableStatement(statement)
      ? statement.declarationList.declarations.flatMap((d) => (ts.isIdentifier(d.name) ? [d.name.text] : []))
      : (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) && statement.name
        ? [statement.name.text]
        : [];
    for (const name of names) declarations.set(name, scanned(statement, isExported(statement)));
  }
  return { imports, declarations, file: scanned(source) };
}

/** Module -> names of its top-level declarations that start a program, directly or through others. */
function startersOf(helpers: ReadonlyMap<string, Analysis>): Map<string, Set<string>> {
  const starters = new Map<string, Set<string>>(
    Object.entries(seeds).map(([module, names]) => [module, new Set(names)]),
  );
  const isStarter = (module: string, name: string) => starters.get(module)?.has(name) ?? false;
  for (let changed = true; changed; ) {
    changed = false;
    for (const [module, analysis] of helpers) {
      for (const [name, declaration] of analysis.declarations) {
        if (isStarter(module, name)) continue;
        const starts =
          declaration.direct.length > 0 ||
          [...declaration.mentions].some((mentioned) => {
            const imported = analysis.imports.get(mentioned);
            return imported ? isStarter(...imported) : mentioned !== name && isStarter(module, mentioned);
          });
        if (starts) {
          starters.set(module, (starters.get(module) ?? new Set()).add(name));
          changed = true;
        }
      }
    }
  }
  return starters;
}

/** Why a test file starts a real program (empty: it does not). */
function reasonsToBeComponent(
  file: string,
  text: string,
  starters: ReadonlyMap<string, ReadonlySet<string>>,
): string[] {
  const analysis = analyse(file, text);
  const uses = [...analysis.file.mentions].flatMap((mentioned) => {
    const imported = analysis.imports.get(mentioned);
    return imported && starters.get(imported[0])?.has(imported[1]) ? [`uses ${imported[1]} (${imported[0]})`] : [];
  });
  return [...new Set([...analysis.file.direct, ...uses])];
}

const componentMarker = /^\/\/ component: \S/;
const firstLine = (text: string): string => text.split("\n", 1)[0] ?? "";

function filesUnder(folder: string): string[] {
  return readdirSync(join(repoRoot, folder), { recursive: true, encoding: "utf8" })
    .filter((path) => path.endsWith(".ts"))
    .map((path) => join(folder, path))
    .sort();
}

const read = (file: string) => readFileSync(join(repoRoot, file), "utf8");
const laned = (file: string) => !/^test\/(e2e|bench)\//.test(file);
const testFiles = filesUnder("test").filter((file) => file.endsWith(".test.ts") && laned(file));
// Test helpers and the servers they start: every non-test module a test file may call into.
const helperFiles = [
  ...filesUnder("test").filter((file) => !file.endsWith(".test.ts")),
  ...filesUnder("scripts/servers"),
];
const helpers = new Map(helperFiles.map((file) => [file, analyse(file, read(file))]));
const starters = startersOf(helpers);

/** Test files that start a program without saying so on their first line, with why. */
function unmarked(files: ReadonlyMap<string, string>, known = starters): string[] {
  return [...files].flatMap(([file, text]) => {
    const reasons = reasonsToBeComponent(file, text, known);
    return reasons.length > 0 && !componentMarker.test(firstLine(text)) ? [`${file}: ${reasons.join("; ")}`] : [];
  });
}

describe("test lanes: a test that starts a real program says so on its first line", () => {
  test("every helper declared to start a program is exported where it is said to be", () => {
    for (const [module, names] of Object.entries(seeds)) {
      const declarations = analyse(module, read(module)).declarations;
      for (const name of names) {
        assert.equal(declarations.get(name)?.exported, true, `${module} exports ${name}`);
      }
    }
  });

  test("the scan finds the helpers it is meant to follow", () => {
    const expected: [string, string][] = [
      ["test/helpers/burst.ts", "burst"],
      ["test/helpers/burst.ts", "startBurst"],
      ["test/helpers/terminal.ts", "burstInTerminal"],
      ["scripts/servers/moto.ts", "startMoto"],
      ["scripts/servers/s3server.ts", "startS3Server"],
      ["test/fleet/local-runs.ts", "createLocalRun"],
      ["test/stacks/aws/helpers.ts", "evaluateWithTerraform"],
      ["test/helpers/terraform.ts", "realProviderDriver"],
      ["test/params/fixtures.ts", "runScript"],
      ["scripts/servers/node-container.ts", "NodeContainer"],
    ];
    for (const [module, name] of expected) {
      assert.ok(starters.get(module)?.has(name), `${module}: ${name} starts a program`);
    }
    // Helpers that start nothing stay usable by unit tests.
    for (const [module, name] of [
      ["test/helpers/burst.ts", "repoRoot"],
      ["test/helpers/burst.ts", "makeRepo"],
      ["test/fleet/local-runs.ts", "writeRunRecord"],
      ["test/stacks/aws/helpers.ts", "synthCluster"],
    ] as const) {
      assert.equal(starters.get(module)?.has(name) ?? false, false, `${module}: ${name} starts nothing`);
    }
  });

  test("every test file outside test/e2e and test/bench that starts one is marked on line 1", () => {
    assert.ok(testFiles.length > 50, `every test file is read (${testFiles.length})`);
    // A file marked on its first line may start anything: only the others need reading.
    const unitFiles = testFiles.map((file): [string, string] => [file, read(file)]);
    const candidates = unitFiles.filter(([, text]) => !componentMarker.test(firstLine(text)));
    assert.deepEqual(unmarked(new Map(candidates)), []);
  });
});

describe("test lanes: the rule catches what it forbids (planted files)", () => {
  const planted = (text: string, file = "test/planted/x.test.ts") => unmarked(new Map([[file, text]]));
  const moto = `import { startMoto } from "../../scripts/servers/moto.ts";\n`;

  test("a file that uses a starting helper and has no marker", () => {
    assert.equal(planted(`${moto}await startMoto();\n`).length, 1);
    assert.match(planted(`${moto}await startMoto();\n`)[0] ?? "", /uses startMoto \(scripts\/servers\/moto\.ts\)/);
  });

  test("a marker anywhere but on the first line does not count", () => {
    assert.equal(planted(`// Moto's EC2.\n// component: moto\n${moto}await startMoto();\n`).length, 1);
    assert.deepEqual(planted(`// component: moto\n${moto}await startMoto();\n`), []);
  });

  test("a program spawned by name, node run on a script, a program looked up to run it", () => {
    const exec = `import { run } from "../../src/util/exec.ts";\n`;
    assert.match(planted(`${exec}await run("terraform", ["version"]);\n`)[0] ?? "", /starts terraform/);
    assert.match(planted(`${exec}await run("/usr/bin/shellcheck", ["x.sh"]);\n`)[0] ?? "", /starts shellcheck/);
    assert.match(
      planted(`import { execSync } from "node:child_process";\nexecSync("npx tsc --noEmit");\n`)[0] ?? "",
      /starts npx/,
    );
    assert.match(
      planted(`${exec}await run(process.execPath, ["scripts/vpc.ts"]);\n`)[0] ?? "",
      /starts node on a script/,
    );
    assert.equal(planted(`const binary = which("tofu");\n`).length, 1);
    assert.match(planted(`new App({ outdir }).synth();\n`)[0] ?? "", /terraform version/);
    assert.deepEqual(planted(`new App({ outdir, skipValidation: true }).synth();\n`), []);
  });

  test("a helper that wraps a starting helper is followed, in another module too", () => {
    const wrapper = analyse(
      "test/planted/servers.ts",
      `${moto}export async function ec2() { return await startMoto(); }\nexport const region = "eu-west-1";\n`,
    );
    const known = startersOf(new Map([...helpers, ["test/planted/servers.ts", wrapper]]));
    const uses = (name: string) =>
      unmarked(new Map([["test/planted/y.test.ts", `import { ${name} } from "./servers.ts";\n${name};\n`]]), known);
    assert.equal(uses("ec2").length, 1);
    assert.deepEqual(uses("region"), []);
  });

  test("what a unit test may do passes: bash, git, loopback servers, helpers that start nothing", () => {
    const text = [
      `import { run } from "../../src/util/exec.ts";`,
      `import { makeRepo, repoRoot } from "../helpers/burst.ts";`,
      `await run("bash", ["-c", "echo terraform"]);`,
      `await run("git", ["status"], { cwd: repoRoot });`,
      `await makeRepo({ "a.txt": "a" });`,
      `// a comment that names startMoto and terraform`,
    ].join("\n");
    assert.deepEqual(planted(text), []);
  });
});

describe("test lanes: scripts/test.sh --unit picks by the first line", () => {
  const scratch = mkdtempSync(join(tmpdir(), "burst-lanes-"));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  test("the listed unit files are exactly the test files without a first-line marker", async () => {
    const listed = await run("bash", [join(repoRoot, "scripts", "test.sh"), "--list-unit"], { check: true });
    const expected = testFiles.filter((file) => !componentMarker.test(firstLine(read(file))));
    assert.deepEqual(listed.stdout.trim().split("\n"), expected);
  });

  test("on planted files: a marker on line 2, or in test/e2e and test/bench, does not make a component", async () => {
    mkdirSync(join(scratch, "scripts"));
    writeFileSync(join(scratch, "scripts", "test.sh"), read("scripts/test.sh"));
    const plant = (file: string, text: string) => {
      mkdirSync(dirname(join(scratch, file)), { recursive: true });
      writeFileSync(join(scratch, file), text);
    };
    plant("test/a/unit.test.ts", "import assert from 'node:assert';\n");
    plant("test/a/component.test.ts", "// component: moto\n");
    plant("test/a/second-line.test.ts", "// about moto\n// component: moto\n");
    plant("test/a/empty.test.ts", "");
    plant("test/e2e/run.test.ts", "");
    plant("test/bench/bench.test.ts", "");
    plant("test/a/helper.ts", "");
    const listed = await run("bash", [join(scratch, "scripts", "test.sh"), "--list-unit"], { check: true });
    assert.deepEqual(listed.stdout.trim().split("\n"), [
      "test/a/empty.test.ts",
      "test/a/second-line.test.ts",
      "test/a/unit.test.ts",
    ]);
  });
});
