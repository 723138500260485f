// npm run config:show -- [--target local|aws] [--json] [--config-dir config] [--prefix burst/]
// The effective parameters and where each came from (flag, env, spec, consul, file, default).
// Secrets are masked. Exit codes: 0 ok, 2 bad or missing values, 3 Consul failure.

import { configDirOf, parseConfigArgs, prefixOf } from "../src/cli/config-command.ts";
import { runEntry } from "../src/cli/entry.ts";
import { badInput, ExitCode } from "../src/errors.ts";
import { readsPublished, requirePublished, resolveParams, storeFromEnv } from "../src/params/index.ts";
import { formatRows, paramRows } from "../src/params/report.ts";
import { isTargetName, type TargetName, targetNameList, targetNames } from "../src/targets/index.ts";

const usage = `Usage: npm run config:show -- [options]
  --target ${targetNames.join("|")}  only the parameters that target uses (aws also requires the VPC outputs)
  --json              one JSON document on stdout
  --config-dir <dir>  folder of *.yml files (default: $BURST_CONFIG_DIR or config/ of this checkout)
  --prefix <prefix>   Consul key prefix (default: $BURST_CONSUL_PREFIX or burst/)
Reads Consul when CONSUL_HTTP_ADDR is set (CONSUL_HTTP_TOKEN, CONSUL_HTTP_SSL, CONSUL_CACERT),
else the config files; BURST_<SECTION>_<KEY> variables override both.`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseConfigArgs(argv, { target: { type: "string" }, json: { type: "boolean" } }, usage);
  if (values.help) {
    console.log(usage);
    return ExitCode.ok;
  }
  const target = parseTarget(values.target);
  const prefix = prefixOf(values.prefix, process.env);
  const { store } = storeFromEnv(process.env, { configDir: configDirOf(values["config-dir"], process.env) });
  // A target that reads what a stack publishes (aws: the VPC outputs): print everything first, then
  // say what is missing (requirePublished below).
  const needsPublished = target !== undefined && readsPublished(target);
  const params = await resolveParams({ store, env: process.env, prefix, target: needsPublished ? undefined : target });
  const rows = paramRows(params, target);
  if (values.json) {
    console.log(JSON.stringify({ prefix, target: target ?? null, store: store.description, params: rows }, null, 2));
  } else {
    console.log(`prefix ${prefix || "(root)"} · ${store.description}`);
    console.log(formatRows(rows));
  }
  if (target !== undefined) requirePublished(params, target);
  return ExitCode.ok;
}

function parseTarget(raw: string | undefined): TargetName | undefined {
  if (raw === undefined || isTargetName(raw)) return raw;
  throw badInput(`--target ${raw}: expected ${targetNameList}`);
}

runEntry("config:show", main);
