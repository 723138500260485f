// `npm run twin`: the AWS twin on this machine (scripts/servers/twin/twin.ts), until Ctrl-C. Once
// it is ready it prints the environment a shell needs, as `export NAME=value` lines on stdout
// (progress goes to stderr), so that in a second shell
//
//   eval "$(cat /tmp/twin.env)"; npm run burst -- examples/wordcount/spark.yml --target aws --yes
//
// runs the whole aws burst against it. Needs root (containers, network namespaces) and
// `bash scripts/setup.sh && bash scripts/setup-tests.sh` (moto, Consul, the Debian 12 root).

import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startTwin } from "./servers/twin/twin.ts";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { calls: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    console.log(
      "Usage: npm run -s twin [-- --calls FILE] > twin.env\n" +
        "  prints export lines once ready; Ctrl-C stops it and everything it made.\n" +
        "  --calls FILE: on exit, every AWS API call the twin received, as JSON (action, caller, parameters)",
    );
    return 0;
  }
  const twin = await startTwin();
  for (const [name, value] of Object.entries(twin.env())) console.log(`export ${name}=${value}`);
  console.error("twin: ready; Ctrl-C stops it");
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  console.error("twin: stopping (containers, namespaces, bridges, servers)");
  if (values.calls) writeFileSync(values.calls, `${JSON.stringify(twin.front.calls, null, 1)}\n`);
  await twin.stop();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`twin: ${error.message}`);
    process.exit(1);
  },
);
