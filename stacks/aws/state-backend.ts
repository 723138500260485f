import { LocalBackend, S3Backend, type TerraformStack } from "cdktf";
import { badInput } from "../../src/errors.ts";
import type { AwsParams } from "../../src/params/types.ts";

export type StateLocation =
  | {
      readonly kind: "s3";
      readonly bucket: string;
      readonly key: string;
      readonly lockTable: string;
      readonly region: string;
    }
  | { readonly kind: "local"; readonly path: string };

/**
 * Where a long-lived stack keeps its state: the shared S3 bucket with a DynamoDB lock when ops
 * configured one (aws/stateBucket + aws/stateLockTable), else a file in `localDir`.
 */
export function stateLocation(params: AwsParams, key: string, localDir: string): StateLocation {
  const bucket = params.stateBucket ?? "";
  const lockTable = params.stateLockTable ?? "";
  if (bucket === "") return { kind: "local", path: `${localDir.replace(/\/+$/, "")}/${key.replaceAll("/", "-")}` };
  if (lockTable === "") {
    throw badInput("aws/stateBucket is set but aws/stateLockTable is not: two operators could apply at once", {
      keyPath: "aws.stateLockTable",
      hint: "create a DynamoDB table with a string partition key LockID and set aws.stateLockTable to its name",
    });
  }
  return { kind: "s3", bucket, key, lockTable, region: params.region };
}

export function useStateBackend(stack: TerraformStack, location: StateLocation): void {
  if (location.kind === "local") {
    new LocalBackend(stack, { path: location.path });
    return;
  }
  new S3Backend(stack, {
    bucket: location.bucket,
    key: location.key,
    region: location.region,
    dynamodbTable: location.lockTable,
    encrypt: true,
  });
}
