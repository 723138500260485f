// The parameter sections: the shared ones (defaults, notify) declared by src/params/schema.ts and
// each target's, declared in its own folder and listed once by the registry (src/targets/names.ts).
// What makes "a target is its folders" true for parameters: every key has exactly one declaring
// section, and src/params, which resolves, pushes and reports them all, names no target.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { FileStore } from "../../src/params/file-store.ts";
import { resolveParams } from "../../src/params/resolve.ts";
import { knownKeys, leafForKey, sectionsOf, sharedSections } from "../../src/params/schema.ts";
import { type AnyLeaf, type AnySection, leavesOf } from "../../src/params/section.ts";
import { targetNames, targetParamSections } from "../../src/targets/names.ts";
import { repoRoot } from "../helpers/burst.ts";

const configDir = join(repoRoot, "config");

/** Who declares each section: "shared" or the target's name. */
const declarations: [declarer: string, property: string, section: AnySection][] = [
  ...Object.entries(sharedSections).map(([property, section]): [string, string, AnySection] => [
    "shared",
    property,
    section,
  ]),
  ...Object.entries(targetParamSections).flatMap(([target, sections]) =>
    Object.entries(sections).map(([property, section]): [string, string, AnySection] => [target, property, section]),
  ),
];

const leavesOfSection = (section: AnySection): AnyLeaf[] => Object.values(leavesOf(section, "main"));

describe("parameter sections", () => {
  it("each section is declared once, by the shared schema or by one target, under its own name and key", () => {
    const properties = declarations.map(([, property]) => property);
    const keys = declarations.map(([, , section]) => section.key);
    assert.deepEqual(properties, [...new Set(properties)], "a Params field declared twice");
    assert.deepEqual(keys, [...new Set(keys)], "a key segment declared twice");
    assert.ok(declarations.some(([declarer]) => declarer === "aws"));
    assert.ok(declarations.some(([declarer]) => declarer === "local"));
  });

  it("each target marks exactly one bucket as the spec's ${data} and one as its ${results}, and no shared section does", () => {
    for (const target of targetNames) {
      const marked = Object.values(targetParamSections[target])
        .flatMap(leavesOfSection)
        .flatMap((leaf) => (leaf.names ? [leaf.names] : []))
        .sort();
      assert.deepEqual(marked, ["data", "results"], `target ${target}`);
    }
    const shared = Object.values(sharedSections).flatMap(leavesOfSection);
    assert.deepEqual(
      shared.filter((leaf) => leaf.names).map((leaf) => leaf.key),
      [],
    );
  });

  it("every key is declared by exactly one section, lives under that section's key and in its config file", () => {
    for (const key of knownKeys()) {
      const concrete = key.replace("<name>", "main");
      const declaring = declarations.filter(([, , section]) =>
        leavesOfSection(section).some((leaf) => leaf.key === concrete),
      );
      assert.equal(declaring.length, 1, `${key} is declared by ${declaring.map(([who]) => who).join(", ") || "none"}`);
      const [[, , section]] = declaring as [[string, string, AnySection]];
      const leaf = leafForKey(concrete);
      assert.ok(leaf, `${key} is found by leafForKey`);
      assert.ok(leaf.key.startsWith(`${section.key}/`), `${key} is under ${section.key}/`);
      assert.equal(leaf.file, section.file, `${key} is declared in config/${section.file}`);
    }
    assert.ok(knownKeys().length > 30, "every section is read");
  });

  it("a target reads the shared sections and its own, no other target's", () => {
    for (const target of targetNames) {
      const read = sectionsOf(target).map(({ property }) => property);
      const own = Object.keys(targetParamSections[target]);
      assert.deepEqual(read.sort(), [...Object.keys(sharedSections), ...own].sort(), target);
    }
    assert.deepEqual(sectionsOf().length, declarations.length, "without a target, every section");
  });

  it("the config files shipped in config/ set only declared keys, each in the file its section names", async () => {
    const entries = await new FileStore(configDir, repoRoot).entries();
    assert.ok(entries.length > 20, "the shipped config files are read");
    for (const entry of entries) {
      const leaf = leafForKey(entry.key);
      assert.ok(leaf, `${entry.key} (${entry.location.file}) is a known key`);
      assert.equal(entry.location.file, join("config", leaf.file), `${entry.key} is in config/${leaf.file}`);
    }
    const files = new Set(readdirSync(configDir));
    for (const [, property, section] of declarations)
      assert.ok(files.has(section.file), `${property}: ${section.file}`);
  });

  it("every key is documented in docs/parameters.md", () => {
    const reference = readFileSync(join(repoRoot, "docs", "parameters.md"), "utf8");
    for (const key of knownKeys()) assert.ok(reference.includes(`\`${key}\``), `docs/parameters.md lists \`${key}\``);
  });

  it("src/params names no target nor a target's section outside comments: a new target adds nothing there", () => {
    const folder = join(repoRoot, "src", "params");
    const found = readdirSync(folder)
      .filter((name) => name.endsWith(".ts"))
      .flatMap((file) => targetWordsIn(`src/params/${file}`, readFileSync(join(folder, file), "utf8")));
    assert.deepEqual(found, []);
    const planted =
      'import { awsLeaves } from "../targets/aws/params.ts";\n// the aws section\nconst x = "vpc-config/cidr";';
    assert.deepEqual(targetWordsIn("planted.ts", planted), [
      "planted.ts:1 aws",
      "planted.ts:3 vpc-config",
      "planted.ts:3 vpc",
    ]);
  });

  it("resolves each target's sections into Params under the name the registry gives them", async () => {
    const params = await resolveParams({ store: new FileStore(configDir, repoRoot), env: {}, target: "local" });
    assert.equal(params.local.workerMemory, "1g");
    assert.equal(params.aws.region, "eu-west-1", "every fixed section is resolved, whatever the target");
    assert.equal(params.vpcConfig.cidr, "10.42.0.0/16");
    assert.equal(params.vpc, undefined, "the local target does not read the VPC outputs");
    assert.equal(params.provenance.get("aws/region")?.where, "config/aws.yml:3");
    assert.equal(params.defaults.workers, 2);
  });
});

/** Target names and their sections' names and keys in the code of `text` (comments skipped), as "file:line word". */
function targetWordsIn(file: string, text: string): string[] {
  const words = new Set<string>(targetNames);
  for (const sections of Object.values(targetParamSections)) {
    for (const [property, section] of Object.entries(sections)) words.add(property).add(section.key);
  }
  return text.split("\n").flatMap((line, index) => {
    const code = line.replace(/^\s*(\/\/|\/\*\*|\*).*$/, "").replace(/\s\/\/.*$/, "");
    // "vpc" in vpcOutputs, VpcConfig or "vpc/…", but "local" not in localhost.
    return [...words]
      .filter((word) => new RegExp(`(?<![A-Za-z])${word}(?![a-z])`, "i").test(code))
      .map((word) => `${file}:${index + 1} ${word}`);
  });
}
