// npm run config:show -- [--target local|aws] [--json] [--config-dir config] [--prefix burst/]
// The effective parameters and where each came from (flag, env, spec, consul, file, default).
// Secrets are masked. Exit codes: 0 ok, 2 bad or missing values, 3 Consul failure.

import { parseArgs } from "node:util";
import { runEntry } from "../src/cli/entry.ts";
import { badInput, ExitCode } from "../src/errors.ts";
import { normalizePrefix, prefixFromEnv, requireVpcOutputs, resolveParams, storeFromEnv } from "../src/params/index.ts";
import { formatRows, paramRows } from "../src/params/report.ts";
import { isTargetName, type TargetName, targetNameList, targetNames, targetReadsParams } from "../src/targets/index.ts";

const usage = `Usage: npm run config:show -- [options]
  --target ${targetNames.join("|")}  only the parameters that target uses (aws also requires the VPC outputs)
  --json              one JSON document on stdout
  --config-dir <dir>  folder of *.yml files (default: config/ of this checkout)
  --prefix <prefix>   Consul key prefix (default: $BURST_CONSUL_PREFIX or burst/)
Reads Consul when CONSUL_HTTP_ADDR is set (CONSUL_HTTP_TOKEN, CONSUL_HTTP_SSL, CONSUL_CACERT),
else the config files; BURST_<SECTION>_<KEY> variables override both.`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseOrExplain(argv);
  if (values.help) {
    console.log(usage);
    return ExitCode.ok;
  }
  const target = parseTarget(values.target);
  const prefix = values.prefix !== undefined ? normalizePrefix(values.prefix) : prefixFromEnv(process.env);
  const { store } = storeFromEnv(process.env, { configDir: values["config-dir"] });
  // A target that reads the VPC outputs (aws): print everything first, then say what is missing
  // (requireVpcOutputs below).
  const needsVpc = target !== undefined && targetReadsParams(target, "vpc");
  const params = await resolveParams({ store, env: process.env, prefix, target: needsVpc ? undefined : target });
  const rows = paramRows(params, target);
  if (values.json) {
    console.log(JSON.stringify({ prefix, target: target ?? null, store: store.description, params: rows }, null, 2));
  } else {
    console.log(`prefix ${prefix || "(root)"} · ${store.description}`);
    console.log(formatRows(rows));
  }
  if (needsVpc) requireVpcOutputs(params);
  return ExitCode.ok;
}

function parseTarget(raw: string | undefined): TargetName | undefined {
  if (raw === undefined || isTargetName(raw)) return raw;
  throw badInput(`--target ${raw}: expected ${targetNameList}`);
}

function parseOrExplain(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        target: { type: "string" },
        json: { type: "boolean" },
        "config-dir": { type: "string" },
        prefix: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (cause) {
    throw badInput(cause instanceof Error ? cause.message : String(cause), { hint: usage, cause });
  }
}

runEntry("config:show", main);
