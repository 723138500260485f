// Where terraform gets the AWS provider: a local mirror when one is known (offline), otherwise the
// registry through one plugin cache shared by every run. On mirror folders made in a temp dir.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { BurstError } from "../../src/errors.ts";
import { awsTerraformProvider as provider } from "../../src/targets/aws/terraform-provider.ts";
import {
  defaultMirrorCandidates,
  mirrorCliConfig,
  mirrorRecordFile,
  platform,
  providerInstallation,
  recordProviderMirror,
  terraformInstallEnv,
} from "../../src/terraform/provider-installation.ts";

let dir: string;
let mirror: string;
let emptyMirror: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "burst-provider-"));
  mirror = join(dir, "mirror");
  const providerDir = join(mirror, provider.source, provider.version, platform());
  await mkdir(providerDir, { recursive: true });
  await writeFile(join(providerDir, `terraform-provider-aws_v${provider.version}_x5`), "");
  emptyMirror = join(dir, "empty-mirror");
  await mkdir(join(emptyMirror, provider.source, "5.0.0", platform()), { recursive: true });
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("providerInstallation", () => {
  test("a target whose stacks pin no provider (local) gets the shared cache and no mirror check", () => {
    const cache = join(dir, "cache-none");
    assert.deepEqual(providerInstallation({ BURST_TF_PLUGIN_MIRROR: emptyMirror }, cache, undefined), {
      pluginCacheDir: join(cache, "terraform", "plugin-cache"),
    });
  });

  test("BURST_TF_PLUGIN_MIRROR holding the pinned provider is used, beside the shared cache", () => {
    const cache = join(dir, "cache-a");
    assert.deepEqual(providerInstallation({ BURST_TF_PLUGIN_MIRROR: mirror }, cache, provider), {
      mirror,
      provider,
      pluginCacheDir: join(cache, "terraform", "plugin-cache"),
    });
  });

  test("BURST_TF_PLUGIN_MIRROR without the pinned provider is bad input naming the file it looked for", () => {
    assert.throws(
      () => providerInstallation({ BURST_TF_PLUGIN_MIRROR: emptyMirror }, join(dir, "cache-b"), provider),
      (error: unknown) => {
        assert.ok(error instanceof BurstError);
        assert.equal(error.exitCode, 2);
        assert.equal(error.keyPath, "BURST_TF_PLUGIN_MIRROR");
        assert.equal(
          error.message,
          `BURST_TF_PLUGIN_MIRROR=${emptyMirror} does not hold ${provider.source} ${provider.version} for ${platform()}`,
        );
        assert.match(error.hint ?? "", new RegExp(`terraform-provider-aws_v${provider.version}_x5; unset it`));
        return true;
      },
    );
  });

  test("without the variable, the mirror setup recorded; a recorded mirror that lost the provider is ignored", async () => {
    const cache = join(dir, "cache-c");
    assert.deepEqual(providerInstallation({}, cache, provider), {
      provider,
      pluginCacheDir: join(cache, "terraform", "plugin-cache"),
    });
    await mkdir(join(cache, "terraform"), { recursive: true });
    await writeFile(mirrorRecordFile(cache), `${mirror}\n`);
    assert.equal(providerInstallation({}, cache, provider).mirror, mirror);
    await writeFile(mirrorRecordFile(cache), `${emptyMirror}\n`);
    assert.equal(providerInstallation({}, cache, provider).mirror, undefined);
  });
});

describe("recordProviderMirror (setup's step)", () => {
  test("records the first mirror that holds the provider, and forgets it once none does", async () => {
    const cache = join(dir, "cache-d");
    const home = join(dir, "home-without-mirrors");
    assert.equal(await recordProviderMirror({ BURST_TF_PLUGIN_MIRROR: mirror }, cache, home, provider), mirror);
    assert.equal(readFileSync(mirrorRecordFile(cache), "utf8"), `${mirror}\n`);
    const found = await recordProviderMirror({ BURST_TF_PLUGIN_MIRROR: emptyMirror }, cache, home, provider);
    if (found === undefined) {
      assert.equal(existsSync(mirrorRecordFile(cache)), false, "a record of a mirror that is gone is removed");
    } else {
      // This machine's image carries a mirror in one of the standard places: that one is recorded.
      assert.ok(defaultMirrorCandidates(home).includes(found));
    }
  });

  test("looks where terraform itself looks for implicit mirrors, and in /opt/tf-plugins", () => {
    assert.deepEqual(defaultMirrorCandidates("/home/alice"), [
      "/opt/tf-plugins",
      "/home/alice/.terraform.d/plugins",
      "/home/alice/.local/share/terraform/plugins",
      "/usr/local/share/terraform/plugins",
      "/usr/share/terraform/plugins",
    ]);
  });
});

describe("terraformInstallEnv", () => {
  test("with a mirror: a CLI config that takes only hashicorp/aws from it", async () => {
    const scratch = join(dir, "scratch-a");
    const env = await terraformInstallEnv({ mirror, provider, pluginCacheDir: join(dir, "pc") }, scratch, {});
    assert.deepEqual(env, { TF_CLI_CONFIG_FILE: join(scratch, "terraform-cli.tfrc") });
    const config = await readFile(join(scratch, "terraform-cli.tfrc"), "utf8");
    assert.equal(config, mirrorCliConfig(mirror, provider.source));
    assert.match(
      config,
      /filesystem_mirror \{\n {4}path {4}= ".*\/mirror"\n {4}include = \["registry\.terraform\.io\/hashicorp\/aws"\]/,
    );
    assert.match(config, /direct \{\n {4}exclude = \["registry\.terraform\.io\/hashicorp\/aws"\]/);
  });

  test("without one: the shared plugin cache, made if missing", async () => {
    const cacheDir = join(dir, "pc-b");
    const env = await terraformInstallEnv({ pluginCacheDir: cacheDir }, join(dir, "scratch-b"), {});
    assert.deepEqual(env, { TF_PLUGIN_CACHE_DIR: cacheDir });
    assert.ok(existsSync(cacheDir));
  });

  test("the user's own plugin cache and CLI config are kept", async () => {
    const config = join(dir, "user.tfrc");
    await writeFile(config, "");
    const env = await terraformInstallEnv({ pluginCacheDir: join(dir, "pc-c") }, join(dir, "scratch-c"), {
      TF_PLUGIN_CACHE_DIR: "/home/alice/.tf-cache",
      TF_CLI_CONFIG_FILE: config,
    });
    assert.deepEqual(env, {});
  });

  test("a TF_CLI_CONFIG_FILE that does not exist is replaced by an empty one (terraform would warn every command)", async () => {
    const scratch = join(dir, "scratch-d");
    const env = await terraformInstallEnv({ pluginCacheDir: join(dir, "pc-d") }, scratch, {
      TF_CLI_CONFIG_FILE: join(dir, "no-such.tfrc"),
      TF_PLUGIN_CACHE_DIR: "/somewhere",
    });
    assert.deepEqual(env, { TF_CLI_CONFIG_FILE: join(scratch, "terraform-cli.tfrc") });
    assert.equal(await readFile(join(scratch, "terraform-cli.tfrc"), "utf8"), "");
  });
});

test("platform is terraform's name for this machine", () => {
  assert.match(platform(), /^(linux|darwin|freebsd|win32)_(amd64|arm64|386|arm|[a-z0-9]+)$/);
  if (process.platform === "linux" && process.arch === "x64") assert.equal(platform(), "linux_amd64");
});

describe("the pinned AWS provider", () => {
  test("cdktf.json (what `cdktf get`/`cdktf synth` would fetch) pins the version every stack uses", () => {
    const cdktf = JSON.parse(readFileSync(new URL("../../cdktf.json", import.meta.url), "utf8")) as {
      terraformProviders: string[];
    };
    assert.deepEqual(cdktf.terraformProviders, [`hashicorp/aws@${provider.version}`]);
  });
});
