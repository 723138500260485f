// What s3://${data}/ and s3://${results}/ stand for on each target: a bucket the user need not
// name, so an example runs unchanged on a fresh account (aws: the VPC's own, named with the
// account and region) and on this machine (local: the local S3 server's, which it creates).

import type { Params } from "../params/types.ts";
import { targetParamSections } from "../targets/names.ts";
import type { NamedBuckets, TargetName } from "./types.ts";

/** The target's named buckets, from the resolved parameters. */
export function namedBucketsOf(params: Params): (target: TargetName) => NamedBuckets {
  return (target) => {
    if (target === "local") {
      return {
        data: params.local.dataBucket,
        results: params.local.resultsBucket,
        params: { data: "local/dataBucket", results: "local/resultsBucket" },
        hint: "set them in config/local.yml",
      };
    }
    const vpc = `vpc/${params.aws.vpcName}`;
    return {
      data: params.vpc?.dataBucket,
      results: params.vpc?.resultsBucket,
      params: { data: `${vpc}/dataBucket`, results: `${vpc}/resultsBucket` },
      hint: `run \`${targetParamSections.aws.vpc.publisher.command} --yes\` (it creates the buckets and publishes them), or write the bucket's name`,
    };
  };
}
