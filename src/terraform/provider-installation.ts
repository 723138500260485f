// How terraform gets the provider a target's stacks pin (the target declares it: aws,
// src/targets/aws/terraform-provider.ts): from a local filesystem mirror when one is known
// (offline, linked into each run, never copied), otherwise from the registry through a plugin
// cache shared by all runs (downloaded once per machine).

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { badInput } from "../errors.ts";

/** A terraform provider a target's stacks pin, as its target declares it. */
export interface TerraformProvider {
  /** Its full source address: registry.terraform.io/hashicorp/aws. */
  readonly source: string;
  /** The one version every stack of the target pins. */
  readonly version: string;
  /** How messages name it: "AWS" (the AWS provider). */
  readonly label: string;
  /** Where a user reads about its installation (a mirror, the registry). */
  readonly docs: string;
}

/** The provider's registry name, as users write it: hashicorp/aws. */
export const providerName = (provider: TerraformProvider): string => provider.source.split("/").slice(-2).join("/");

/** The file name its plugin binaries start with in a mirror: terraform-provider-aws_. */
const binaryPrefix = (provider: TerraformProvider): string => `terraform-provider-${provider.source.split("/").pop()}_`;

export interface ProviderInstallation {
  /** A filesystem mirror (terraform's unpacked layout) holding `provider` at its version. */
  readonly mirror?: string;
  /** The provider the target's stacks pin; none when they use only terraform's built-in one. */
  readonly provider?: TerraformProvider;
  /** Where registry downloads are kept between runs when there is no mirror. */
  readonly pluginCacheDir: string;
}

/** The file `scripts/setup.sh` writes the mirror it found into (one path, one line). */
export const mirrorRecordFile = (cacheRoot: string): string => join(cacheRoot, "terraform", "provider-mirror");

/**
 * BURST_TF_PLUGIN_MIRROR when set (checked: it must hold the pinned provider), else the mirror
 * setup recorded, else none: terraform installs from the registry as for any user.
 */
export function providerInstallation(
  env: Readonly<Record<string, string | undefined>>,
  cacheRoot: string,
  provider: TerraformProvider | undefined,
): ProviderInstallation {
  const pluginCacheDir = join(cacheRoot, "terraform", "plugin-cache");
  // Stacks that pin no provider (local: terraform_data only) download nothing: no mirror to check.
  if (provider === undefined) return { pluginCacheDir };
  const given = env.BURST_TF_PLUGIN_MIRROR;
  if (given) {
    if (!mirrorHoldsProvider(given, provider)) {
      throw badInput(
        `BURST_TF_PLUGIN_MIRROR=${given} does not hold ${provider.source} ${provider.version} for ${platform()}`,
        {
          keyPath: "BURST_TF_PLUGIN_MIRROR",
          hint: `expected ${join(given, provider.source, provider.version, platform())}/${binaryPrefix(provider)}v${provider.version}_x5; unset it to install from the registry`,
        },
      );
    }
    return { mirror: given, provider, pluginCacheDir };
  }
  const recorded = existsSync(mirrorRecordFile(cacheRoot))
    ? readFileSync(mirrorRecordFile(cacheRoot), "utf8").trim()
    : "";
  return recorded !== "" && mirrorHoldsProvider(recorded, provider)
    ? { mirror: recorded, provider, pluginCacheDir }
    : { provider, pluginCacheDir };
}

/** terraform's platform directory name for this machine, e.g. linux_amd64. */
export function platform(): string {
  const arch = { x64: "amd64", arm64: "arm64", ia32: "386", arm: "arm" }[process.arch as string] ?? process.arch;
  return `${process.platform}_${arch}`;
}

export function mirrorHoldsProvider(mirror: string, provider: TerraformProvider): boolean {
  const dir = join(mirror, provider.source, provider.version, platform());
  try {
    return readdirSync(dir).some((name) => name.startsWith(binaryPrefix(provider)));
  } catch {
    return false;
  }
}

/**
 * Looks for a mirror in the places a machine image or an operator puts one; the first that holds
 * the pinned provider wins. Used by setup, which records it for every later run.
 */
export function findProviderMirror(candidates: readonly string[], provider: TerraformProvider): string | undefined {
  return candidates.find((dir) => mirrorHoldsProvider(dir, provider));
}

/**
 * Setup's step: find a mirror (BURST_TF_PLUGIN_MIRROR first) and record it for later runs, or
 * forget a recorded one that no longer holds the provider. Returns the mirror, if any.
 */
export async function recordProviderMirror(
  env: Readonly<Record<string, string | undefined>>,
  cacheRoot: string,
  home: string,
  provider: TerraformProvider,
): Promise<string | undefined> {
  const candidates = [
    ...(env.BURST_TF_PLUGIN_MIRROR ? [env.BURST_TF_PLUGIN_MIRROR] : []),
    ...defaultMirrorCandidates(home),
  ];
  const mirror = findProviderMirror(candidates, provider);
  const record = mirrorRecordFile(cacheRoot);
  if (mirror === undefined) {
    await rm(record, { force: true });
    return undefined;
  }
  await mkdir(join(cacheRoot, "terraform"), { recursive: true });
  await writeFile(record, `${mirror}\n`);
  return mirror;
}

/** terraform's implicit mirror folders plus /opt/tf-plugins (where machine images tend to put one). */
export function defaultMirrorCandidates(home: string): string[] {
  return [
    "/opt/tf-plugins",
    join(home, ".terraform.d", "plugins"),
    join(home, ".local", "share", "terraform", "plugins"),
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
  ];
}

/**
 * Environment for one terraform command: with a mirror, a CLI config (written into `scratchDir`)
 * that takes the target's provider from it and everything else from the registry; without one,
 * the shared plugin cache, unless the user set their own CLI config or cache.
 */
export async function terraformInstallEnv(
  installation: ProviderInstallation,
  scratchDir: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<Record<string, string>> {
  if (installation.mirror && installation.provider) {
    const file = join(scratchDir, "terraform-cli.tfrc");
    await mkdir(scratchDir, { recursive: true });
    await writeFile(file, mirrorCliConfig(installation.mirror, installation.provider.source));
    return { TF_CLI_CONFIG_FILE: file };
  }
  const out: Record<string, string> = {};
  const userConfig = env.TF_CLI_CONFIG_FILE;
  if (userConfig !== undefined && !existsSync(userConfig)) {
    // A config path that does not exist makes terraform warn on every command.
    const empty = join(scratchDir, "terraform-cli.tfrc");
    await mkdir(scratchDir, { recursive: true });
    await writeFile(empty, "");
    out.TF_CLI_CONFIG_FILE = empty;
  }
  if (!env.TF_PLUGIN_CACHE_DIR) {
    await mkdir(installation.pluginCacheDir, { recursive: true });
    out.TF_PLUGIN_CACHE_DIR = installation.pluginCacheDir;
  }
  return out;
}

/** The CLI config for a mirror: an unpacked mirror is linked into .terraform, not copied. */
export function mirrorCliConfig(mirror: string, source: string): string {
  return `provider_installation {
  filesystem_mirror {
    path    = ${JSON.stringify(mirror)}
    include = [${JSON.stringify(source)}]
  }
  direct {
    exclude = [${JSON.stringify(source)}]
  }
}
`;
}
