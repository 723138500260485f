// The cdktf app (cdktf.json "app"): what `cdktf synth|deploy` sees. burst itself synthesizes
// per-run cluster stacks in-process; ops manage the long-lived VPC stack from here or with
// `npm run vpc`. Both read the same parameters and write the same folder.

import { resolve } from "node:path";
import { readAwsConfigFiles } from "./aws/config-files.ts";
import { synthVpcStack } from "./aws/vpc-app.ts";

const root = process.cwd();
const config = await readAwsConfigFiles(resolve(root, "config"));
const stackDir = synthVpcStack({
  ...config,
  outdir: process.env.CDKTF_OUTDIR ?? resolve(root, "cdktf.out"),
  localStateDir: resolve(root, ".burst", "state"),
});
console.error(`burst: synthesized the VPC stack "${config.aws.vpcName}" into ${stackDir}`);
