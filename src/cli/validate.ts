import { ExitCode } from "../errors.ts";
import { resolveParams, storeFromEnv } from "../params/index.ts";
import type { Params } from "../params/types.ts";
import { describeSpec } from "../runspec/describe.ts";
import { loadSpec } from "../runspec/load.ts";
import { namedBucketsOf } from "../runspec/named-buckets.ts";
import type { TargetName } from "../runspec/types.ts";
import { configDirOf } from "./config-command.ts";

/** Parameters from Consul (CONSUL_HTTP_ADDR set) or config/*.yml, with the environment on top. */
export function resolveCliParams(
  target: TargetName | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<Params> {
  const { store } = storeFromEnv(env, { configDir: configDirOf(undefined, env) });
  return resolveParams({ store, env, target });
}

/** `burst validate <spec>`: the resolved spec on stdout, or the errors (exit 2). */
export async function validateSpec(
  specPath: string,
  target: TargetName | undefined,
  out: NodeJS.WritableStream,
  selection: { readonly environment?: string; readonly block?: string } = {},
): Promise<number> {
  const params = await resolveCliParams(target);
  const spec = await loadSpec(specPath, {
    defaults: params.defaults,
    overrides: target ? { target } : undefined,
    namedBuckets: namedBucketsOf(params),
    ...selection,
  });
  out.write(describeSpec(spec));
  return ExitCode.ok;
}
