// docs/spec-reference.md is generated from the schema and must match it.

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseSpec } from "../../src/runspec/load.ts";
import { renderSpecReference } from "../../src/runspec/reference.ts";
import { EXAMPLE_SPEC, specSchema } from "../../src/runspec/schema.ts";
import { OPTIONS } from "./helpers.ts";

const committed = readFileSync(new URL("../../docs/spec-reference.md", import.meta.url), "utf8");

describe("docs/spec-reference.md", () => {
  it("is exactly what scripts/gen-spec-reference.ts generates (run it after changing the schema)", () => {
    assert.equal(committed, renderSpecReference());
  });

  it("documents every key of the schema", () => {
    const paths = (fields: typeof specSchema.doc.fields, prefix = ""): string[] =>
      Object.entries(fields ?? {}).flatMap(([name, doc]) => {
        const path = prefix ? `${prefix}.${name}` : name;
        return [path, ...paths(doc.fields ?? doc.item?.fields, doc.item ? `${path}[]` : path)];
      });
    for (const path of paths(specSchema.doc.fields))
      assert.ok(committed.includes(`### ${path}\n`), `${path} is undocumented`);
  });

  it("shows an example spec that is valid", () => {
    const dir = mkdtempSync(join(tmpdir(), "burst-spec-"));
    try {
      mkdirSync(join(dir, "data"));
      const spec = parseSpec(EXAMPLE_SPEC, join(dir, "spark.yml"), OPTIONS);
      assert.equal(spec.name, "wordcount");
      assert.ok(committed.includes(EXAMPLE_SPEC.trimEnd()));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
