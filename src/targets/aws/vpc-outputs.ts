import { badInput } from "../../errors.ts";
import type { Params } from "../../params/types.ts";
import { VPC_DEPLOY_COMMAND, type VpcOutputs } from "./params.ts";

/** The VPC outputs the aws target needs, or the error that says how to produce them. */
export function requireVpcOutputs(params: Params): VpcOutputs {
  if (params.vpc) return params.vpc;
  throw badInput(
    `the VPC outputs for "${params.aws.vpcName}" are missing (${params.prefix}vpc/${params.aws.vpcName}/...)`,
    {
      keyPath: `vpc/${params.aws.vpcName}`,
      hint: `run \`${VPC_DEPLOY_COMMAND}\` to create the VPC and publish its outputs`,
    },
  );
}
