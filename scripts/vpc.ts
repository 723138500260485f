// `npm run vpc -- synth|plan|deploy|destroy|outputs [--yes] [--config <dir>]`: the long-lived
// VPC stack, for ops. The command is the aws target's (src/targets/aws/vpc-command.ts).

import { BurstError } from "../src/errors.ts";
import { vpcCommand } from "../src/targets/aws/vpc-command.ts";

try {
  process.exitCode = await vpcCommand(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof BurstError)) throw error;
  console.error(`vpc: ${error.render()}`);
  process.exitCode = error.exitCode;
}
