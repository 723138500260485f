import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BurstError } from "../../src/errors.ts";
import { desiredFromFiles } from "../../src/params/config-files.ts";
import { FileStore } from "../../src/params/file-store.ts";
import { type ConfigDir, copyOfRepoConfig } from "./fixtures.ts";

async function withConfig(test: (config: ConfigDir) => Promise<void>): Promise<void> {
  const config = await copyOfRepoConfig();
  try {
    await test(config);
  } finally {
    await config.remove();
  }
}

const rendered =
  (pattern: RegExp, exitCode = 2) =>
  (error: unknown) => {
    assert.ok(error instanceof BurstError, `expected a BurstError, got ${String(error)}`);
    assert.equal(error.exitCode, exitCode);
    assert.match(error.render(), pattern);
    return true;
  };

describe("FileStore: config/*.yml as parameters", () => {
  it("flattens sections to <section>/<key>, lists to JSON, scalars to text, with file:line", () =>
    withConfig(async (config) => {
      const params = await new FileStore(config.path).read("burst/");
      assert.equal(params.get("aws/region")?.value, "eu-west-1");
      assert.equal(params.get("aws/buckets")?.value, "[]");
      assert.equal(params.get("local/dataBucket")?.value, "burst-data");
      assert.equal(params.get("defaults/workers")?.value, "2");
      assert.equal(params.get("vpc-config/privateSubnets")?.value, "false");
      assert.equal(params.get("aws/region")?.source, "file");
      assert.match(params.get("aws/region")?.where ?? "", /aws\.yml:3$/);
    }));

  it("keeps numbers as written (3.10 stays 3.10) and maps empty values to empty strings", () =>
    withConfig(async (config) => {
      await config.write("extra.yml", "extra:\n  version: 3.10\n  empty:\n  nested:\n    deeper: 1\n");
      const params = await new FileStore(config.path).read("");
      assert.equal(params.get("extra/version")?.value, "3.10");
      assert.equal(params.get("extra/empty")?.value, "");
      assert.equal(params.get("extra/nested/deeper")?.value, "1");
    }));

  it("rejects a key defined in two files, naming both places", () =>
    withConfig(async (config) => {
      await config.write("local.yml", "aws:\n  region: eu-central-1\n");
      await assert.rejects(
        new FileStore(config.path).read(""),
        rendered(/aws\/region is defined twice \(first at .*aws\.yml:3\)/),
      );
    }));

  it("reports YAML syntax errors with file and line", () =>
    withConfig(async (config) => {
      await config.write("broken.yml", "aws:\n  region: [unclosed\n");
      await assert.rejects(new FileStore(config.path).read(""), rendered(/broken\.yml:\d+:\d+: invalid YAML/));
    }));

  it("validates what a push would publish: unknown keys (with a suggestion) and malformed values", () =>
    withConfig(async (config) => {
      await config.write("extra.yml", "aws:\n  regoin: eu-west-1\nlocal-extra:\n  x: 1\n");
      await config.write("local.yml", "local:\n  workerCores: many\n  workerMemory: 1g\n");
      await assert.rejects(
        desiredFromFiles(new FileStore(config.path)),
        rendered(
          /3 problems[\s\S]*aws\/regoin: did you mean 'aws\/region'\?[\s\S]*local-extra\/x[\s\S]*local\.yml:2:\d+: local\/workerCores: "many" is not a whole number/,
        ),
      );
    }));

  it("publishes canonical values: lists as compact JSON, optional empties kept as empty", () =>
    withConfig(async (config) => {
      const desired = await desiredFromFiles(new FileStore(config.path));
      assert.equal(desired.get("aws/buckets"), "[]");
      assert.equal(desired.get("aws/bakedAmi"), "");
      assert.equal(desired.get("aws/sshAllowedCidrs"), "[]");
      assert.equal(desired.has("notify/webhook"), false);
    }));
});
