// The AWS APIs burst calls and the endpoints that may replace AWS's own. Plain TS, no CDKTF: the
// CLI reads them for every aws command (gc, vpc --help), the provider construct for its block.

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
