import { AwsProvider } from "@cdktf/provider-aws/lib/provider/index.js";
import type { Construct } from "constructs";
import { type AwsApiEndpoints, hasCustomEndpoints } from "./api-endpoints.ts";

export type { AwsApiEndpoints } from "./api-endpoints.ts";

/**
 * The AWS provider with default tags: every resource that supports tags gets them without each
 * construct repeating them (launch templates still tag what they launch; see NodeLaunchTemplate).
 * With custom endpoints it also skips what an emulator cannot answer (the credential check and
 * instance metadata) and addresses S3 by path, as emulators expect. The account id is still
 * asked for: without it the provider misreads same-account security group references.
 */
export function awsProvider(
  scope: Construct,
  region: string,
  tags: Readonly<Record<string, string>>,
  endpoints?: AwsApiEndpoints,
): AwsProvider {
  return new AwsProvider(scope, "aws", {
    region,
    defaultTags: [{ tags: { ...tags } }],
    ...(hasCustomEndpoints(endpoints)
      ? {
          endpoints: [{ ...endpoints }],
          skipCredentialsValidation: true,
          skipMetadataApiCheck: "true",
          s3UsePathStyle: true,
        }
      : {}),
  });
}
