// npm run config:push -- [--dry-run] [--prune] [--config-dir config] [--prefix burst/]
// Publishes config/*.yml to Consul KV under the prefix: prints the diff, then applies it in
// check-and-set transactions. Exit codes: 0 ok, 2 bad input, 3 Consul failure.

import { configDirOf, parseConfigArgs, prefixOf } from "../src/cli/config-command.ts";
import { runEntry } from "../src/cli/entry.ts";
import { ExitCode } from "../src/errors.ts";
import { desiredFromFiles } from "../src/params/config-files.ts";
import { ConsulStore, FileStore, pushParams } from "../src/params/index.ts";
import { formatPlan } from "../src/params/report.ts";

const usage = `Usage: npm run config:push -- [options]
  --dry-run           print the diff, write nothing
  --prune             also remove keys under the prefix that the files no longer define
                      (never the VPC stack's vpc/<name>/ outputs or operator-set secrets,
                      unless the files define them)
  --config-dir <dir>  folder of *.yml files (default: $BURST_CONFIG_DIR or config/ of this checkout)
  --prefix <prefix>   Consul key prefix (default: $BURST_CONSUL_PREFIX or burst/)
Consul: CONSUL_HTTP_ADDR (default 127.0.0.1:8500), CONSUL_HTTP_TOKEN, CONSUL_HTTP_SSL, CONSUL_CACERT.`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseConfigArgs(argv, { "dry-run": { type: "boolean" }, prune: { type: "boolean" } }, usage);
  if (values.help) {
    console.log(usage);
    return ExitCode.ok;
  }
  const prefix = prefixOf(values.prefix, process.env);
  const files = new FileStore(configDirOf(values["config-dir"], process.env));
  const desired = await desiredFromFiles(files);
  const consul = ConsulStore.fromEnv(process.env);
  const prune = values.prune ?? false;
  const dryRun = values["dry-run"] ?? false;

  console.log(`${files.description} -> ${consul.description}, prefix ${prefix || "(root)"} (${desired.size} keys)`);
  const result = await pushParams(consul, prefix, desired, {
    prune,
    dryRun,
    onPlan: (plan, attempt) => {
      if (attempt > 1) console.log(`\nre-planned against the current Consul state (attempt ${attempt}):`);
      console.log(formatPlan(plan, prefix));
    },
    onConflict: (keys, attempt) =>
      console.log(
        `\nconflict: ${keys.length} key(s) changed in Consul while pushing (attempt ${attempt}): ${keys.slice(0, 5).join(", ")}${keys.length > 5 ? ", ..." : ""}`,
      ),
  });
  if (dryRun) console.log("dry run: nothing written");
  else if (result.applied) console.log(`applied in ${result.transactions} transaction(s)`);
  return ExitCode.ok;
}

runEntry("config:push", main);
