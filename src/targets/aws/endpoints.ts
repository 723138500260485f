import { type AwsApiEndpoints, type AwsApiService, awsApiServices } from "../../../stacks/aws/api-endpoints.ts";

/**
 * The endpoints the AWS SDKs themselves would use: AWS_ENDPOINT_URL_<SERVICE> for one service,
 * AWS_ENDPOINT_URL for all. burst's own SDK clients read these variables natively; this hands the
 * same choice to terraform's provider, so emulated and real AWS differ only in these variables.
 */
export function awsEndpointsFromEnv(env: Readonly<Record<string, string | undefined>>): AwsApiEndpoints {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS?.toLowerCase() === "true") return {};
  const all = env.AWS_ENDPOINT_URL || undefined;
  const endpoints: Partial<Record<AwsApiService, string>> = {};
  for (const service of awsApiServices) {
    const url = env[`AWS_ENDPOINT_URL_${service.toUpperCase()}`] || all;
    if (url) endpoints[service] = url;
  }
  return endpoints;
}
