// Installs (or finds) the local target's real parts into the burst cache and says where they are:
// terraform/OpenTofu, the S3 API server, Spark with s3a, and checks sshd.
//
//   node --import tsx scripts/setup-runtimes.ts [--spark 3.5.3] [--json]
//
// The Spark version defaults to `defaults.spark` in config/defaults.yml. Called by scripts/setup.sh.

import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { parseArgs } from "node:util";
import { parse } from "yaml";
import { BurstError } from "../src/errors.ts";
import { cacheRoot } from "../src/home.ts";
import { awsTerraformProvider } from "../src/targets/aws/terraform-provider.ts";
import { ensureS3Server } from "../src/targets/local/s3-server.ts";
import { ensureSpark } from "../src/targets/local/spark.ts";
import { ensureSshd } from "../src/targets/local/sshd.ts";
import { ensureTerraform } from "../src/terraform/binary.ts";
import { recordProviderMirror } from "../src/terraform/provider-installation.ts";

function defaultSparkVersion(): string {
  const text = readFileSync(new URL("../config/defaults.yml", import.meta.url), "utf8");
  const version = (parse(text) as { defaults?: { spark?: unknown } })?.defaults?.spark;
  if (version === undefined) throw new Error("config/defaults.yml has no defaults.spark");
  return String(version);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      spark: { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  const sparkVersion = values.spark ?? defaultSparkVersion();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t = Date.now();
    try {
      return await fn();
    } finally {
      timings[name] = Date.now() - t;
      log(`[setup-runtimes] ${name}: ${((Date.now() - t) / 1000).toFixed(1)} s`);
    }
  };

  log(`[setup-runtimes] cache: ${cacheRoot()}`);
  const sshd = await timed("sshd", () => ensureSshd());
  const terraform = await timed("terraform", () => ensureTerraform(log));
  const mirror = await timed("aws provider", () =>
    recordProviderMirror(process.env, cacheRoot(), homedir(), awsTerraformProvider),
  );
  log(
    mirror
      ? `[setup-runtimes] hashicorp/aws ${awsTerraformProvider.version}: local mirror ${mirror} (terraform installs it offline, linked per run)`
      : `[setup-runtimes] hashicorp/aws ${awsTerraformProvider.version}: no local mirror; terraform downloads it from the registry once into the plugin cache`,
  );
  // Side by side: the S3 server is a Go build (CPU), Spark mostly downloads (pyspark, the s3a
  // jars); together they take about as long as the build alone. Their lines carry their names.
  const [s3, spark] = await Promise.all([
    timed("s3server", () => ensureS3Server(log)),
    timed("spark", () => ensureSpark(sparkVersion, log)),
  ]);

  const summary = {
    cache: cacheRoot(),
    sshd,
    terraform,
    awsProviderMirror: mirror ?? null,
    s3server: s3,
    spark,
    timingsMs: timings,
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  } else {
    process.stdout.write(
      [
        `terraform  ${terraform.name} ${terraform.version}  ${terraform.binary}`,
        `aws prov.  hashicorp/aws ${awsTerraformProvider.version}  ${mirror ?? "from the registry (no local mirror)"}`,
        `s3 server  versitygw ${s3.version}  ${s3.binary}`,
        `spark      ${spark.sparkVersion} (hadoop ${spark.hadoopVersion}, ${spark.source})  SPARK_HOME=${spark.sparkHome}`,
        `python     ${spark.pythonExec}${spark.pythonPackages.length > 0 ? ` (+ ${spark.pythonPackages.join(" ")})` : ""}`,
        `sshd       ${sshd.sshd}`,
        "",
      ].join("\n"),
    );
  }
}

main().catch((e: unknown) => {
  if (e instanceof BurstError) {
    process.stderr.write(`burst setup: ${e.render()}\n`);
    process.exit(e.exitCode);
  }
  process.stderr.write(`burst setup: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});
