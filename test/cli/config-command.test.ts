// component: the compiled CLI (config:show and config:push as processes)
// Where the config commands read the parameters from, as a user sees it: the file they edit is the
// one named, and BURST_CONFIG_DIR is honoured by config:push as by config:show and the runs.
import assert from "node:assert/strict";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { repoRoot } from "../helpers/burst.ts";
import { runCompiled } from "../helpers/compiled-cli.ts";

describe("config:show and config:push: which files they read", () => {
  let configDir: string;
  let workersLine: number;
  before(async () => {
    // The checkout's config, copied, with one value edited.
    configDir = await mkdtemp(join(tmpdir(), "burst-config-"));
    await cp(join(repoRoot, "config"), configDir, { recursive: true });
    const defaults = await readFile(join(configDir, "defaults.yml"), "utf8");
    await writeFile(join(configDir, "defaults.yml"), defaults.replace(/^ {2}workers: \d+$/m, "  workers: 7"));
    workersLine = defaults.split("\n").findIndex((line) => line.startsWith("  workers:")) + 1;
  });
  after(async () => {
    await rm(configDir, { recursive: true, force: true });
  });

  test("config:show names the checkout's config/ file a value comes from, not the build's link to it", async () => {
    const { result } = await runCompiled(["config-show", "--target", "local"], { BURST_CONFIG_DIR: undefined });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^prefix burst\/ · config files in config\/$/m);
    assert.match(result.stdout, /^defaults\/workers +\d+ +file +config\/defaults\.yml:\d+$/m);
    assert.doesNotMatch(result.stdout, /dist\//);
  });

  test("config:show reads the folder BURST_CONFIG_DIR names", async () => {
    const { result } = await runCompiled(["config-show", "--target", "local"], { BURST_CONFIG_DIR: configDir });
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      new RegExp(`^defaults/workers +7 +file +${configDir}/defaults\\.yml:${workersLine}$`, "m"),
    );
  });

  test("config:push reads the folder BURST_CONFIG_DIR names too", async () => {
    // A port nothing listens on: the push fails at Consul, after it told which files it read.
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const { result } = await runCompiled(["config-push", "--dry-run"], {
      BURST_CONFIG_DIR: configDir,
      CONSUL_HTTP_ADDR: `127.0.0.1:${closed}`,
    });
    assert.equal(result.code, 3, `${result.stdout}${result.stderr}`);
    assert.match(result.stdout, new RegExp(`^config files in ${configDir}/ -> `, "m"));
  });
});
