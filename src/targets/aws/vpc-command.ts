// `npm run vpc -- synth|plan|deploy|destroy|outputs|stage|image`: the long-lived VPC stack, for ops.
// Synthesizes stacks/aws/vpc-stack.ts and drives the terraform CLI on it; scripts/vpc.ts is its entry.

import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import type { S3Client } from "@aws-sdk/client-s3";
import type { NodeArtifact } from "../../../stacks/aws/artifacts.ts";
import { describeSupportedSparkVersions, SUPPORTED_SPARK_VERSIONS } from "../../../stacks/shared/spark-versions.ts";
import { badInput, ExitCode, infraError } from "../../errors.ts";
import { cacheRoot } from "../../home.ts";
import { mavenRepo } from "../../install/maven.ts";
import { resolveParams, storeFromEnv, writeParams } from "../../params/index.ts";
import type { Params } from "../../params/types.ts";
import { ensureTerraform } from "../../terraform/binary.ts";
import { TerraformDriver } from "../../terraform/driver.ts";
import type { TerraformEvent } from "../../terraform/events.ts";
import { providerInstallation } from "../../terraform/provider-installation.ts";
import { awsEndpointsFromEnv } from "./endpoints.ts";
import { VPC_OUTPUT_NAMES, type VpcOutputs, vpcOutputEntries } from "./params.ts";
import { awsProviderEnv, awsTerraformProvider } from "./terraform-provider.ts";

const usage = `Usage: npm run vpc -- <command> [--yes] [--config <dir>] [--local-state <dir>]
       npm run vpc -- image [--spark <version>] [--arch x86_64|arm64] [--instance-type <type>] [--prune [--yes]]
       npm run vpc -- stage [--spark <version>]... [--arch x86_64|arm64] [--from <file|folder|url>]... [--config <dir>]

  synth     write the VPC stack to cdktf.out/stacks/vpc and print where
  plan      show what deploy would change
  deploy    create or update the VPC (plans only, unless --yes), then print its outputs
  destroy   delete the VPC (plans only, unless --yes)
  outputs   print the deployed VPC's outputs (the burst/vpc/<vpcName>/... parameters)
  stage     put what nodes download (pyspark, numpy/pandas/pyarrow wheels, the s3a jars) into the
            VPC's artifacts bucket, each checked first against the digest PyPI or Maven publishes
            (stacks/aws/artifacts/); what is already there is skipped. --spark: the versions
            (default: defaults/spark); --arch: only the wheels of that CPU architecture (default:
            both); --from: where the files are (matched by file name; default: PyPI and Maven Central)
  image     bake a node image: one builder instance runs the node role's install steps (Java,
            pyspark, its Python packages, the s3a jars), CreateImage makes an image of it, tagged
            with the role's hash, recorded in Consul for the Spark version and architecture, and
            the builder is terminated. Bursts of that Spark and architecture boot from it while
            their role's hash matches. --spark (default: defaults/spark), --arch, --instance-type.
            --prune lists the VPC's images; with --yes deregisters those not recorded (and their
            snapshots)

State: in aws/stateBucket when set; else in the account's own bucket burst-<vpcName>-<region>-state-*,
which the first deploy --yes creates (versioned, encrypted, private) and every command finds again.
--local-state <dir> keeps it in a file in <dir> instead (then keep that folder: it is the only copy).

Environment: TERRAFORM_BINARY_NAME (terraform or tofu), BURST_TF_PLUGIN_MIRROR (a local mirror of
hashicorp/aws 5.100.0), AWS credentials and AWS_ENDPOINT_URL[_<SERVICE>] as for the AWS CLI.`;

const commands = ["synth", "plan", "deploy", "destroy", "outputs", "stage", "image"] as const;
type Command = (typeof commands)[number];

/** `npm run vpc -- <argv>`: its exit code; bad input and failures are thrown as BurstErrors. */
export async function vpcCommand(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      yes: { type: "boolean", default: false },
      config: { type: "string", default: "config" },
      spark: { type: "string", multiple: true, default: [] },
      from: { type: "string", multiple: true, default: [] },
      arch: { type: "string" },
      "instance-type": { type: "string" },
      prune: { type: "boolean", default: false },
      "local-state": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const command = positionals[0] as Command | undefined;
  if (values.help || command === undefined || !commands.includes(command)) {
    console.log(usage);
    return values.help ? ExitCode.ok : ExitCode.badInput;
  }

  if (command === "image") {
    // No terraform: the builder and the image are made through EC2's API.
    const { imageCommand } = await import("./image-command.ts");
    const choice = storeFromEnv(process.env, { configDir: resolve(values.config) });
    const params = await resolveParams({ store: choice.store, env: process.env });
    return imageCommand({
      params,
      consul: choice.consul,
      spark: values.spark[0],
      arch: values.arch,
      instanceType: values["instance-type"],
      prune: values.prune,
      yes: values.yes,
    });
  }
  // CDKTF and the AWS bindings load only here, not for --help.
  const { synthVpcStack } = await import("../../../stacks/aws/vpc-app.ts");
  const choice = storeFromEnv(process.env, { configDir: resolve(values.config) });
  const params = await resolveParams({ store: choice.store, env: process.env });
  // What stage would upload is settled (and refused when unpinned) before terraform runs.
  const toStage = command === "stage" ? await stagePlan(params, values.spark, values.arch) : [];
  const state = await stateFor(params, command, values.yes, values["local-state"]);
  const config = { aws: { ...params.aws, stateBucket: state.bucket ?? "" }, vpcConfig: params.vpcConfig };
  // A plan against no state gets a folder of its own: terraform would refuse the real backend
  // in a folder initialised with another one.
  const outdir =
    state.empty && command !== "synth" ? resolve("cdktf.out", "before-first-deploy") : resolve("cdktf.out");
  mkdirSync(outdir, { recursive: true });
  const stackDir = synthVpcStack({
    ...config,
    outdir,
    localStateDir: state.localDir,
    endpoints: awsEndpointsFromEnv(process.env),
  });
  if (command === "synth") {
    console.log(`VPC stack "${config.aws.vpcName}" synthesized into ${stackDir}`);
    return ExitCode.ok;
  }

  const terraform = await ensureTerraform((line) => console.error(line));
  const driver = new TerraformDriver({
    binary: terraform.binary,
    stackDir,
    scratchDir: resolve(stackDir, ".burst"),
    installation: providerInstallation(process.env, cacheRoot(), awsTerraformProvider),
    providerEnv: awsProviderEnv,
    // terraform's own text (init, plan) is progress: stderr, so that stdout stays the outputs' JSON.
    // apply/destroy print JSON events instead, shown below as one line per resource.
    onOutput: (line) => {
      if (!line.startsWith("{")) console.error(line);
    },
  });
  await driver.init();
  if (command === "outputs") {
    console.log(JSON.stringify(await deployedOutputs(driver, VPC_OUTPUT_NAMES), null, 2));
    return ExitCode.ok;
  }
  if (command === "stage") {
    const bucket = String((await deployedOutputs(driver, VPC_OUTPUT_NAMES)).artifactsBucket);
    await stage(bucket, config.aws.region, toStage, values.from);
    return ExitCode.ok;
  }
  const destroy = command === "destroy";
  if (command === "plan" || !values.yes) {
    await driver.plan({ destroy });
    if (command !== "plan") console.log(`\nNothing changed. Re-run with --yes to ${command}.`);
    return ExitCode.ok;
  }
  if (destroy) {
    await driver.destroy(showEvent);
    console.log(`VPC "${config.aws.vpcName}" destroyed`);
    return ExitCode.ok;
  }
  await driver.apply(showEvent);
  const outputs = await deployedOutputs(driver, VPC_OUTPUT_NAMES);
  await publishVpcOutputs(config.aws.vpcName, params.prefix, outputs, VPC_OUTPUT_NAMES, choice.consul);
  console.log(
    "Next, once per region: npm run vpc -- stage (pyspark, its Python packages and the s3a jars nodes download)",
  );
  return ExitCode.ok;
}

/** The artifacts of every Spark version to stage (all architectures); bad input when a version is unknown. */
async function stagePlan(params: Params, versions: readonly string[], arch?: string): Promise<NodeArtifact[]> {
  const { nodeArtifacts } = await import("../../../stacks/aws/artifacts.ts");
  if (arch !== undefined && arch !== "x86_64" && arch !== "arm64") {
    throw badInput(`--arch ${arch} is not an architecture burst has wheels for`, { hint: "x86_64 or arm64" });
  }
  const wanted = versions.length > 0 ? versions : [params.defaults.spark];
  return wanted
    .flatMap((version) => {
      if (!SUPPORTED_SPARK_VERSIONS.includes(version)) {
        throw badInput(`--spark ${version} is not a Spark version burst supports`, {
          hint: `one of ${describeSupportedSparkVersions()}`,
        });
      }
      return nodeArtifacts(version, { mavenRepo: mavenRepo(), architecture: arch });
    })
    .filter((artifact, index, all) => all.findIndex((other) => other.key === artifact.key) === index);
}

interface VpcState {
  /** The S3 bucket the state is in; absent: a local file in localDir. */
  readonly bucket?: string;
  readonly localDir: string;
  /** No state exists yet (before the first deploy): plans run against an empty one. */
  readonly empty?: boolean;
}

/**
 * Where the VPC's state is: --local-state, else aws/stateBucket, else the account's own state
 * bucket (found by its name's prefix; created by the first `deploy --yes`). Before that first
 * deploy there is no state: a plan runs against an empty one in a scratch folder.
 */
async function stateFor(params: Params, command: Command, yes: boolean, localState?: string): Promise<VpcState> {
  if (localState !== undefined) return { localDir: resolve(localState) };
  const scratch = resolve("cdktf.out", "empty-state");
  if (params.aws.stateBucket) return { bucket: params.aws.stateBucket, localDir: scratch };
  // synth writes the stack for reading: it asks AWS nothing (no credentials needed).
  if (command === "synth") return { localDir: scratch, empty: true };
  const { createStateBucket, findStateBucket, stateBucketPrefix } = await import("./state-bucket.ts");
  const { vpcName, region } = params.aws;
  const s3 = await s3ClientFor(region);
  try {
    const found = await findStateBucket(s3, vpcName, region).catch((error: unknown) => {
      throw infraError(`could not look for the VPC's state bucket: ${(error as Error).message}`, {
        hint: "check the AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID...), or set aws/stateBucket, or pass --local-state <dir>",
        cause: error,
      });
    });
    if (found) return { bucket: found, localDir: scratch };
    if (command === "deploy" && yes) {
      const made = await createStateBucket(s3, vpcName, region);
      console.error(`Created the VPC's state bucket s3://${made}/ (versioned; every vpc command finds it again)`);
      return { bucket: made, localDir: scratch };
    }
    if (command === "plan" || command === "deploy") {
      console.error(`No state bucket ${stateBucketPrefix(vpcName, region)}* yet: planning against an empty state`);
      return { localDir: scratch, empty: true };
    }
    throw badInput(
      `no state for VPC "${vpcName}": aws/stateBucket is not set and the account has no bucket ${stateBucketPrefix(vpcName, region)}*`,
      {
        keyPath: "aws/stateBucket",
        hint: "deploy it first (npm run vpc -- deploy --yes), or pass --local-state <dir> where its state file is",
      },
    );
  } finally {
    s3.destroy();
  }
}

/** An S3 client for the VPC's region; emulated S3 (AWS_ENDPOINT_URL*) is addressed path-style, as the provider does. */
async function s3ClientFor(region: string): Promise<S3Client> {
  const { S3Client } = await import("@aws-sdk/client-s3");
  const endpoint = awsEndpointsFromEnv(process.env).s3;
  return new S3Client({
    region,
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    requestChecksumCalculation: "WHEN_REQUIRED",
  });
}

/** Uploads what the bucket lacks; one line per object. */
async function stage(bucket: string, region: string, artifacts: readonly NodeArtifact[], sources: readonly string[]) {
  const { stageArtifacts } = await import("./stage-artifacts.ts");
  const client = await s3ClientFor(region);
  try {
    console.log(`Staging ${artifacts.length} files in s3://${bucket}/`);
    const staged = await stageArtifacts({
      client,
      bucket,
      artifacts,
      sources,
      scratchDir: tmpdir(),
      log: (line) => console.log(line),
    });
    const uploaded = staged.filter((item) => item.action === "uploaded").length;
    console.log(`Staged: ${uploaded} uploaded, ${staged.length - uploaded} already there`);
  } finally {
    client.destroy();
  }
}

/** One line per resource as terraform creates or deletes it. */
function showEvent(event: TerraformEvent): void {
  if (event.type === "resource-done") console.log(`  ${event.action} ${event.address} (${event.seconds}s)`);
  if (event.type === "resource-failed") console.error(`  ${event.action} ${event.address} failed`);
}

/** The VPC's outputs from its state; bad input when the VPC was never deployed. */
async function deployedOutputs(
  driver: TerraformDriver,
  outputNames: readonly string[],
): Promise<Record<string, unknown>> {
  const outputs = await driver.outputs();
  const missing = outputNames.filter((name) => outputs[name] === undefined);
  if (missing.length > 0) {
    throw badInput(`the VPC is not deployed (no ${missing.join(", ")} in its state)`, {
      hint: "npm run vpc -- deploy --yes",
    });
  }
  return outputs;
}

/**
 * Hands the VPC's outputs to every burst: they become <prefix>vpc/<vpcName>/... in Consul
 * (written by the tool after apply: the Consul provider cannot be downloaded here, and this
 * keeps the stack provider-light). Without Consul they are printed for config/vpc.yml.
 */
async function publishVpcOutputs(
  vpcName: string,
  prefix: string,
  outputs: Record<string, unknown>,
  outputNames: readonly string[],
  consul: Parameters<typeof writeParams>[0] | undefined,
): Promise<void> {
  const vpc: VpcOutputs = {
    vpcId: String(outputs.vpcId),
    subnetIds: (outputs.subnetIds as string[] | undefined) ?? [],
    securityGroupId: String(outputs.securityGroupId),
    instanceProfileName: String(outputs.instanceProfileName),
    artifactsBucket: String(outputs.artifactsBucket),
    dataBucket: String(outputs.dataBucket),
    resultsBucket: String(outputs.resultsBucket),
  };
  const entries = vpcOutputEntries(vpcName, vpc);
  if (consul) {
    await writeParams(consul, entries, { prefix });
    console.log(`VPC outputs written to Consul under ${prefix}vpc/${vpcName}/`);
    return;
  }
  console.log(`\nCONSUL_HTTP_ADDR is not set; add these under vpc/${vpcName}/ in config/vpc.yml:`);
  console.log(JSON.stringify(Object.fromEntries(outputNames.map((name) => [name, outputs[name]])), null, 2));
}
