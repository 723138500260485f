// The terraform provider every aws stack pins, and what of the CLI's environment it reads.
import type { TerraformProvider } from "../../terraform/provider-installation.ts";

/** hashicorp/aws at the version the provider bindings stacks/aws imports (@cdktf/provider-aws 20.1.0) are generated from. */
export const awsTerraformProvider: TerraformProvider = {
  source: "registry.terraform.io/hashicorp/aws",
  version: "5.100.0",
  label: "AWS",
  docs: "docs/aws.md",
};

/** The variables the hashicorp/aws provider reads (credentials, profile, region, endpoints). */
export const awsProviderEnv: readonly string[] = ["AWS_"];
