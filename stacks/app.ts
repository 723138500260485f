// The cdktf app (cdktf.json "app"): what `cdktf synth|deploy` sees. burst itself synthesizes
// per-run cluster stacks in-process; ops manage the long-lived VPC stack from here or with
// `npm run vpc`. Both read the same parameters and write the same folder.

import { resolve } from "node:path";
import { resolveParams, storeFromEnv } from "../src/params/index.ts";
import { synthVpcStack } from "./aws/vpc-app.ts";

const root = process.cwd();
const params = await resolveParams({
  store: storeFromEnv(process.env, { configDir: resolve(root, "config") }).store,
  env: process.env,
});
const config = { aws: params.aws, vpcConfig: params.vpcConfig };
const stackDir = synthVpcStack({
  ...config,
  outdir: process.env.CDKTF_OUTDIR ?? resolve(root, "cdktf.out"),
  localStateDir: resolve(root, ".burst", "state"),
});
console.error(`burst: synthesized the VPC stack "${config.aws.vpcName}" into ${stackDir}`);
