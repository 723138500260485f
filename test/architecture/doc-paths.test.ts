// The files the README and docs/ send a reader to exist: a moved or renamed file leaves no stale
// path behind in the prose.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const documents = ["README.md", ...readdirSync(join(repoRoot, "docs")).map((name) => `docs/${name}`)].filter((path) =>
  path.endsWith(".md"),
);

/** Repo paths written in a text: src/job/run-job.sh, test/e2e/x.test.ts (not the tail of a longer path, not a pattern). */
function repoPathsIn(text: string): string[] {
  const pattern =
    /(?<![\w/.<>-])(?:src|test|stacks|scripts|config|examples|docs)\/[\w./-]+\.(?:ts|mjs|sh|yml|md|json|txt|py)\b(?![<*])/g;
  return [...new Set(text.match(pattern) ?? [])];
}

describe("paths in the README and docs/", () => {
  test("the scan finds paths, and not the tail of a longer one", () => {
    assert.deepEqual(repoPathsIn("see `src/job/run-job.sh` and <run>/stack/stacks/cluster/cdk.tf.json"), [
      "src/job/run-job.sh",
    ]);
  });

  for (const document of documents) {
    test(`${document} names only files that exist`, () => {
      const missing = repoPathsIn(readFileSync(join(repoRoot, document), "utf8")).filter(
        (path) => !existsSync(join(repoRoot, path)),
      );
      assert.deepEqual(missing, []);
    });
  }
});
