// component: the burst CLI
// Each command loads only what it needs: none of these touches a stack, so none may load CDKTF
// (cdktf, @cdktf/provider-aws, constructs: seconds of start-up and hundreds of MB on every call).
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { packagesOf, runCompiled } from "../helpers/compiled-cli.ts";

const cdktfPackages = ["cdktf", "@cdktf/provider-aws", "constructs"];

describe("what a command loads (the compiled CLI, every module recorded)", () => {
  let burstHome: string;
  // A machine with no runs and no AWS region: what every command here meets first.
  const env = () => ({ BURST_HOME: burstHome, AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined });
  before(async () => {
    burstHome = await mkdtemp(join(tmpdir(), "burst-home-"));
  });
  after(async () => {
    await rm(burstHome, { recursive: true, force: true });
  });

  const commands: { args: string[]; exitCode: number; todo?: string }[] = [
    { args: ["--help"], exitCode: 0 },
    { args: ["validate", "examples/wordcount/spark.yml"], exitCode: 0 },
    { args: ["list"], exitCode: 0 },
    { args: ["down", "20260101-000000-none"], exitCode: 2 },
    { args: ["gc"], exitCode: 0 },
  ];
  for (const { args, exitCode, todo } of commands) {
    test(`burst ${args.join(" ")} loads no CDKTF`, { todo }, async () => {
      const { result, loaded } = await runCompiled(["burst", ...args], env());
      assert.equal(result.code, exitCode, `${result.stdout}${result.stderr}`);
      assert.ok(loaded.includes("dist/scripts/burst.js"), `the recording holds the CLI: ${loaded.join(", ")}`);
      const packages = [...packagesOf(loaded)];
      console.log(`burst ${args.join(" ")}: ${loaded.length} modules; packages: ${packages.join(", ") || "none"}`);
      assert.deepEqual(
        packages.filter((name) => cdktfPackages.includes(name)),
        [],
        `loaded: ${loaded.filter((path) => path.startsWith("node_modules/@cdktf") || path.startsWith("dist/stacks")).join(", ")}`,
      );
    });
  }

  test("the recording would see CDKTF: a command that synthesizes a stack loads it", async () => {
    const { result, loaded } = await runCompiled(["burst", "--dry-run", "examples/wordcount/spark.yml"], env());
    assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
    for (const name of ["cdktf", "constructs"]) assert.ok(packagesOf(loaded).has(name), `${name} not recorded`);
  });
});
