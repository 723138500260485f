import { AwsProvider } from "@cdktf/provider-aws/lib/provider/index.js";
import type { Construct } from "constructs";

/** The AWS APIs burst's stacks and clients call. */
export const awsApiServices = ["ec2", "iam", "s3", "sts", "ssm"] as const;
export type AwsApiService = (typeof awsApiServices)[number];

/**
 * Per-service API endpoints that replace AWS's own (an emulator, or a private gateway), taken from
 * the AWS SDK convention AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE>. Empty for real AWS.
 */
export type AwsApiEndpoints = Readonly<Partial<Record<AwsApiService, string>>>;

export const hasCustomEndpoints = (endpoints: AwsApiEndpoints | undefined): endpoints is AwsApiEndpoints =>
  endpoints !== undefined && Object.keys(endpoints).length > 0;

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
