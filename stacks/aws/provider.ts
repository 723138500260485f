import { AwsProvider } from "@cdktf/provider-aws/lib/provider/index.js";
import type { Construct } from "constructs";

/**
 * The AWS provider with default tags: every resource that supports tags gets them without each
 * construct repeating them (launch templates still tag what they launch; see NodeLaunchTemplate).
 */
export function awsProvider(scope: Construct, region: string, tags: Readonly<Record<string, string>>): AwsProvider {
  return new AwsProvider(scope, "aws", { region, defaultTags: [{ tags: { ...tags } }] });
}
