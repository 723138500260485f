// component: the compiler (builds the CLI into dist/)
// `npm run burst` runs the compiled CLI (dist/, from scripts/build.mjs) through scripts/run.mjs:
// plain JavaScript with no TypeScript loader, each command loading only its own modules, and a
// build older than its sources is rebuilt before it runs, never run silently.
import assert from "node:assert/strict";
import { stat, utimes } from "node:fs/promises";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { repoRoot } from "../helpers/burst.ts";
import { packagesOf, runCompiled } from "../helpers/compiled-cli.ts";

describe("the compiled CLI (npm run burst)", () => {
  // Compiles dist/ if a source changed, so the tests below see what a fresh build loads.
  before(async () => {
    const { result } = await runCompiled(["burst", "--version"]);
    assert.equal(result.code, 0, result.stderr);
  });

  test("--help runs JavaScript from dist/ only: no TypeScript source, no loader, no package", async () => {
    const { result, loaded } = await runCompiled(["burst", "--help"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^burst: rent a Spark cluster/);
    assert.deepEqual(
      loaded.filter((path) => path.endsWith(".ts")),
      [],
      "no .ts module is loaded",
    );
    assert.deepEqual([...packagesOf(loaded)], [], "--help loads no npm package (tsx included)");
    assert.ok(loaded.includes("dist/scripts/burst.js"), `loaded: ${loaded.join(", ")}`);
  });

  test("validate loads the spec and parameter modules, not SSH, S3, terraform or CDKTF", async () => {
    const { result, loaded } = await runCompiled(["burst", "validate", "examples/wordcount/spark.yml"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^name: wordcount$/m);
    assert.deepEqual([...packagesOf(loaded)], ["yaml"]);
    for (const heavy of ["dist/src/lifecycle/run.js", "dist/src/terraform/driver.js", "dist/src/remote/ssh.js"]) {
      assert.ok(!loaded.includes(heavy), `${heavy} is loaded by validate`);
    }
  });

  test("bad input through the compiled CLI exits 2 and names the file", async () => {
    const { result } = await runCompiled(["burst", "validate", "test/fixtures/specs/does-not-exist.yml"]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /does-not-exist\.yml/);
  });

  test("a source newer than dist/ is compiled before the command runs, and says so", async () => {
    // Only the mtime changes: the file's content stays as it is.
    const source = join(repoRoot, "src", "errors.ts");
    const now = new Date();
    await utimes(source, now, now);
    const { result } = await runCompiled(["burst", "--version"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /src\/errors\.ts changed since the last build; compiling/);
    assert.match(result.stdout, /^\d+\.\d+\.\d+\n$/);
    const built = await stat(join(repoRoot, "dist", ".built"));
    assert.ok(built.mtimeMs >= now.getTime() - 1000, "dist/.built records the new build");

    const again = await runCompiled(["burst", "--version"]);
    assert.equal(again.result.code, 0);
    assert.doesNotMatch(again.result.stderr, /compiling/, "a fresh build is not rebuilt");
  });

  test("two launches of a stale build compile it once; the other waits and runs the result", async () => {
    const now = new Date();
    await utimes(join(repoRoot, "src", "errors.ts"), now, now);
    const both = await Promise.all([runCompiled(["burst", "--version"]), runCompiled(["burst", "--version"])]);
    for (const { result } of both) assert.equal(result.code, 0, result.stderr);
    const compiled = both.filter(({ result }) => /compiling/.test(result.stderr));
    assert.equal(compiled.length, 1, both.map(({ result }) => result.stderr).join("\n---\n"));
  });

  test("config:show and vpc run compiled too", async () => {
    const show = await runCompiled(["config-show", "--target", "local"]);
    assert.equal(show.result.code, 0, show.result.stderr);
    assert.match(show.result.stdout, /prefix burst\//);
    assert.deepEqual(
      show.loaded.filter((path) => path.endsWith(".ts")),
      [],
    );
    const vpc = await runCompiled(["vpc", "--help"]);
    assert.equal(vpc.result.code, 0, vpc.result.stderr);
    assert.match(vpc.result.stdout, /Usage: npm run vpc/);
  });

  // The recording sees require()d CommonJS too: the endpoint list lives in plain stacks/aws/api-endpoints.ts.
  test("vpc --help does not load CDKTF", async () => {
    const vpc = await runCompiled(["vpc", "--help"]);
    assert.equal(vpc.result.code, 0, vpc.result.stderr);
    assert.ok(!packagesOf(vpc.loaded).has("cdktf"), "vpc --help loads CDKTF");
  });
});
