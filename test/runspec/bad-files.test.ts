// Problems with the spec file itself, and YAML that cannot be parsed, using files under
// test/fixtures/specs/bad/. File-level problems name just the file.

import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadSpec } from "../../src/runspec/load.ts";
import { assertRejected, FIXTURES, MINIMAL, OPTIONS, parse, specErrorOf, specErrorOfAsync } from "./helpers.ts";

const bad = (name: string): string => join(FIXTURES, "bad", name);
const load = (path: string) => specErrorOfAsync(() => loadSpec(path, OPTIONS));

describe("the spec file", () => {
  it("that does not exist is reported by its path", async () => {
    const file = bad("no-such-spec.yml");
    assertRejected(await load(file), file, { says: "spec file not found", hint: "pass the path of a spark.yml" });
  });

  it("that is a folder with a spark.yml inside suggests that file", async () => {
    const folder = join(FIXTURES, "good");
    assertRejected(await load(folder), folder, {
      says: "is a directory, not a spec file",
      hint: `did you mean ${join(folder, "spark.yml")}?`,
    });
  });

  it("that is a folder without a spark.yml says to pass the spec inside it", async () => {
    const folder = bad("a-folder");
    assertRejected(await load(folder), folder, {
      says: "is a directory",
      hint: "pass the path of the spark.yml inside it",
    });
  });

  it("that is empty says what a spec needs", async () => {
    const file = bad("empty.yml");
    assertRejected(await load(file), file, {
      says: "the spec file is empty",
      hint: "a spec needs at least name, code.repo, job.type and job.entrypoint",
    });
  });

  it("that holds only comments is reported like an empty one", async () => {
    const file = bad("only-comments.yml");
    assertRejected(await load(file), file, { says: "the spec file has no content (only comments)" });
  });
});

describe("YAML that cannot be parsed", () => {
  it("reports a syntax error where the parser noticed it", async () => {
    const file = bad("syntax-error.yml");
    assertRejected(await load(file), file, {
      at: "6:3",
      says: "invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]",
    });
  });

  it("reports a duplicate key at its second occurrence, naming the first", async () => {
    const file = bad("duplicate-key.yml");
    assertRejected(await load(file), file, {
      at: "6:3",
      key: "job.type",
      says: 'expected each key once, found "type" again (first at line 4)',
      hint: "remove or merge one of them",
    });
  });

  it("reports a list at the top level", async () => {
    const file = bad("list-root.yml");
    assertRejected(await load(file), file, { at: "1:1", says: "expected a mapping, found a list" });
  });
});

describe("a spec with several problems", () => {
  const text = `name: Word_Count
code: { repo: https://github.com/org/jobs.git }
job:
  tpye: pyspark
  entrypoint: main.py
cluster:
  workers: two
  ttlMinutes: 100000
`;
  const error = specErrorOf(() => parse(text));
  const file = join(FIXTURES, "good", "inline.yml");

  it("lists every problem, top to bottom, one file:line:col line each", () => {
    const heads = error
      .render()
      .split("\n")
      .filter((line) => !line.startsWith("  hint:"));
    assert.deepEqual(heads, [
      `${file}:1:7: name: expected a name of 1-40 lowercase letters, digits and dashes (no leading or trailing dash), found string "Word_Count"`,
      `${file}:4:3: job.tpye: expected one of type, entrypoint, class, args, conf, env, timeoutMinutes, found unknown key "tpye"`,
      `${file}:7:12: cluster.workers: expected integer, found string "two"`,
      `${file}:8:15: cluster.ttlMinutes: expected an integer from 5 to 1440, found 100000`,
    ]);
  });

  it("puts each hint under its own problem", () => {
    const lines = error.render().split("\n");
    assert.equal(lines[1], "  hint: it names cloud resources; try word-count");
    assert.equal(lines[3], "  hint: did you mean 'type'?");
  });

  it("keeps the first problem's location, key path and hint on the error", () => {
    assert.deepEqual(error.location, { file, line: 1, column: 7 });
    assert.equal(error.keyPath, "name");
    assert.equal(error.hint, "it names cloud resources; try word-count");
    assert.equal(error.exitCode, 2);
    assert.equal(error.message, error.render());
  });

  it("does not also report a misspelled required key as missing", () => {
    assert.ok(!error.issues.some((issue) => issue.keyPath === "job.type"));
  });

  it("skips cross-field rules whose inputs are already wrong", () => {
    const only = specErrorOf(() => parse(`${MINIMAL.replace("type: pyspark", "type: jra")}`));
    assert.deepEqual(
      only.issues.map((issue) => issue.keyPath),
      ["job.type"],
    );
  });
});
