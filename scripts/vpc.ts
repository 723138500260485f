// `npm run vpc -- synth|plan|deploy|destroy|outputs [--yes] [--config <dir>]`: the long-lived
// VPC stack, for ops. Synthesizes stacks/aws/vpc-stack.ts and drives the terraform CLI on it.

import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { BurstError, badInput, ExitCode, infraError } from "../src/errors.ts";
import { resolveParams, storeFromEnv, vpcOutputEntries, writeParams } from "../src/params/index.ts";
import type { VpcOutputs } from "../src/params/types.ts";
import { formatCommand, type RunResult, run, which } from "../src/util/exec.ts";

const usage = `Usage: npm run vpc -- <command> [--yes] [--config <dir>]

  synth     write the VPC stack to cdktf.out/stacks/vpc and print where
  plan      show what deploy would change
  deploy    create or update the VPC (plans only, unless --yes), then print its outputs
  destroy   delete the VPC (plans only, unless --yes)
  outputs   print the deployed VPC's outputs (the burst/vpc/<vpcName>/... parameters)

Environment: TERRAFORM_BINARY_NAME (terraform or tofu), AWS credentials as for the AWS CLI.`;

const commands = ["synth", "plan", "deploy", "destroy", "outputs"] as const;
type Command = (typeof commands)[number];

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      yes: { type: "boolean", default: false },
      config: { type: "string", default: "config" },
      help: { type: "boolean", short: "h" },
    },
  });
  const command = positionals[0] as Command | undefined;
  if (values.help || command === undefined || !commands.includes(command)) {
    console.log(usage);
    return values.help ? ExitCode.ok : ExitCode.badInput;
  }

  // CDKTF and the AWS bindings load only here, not for --help.
  const [{ synthVpcStack }, { vpcOutputNames }] = await Promise.all([
    import("../stacks/aws/vpc-app.ts"),
    import("../stacks/aws/vpc-stack.ts"),
  ]);
  const choice = storeFromEnv(process.env, { configDir: resolve(values.config) });
  const params = await resolveParams({ store: choice.store, env: process.env });
  const config = { aws: params.aws, vpcConfig: params.vpcConfig };
  const stackDir = synthVpcStack({
    ...config,
    outdir: resolve("cdktf.out"),
    localStateDir: resolve(".burst", "state"),
  });
  if (command === "synth") {
    console.log(`VPC stack "${config.aws.vpcName}" synthesized into ${stackDir}`);
    return ExitCode.ok;
  }

  const terraform = new Terraform(process.env.TERRAFORM_BINARY_NAME || "terraform", stackDir, vpcOutputNames);
  await terraform.run(["init", "-input=false"]);
  if (command === "outputs") {
    console.log(JSON.stringify(await terraform.outputs(), null, 2));
    return ExitCode.ok;
  }
  const destroy = command === "destroy";
  if (command === "plan" || !values.yes) {
    await terraform.run(["plan", "-input=false", ...(destroy ? ["-destroy"] : [])]);
    if (command !== "plan") console.log(`\nNothing changed. Re-run with --yes to ${command}.`);
    return ExitCode.ok;
  }
  await terraform.run([destroy ? "destroy" : "apply", "-input=false", "-auto-approve"]);
  if (!destroy) {
    const outputs = await terraform.outputs();
    await publishVpcOutputs(config.aws.vpcName, params.prefix, outputs, vpcOutputNames, choice.consul);
  }
  return ExitCode.ok;
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

/** The terraform CLI on the stack folder, output streamed; failures become BurstErrors. */
class Terraform {
  constructor(
    private readonly binary: string,
    private readonly stackDir: string,
    private readonly outputNames: readonly string[],
  ) {}

  async run(args: string[], quiet = false): Promise<RunResult> {
    if (which(this.binary) === undefined) {
      throw infraError(`${this.binary} is not installed (or not on PATH)`, {
        hint: "install terraform, or OpenTofu and set TERRAFORM_BINARY_NAME=tofu",
      });
    }
    const cliConfig = process.env.TF_CLI_CONFIG_FILE;
    const result = await run(this.binary, args, {
      cwd: this.stackDir,
      // A CLI config path that does not exist only makes terraform warn on every command.
      env: {
        TF_IN_AUTOMATION: "1",
        CHECKPOINT_DISABLE: "1",
        TF_CLI_CONFIG_FILE: cliConfig && existsSync(cliConfig) ? cliConfig : undefined,
      },
      onLine: quiet ? undefined : (line, stream) => (stream === "stdout" ? console.log(line) : console.error(line)),
    }).catch((cause: unknown) => {
      throw infraError(`cannot run ${this.binary}`, {
        cause,
        hint: "install terraform, or OpenTofu and set TERRAFORM_BINARY_NAME=tofu",
      });
    });
    if (result.code !== 0) throw terraformFailure(formatCommand(this.binary, args.slice(0, 1)), result);
    return result;
  }

  async outputs(): Promise<Record<string, unknown>> {
    const result = await this.run(["output", "-json"], true);
    const parsed = JSON.parse(result.stdout) as Record<string, { value: unknown }>;
    const missing = this.outputNames.filter((name) => parsed[name] === undefined);
    if (missing.length > 0) {
      throw badInput(`the VPC is not deployed (no ${missing.join(", ")} in its state)`, {
        hint: "npm run vpc -- deploy --yes",
      });
    }
    return Object.fromEntries(Object.entries(parsed).map(([name, output]) => [name, output.value]));
  }
}

/** Names the cause when terraform could not download the AWS provider, the usual first failure. */
export function terraformFailure(command: string, result: RunResult): BurstError {
  const text = `${result.stderr}\n${result.stdout}`;
  if (
    /Failed to query available provider packages|Failed to install provider|could not connect to registry\.terraform\.io/.test(
      text,
    )
  ) {
    return infraError(
      `${command} failed: the provider registry (registry.terraform.io) is unreachable, so the AWS provider cannot be downloaded`,
      {
        hint: "run where registry.terraform.io is reachable, or point terraform at a provider mirror (provider_installation in ~/.terraformrc)",
      },
    );
  }
  const tail = (result.stderr.trim() || result.stdout.trim()).split("\n").slice(-15).join("\n");
  return infraError(`${command} failed (exit code ${result.code ?? result.signal}):\n${tail}`);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof BurstError)) throw error;
  console.error(`vpc: ${error.render()}`);
  process.exitCode = error.exitCode;
}
