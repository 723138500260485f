// Writes docs/spec-reference.md from the spec schema. With --check, fails when the file is stale.

import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { renderSpecReference } from "../src/runspec/reference.ts";

const target = fileURLToPath(new URL("../docs/spec-reference.md", import.meta.url));
const rendered = renderSpecReference();

if (process.argv.includes("--check")) {
  const committed = readFileSync(target, "utf8");
  if (committed !== rendered) {
    console.error("docs/spec-reference.md is stale: run node --import tsx scripts/gen-spec-reference.ts");
    process.exit(1);
  }
} else {
  writeFileSync(target, rendered);
  console.log(`wrote ${target}`);
}
