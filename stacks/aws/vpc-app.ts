import { join } from "node:path";
import { App } from "cdktf";
import type { AwsParams, VpcConfig } from "../../src/targets/aws/params.ts";
import type { AwsApiEndpoints } from "./api-endpoints.ts";
import { VpcStack } from "./vpc-stack.ts";

export const vpcStackId = "vpc";

export interface VpcSynthOptions {
  readonly aws: AwsParams;
  readonly vpcConfig: VpcConfig;
  /** cdktf's output folder; the stack lands in <outdir>/stacks/vpc (as with `cdktf synth`). */
  readonly outdir: string;
  /** Where the state file lives when no state bucket is configured. */
  readonly localStateDir: string;
  /** AWS API endpoints other than AWS's own (AWS_ENDPOINT_URL*); absent for real AWS. */
  readonly endpoints?: AwsApiEndpoints;
}

/** Synthesizes the VPC stack to disk; returns the folder terraform runs in. */
export function synthVpcStack(options: VpcSynthOptions): string {
  const app = new App({ outdir: options.outdir });
  new VpcStack(app, vpcStackId, {
    params: options.aws,
    vpcConfig: options.vpcConfig,
    localStateDir: options.localStateDir,
    endpoints: options.endpoints,
  });
  app.synth();
  return join(options.outdir, "stacks", vpcStackId);
}
