// What config:show, config:push and the runs share: the flags of the config commands, how a bad
// flag is told, and which folder of config/*.yml files and which Consul prefix they read.
import { realpathSync } from "node:fs";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { badInput } from "../errors.ts";
import { defaultConfigDir, normalizePrefix, prefixFromEnv } from "../params/index.ts";

type Env = Readonly<Record<string, string | undefined>>;

/** The flags both config commands take, besides their own. */
const commonOptions = {
  "config-dir": { type: "string" },
  prefix: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

type Options = NonNullable<ParseArgsConfig["options"]>;

/** A config command's flags (its own and the common ones); a bad one is bad input, with the usage as hint. */
export function parseConfigArgs<T extends Options>(argv: string[], own: T, usage: string) {
  try {
    return parseArgs({ args: argv, options: { ...commonOptions, ...own }, strict: true, allowPositionals: false });
  } catch (cause) {
    throw badInput(cause instanceof Error ? cause.message : String(cause), { hint: usage, cause });
  }
}

/**
 * The folder of config/*.yml files: --config-dir, else BURST_CONFIG_DIR, else config/ of this
 * checkout by its real path (the compiled CLI reaches it through the link dist/config, which is
 * not where anyone edits it, so messages would name the wrong file).
 */
export function configDirOf(flag: string | undefined, env: Env): string {
  if (flag !== undefined) return flag;
  if (env.BURST_CONFIG_DIR) return env.BURST_CONFIG_DIR;
  const checkout = defaultConfigDir();
  try {
    return realpathSync(checkout);
  } catch {
    return checkout; // missing: the file store says so when it reads
  }
}

/** The Consul key prefix: --prefix, else BURST_CONSUL_PREFIX, else burst/. */
export const prefixOf = (flag: string | undefined, env: Env): string =>
  flag !== undefined ? normalizePrefix(flag) : prefixFromEnv(env);
