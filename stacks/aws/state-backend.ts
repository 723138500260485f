import { LocalBackend, S3Backend, type TerraformStack } from "cdktf";
import type { AwsParams } from "../../src/targets/aws/params.ts";
import { type AwsApiEndpoints, hasCustomEndpoints } from "./api-endpoints.ts";

export type StateLocation =
  | {
      readonly kind: "s3";
      readonly bucket: string;
      readonly key: string;
      /** A DynamoDB lock table (deprecated by terraform 1.10); absent = S3's own lock file. */
      readonly lockTable?: string;
      readonly region: string;
    }
  | { readonly kind: "local"; readonly path: string };

/**
 * Where a long-lived stack keeps its state: the shared S3 bucket when ops configured one
 * (aws/stateBucket), locked by a lock file beside the state (terraform >= 1.10 `use_lockfile`),
 * or by aws/stateLockTable where a site still has one; else a file in `localDir`.
 */
export function stateLocation(params: AwsParams, key: string, localDir: string): StateLocation {
  const bucket = params.stateBucket ?? "";
  if (bucket === "") return { kind: "local", path: `${localDir.replace(/\/+$/, "")}/${key.replaceAll("/", "-")}` };
  const lockTable = params.stateLockTable || undefined;
  return { kind: "s3", bucket, key, lockTable, region: params.region };
}

export function useStateBackend(stack: TerraformStack, location: StateLocation, endpoints?: AwsApiEndpoints): void {
  if (location.kind === "local") {
    new LocalBackend(stack, { path: location.path });
    return;
  }
  const emulated = hasCustomEndpoints(endpoints);
  new S3Backend(stack, {
    bucket: location.bucket,
    key: location.key,
    region: location.region,
    dynamodbTable: location.lockTable,
    encrypt: true,
    ...(emulated
      ? {
          endpoints: { s3: endpoints.s3, sts: endpoints.sts, iam: endpoints.iam },
          skipCredentialsValidation: true,
          skipMetadataApiCheck: true,
          skipRegionValidation: true,
          usePathStyle: true,
        }
      : {}),
  });
  // cdktf 0.21 has no typed field for it yet; terraform >= 1.10 locks with a .tflock object.
  if (location.lockTable === undefined) stack.addOverride("terraform.backend.s3.use_lockfile", true);
}
