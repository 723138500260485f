// component: terraform with the hashicorp/aws provider
// The synthesized AWS stacks against the real hashicorp/aws provider's schema (rung 2 of
// docs/aws.md): `terraform validate` after an offline `init` from the provider mirror.

import assert from "node:assert/strict";
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { awsTerraformProvider } from "../../src/targets/aws/terraform-provider.ts";
import { platform } from "../../src/terraform/provider-installation.ts";

const { source: awsProviderSource, version: awsProviderVersion } = awsTerraformProvider;

import { synthSparkCluster } from "../../stacks/aws/cluster-app.ts";
import { synthVpcStack } from "../../stacks/aws/vpc-app.ts";
import { realProviderDriver, realProviderInstallation } from "../helpers/terraform.ts";
import { clusterProps, params, vpcProps } from "../stacks/aws/helpers.ts";

const scratch = mkdtempSync(join(tmpdir(), "burst-real-provider-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

async function validate(stackDir: string): Promise<void> {
  const driver = await realProviderDriver(stackDir, join(stackDir, ".burst"));
  await driver.init();
  await driver.validate();
}

describe("the real hashicorp/aws provider", () => {
  it(`is pinned to ${awsProviderVersion} exactly by every synthesized stack, as the bindings were generated from`, () => {
    const bindings = readFileSync(
      join(import.meta.dirname, "../../node_modules/@cdktf/provider-aws/lib/provider/index.js"),
      "utf8",
    );
    assert.match(bindings, new RegExp(`providerVersion: '${awsProviderVersion.replaceAll(".", "\\.")}'`));
    const cluster = synthSparkCluster(clusterProps(), join(scratch, "pin-cluster"));
    const vpcDir = synthVpcStack({ ...vpcProps(), aws: params, outdir: join(scratch, "pin-vpc") });
    for (const dir of [cluster.stackDir, vpcDir]) {
      const config = JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8"));
      assert.deepEqual(config.terraform.required_providers.aws, { source: "aws", version: awsProviderVersion });
    }
  });

  it("installs offline from the mirror by linking it, not copying 700 MB into each run", async () => {
    const { stackDir } = synthSparkCluster(clusterProps({ workers: 1 }), join(scratch, "link"));
    const driver = await realProviderDriver(stackDir, join(stackDir, ".burst"));
    await driver.init();
    const installed = join(stackDir, ".terraform/providers", awsProviderSource, awsProviderVersion, platform());
    assert.ok(lstatSync(installed).isSymbolicLink(), `${installed} should be a link into the mirror`);
    assert.equal(
      readlinkSync(installed),
      join(realProviderInstallation().mirror ?? "", awsProviderSource, awsProviderVersion, platform()),
    );
  });

  it("accepts the VPC stack (terraform validate)", async () => {
    const stackDir = synthVpcStack({ ...vpcProps(), aws: params, outdir: join(scratch, "vpc") });
    await validate(stackDir);
  });

  it("accepts the VPC stack with private subnets behind a NAT gateway", async () => {
    const props = vpcProps({}, { privateSubnets: true, azCount: 3 });
    await validate(synthVpcStack({ ...props, aws: params, outdir: join(scratch, "vpc-private") }));
  });

  for (const workers of [1, 10, 100]) {
    it(`accepts the Spark cluster stack with ${workers} workers (terraform validate)`, async () => {
      const { stackDir } = synthSparkCluster(clusterProps({ workers }), join(scratch, `cluster-${workers}`));
      await validate(stackDir);
    });
  }

  it("accepts the Spark cluster stack with on-demand workers and a master alone", async () => {
    for (const [name, props] of [
      ["on-demand", clusterProps({ spot: false, maxPrice: undefined })],
      ["master-only", clusterProps({ workers: 0 })],
    ] as const) {
      const { stackDir } = synthSparkCluster(props, join(scratch, `cluster-${name}`));
      await validate(stackDir);
    }
  });
});
