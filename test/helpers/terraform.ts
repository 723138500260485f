// terraform with the real hashicorp/aws provider, for tests that validate or apply AWS stacks.
// The provider comes from a local filesystem mirror (this machine's image carries one; setup
// records it): the tests have no registry to download it from, so a missing mirror fails and says
// how to get one. Never skipped.

import { cacheRoot } from "../../src/home.ts";
import { awsProviderEnv, awsTerraformProvider } from "../../src/targets/aws/terraform-provider.ts";
import { ensureTerraform } from "../../src/terraform/binary.ts";
import { TerraformDriver } from "../../src/terraform/driver.ts";
import { type ProviderInstallation, providerInstallation } from "../../src/terraform/provider-installation.ts";

/** The mirror burst would use; throws with directions when there is none. */
export function realProviderInstallation(): ProviderInstallation {
  const installation = providerInstallation(process.env, cacheRoot(), awsTerraformProvider);
  if (!installation.mirror) {
    throw new Error(
      `no local mirror of hashicorp/aws ${awsTerraformProvider.version}: these tests apply the real provider offline. ` +
        "Run `bash scripts/setup.sh` (it finds a mirror such as /opt/tf-plugins and records it), or set " +
        `BURST_TF_PLUGIN_MIRROR to a folder holding registry.terraform.io/hashicorp/aws/${awsTerraformProvider.version}/<os_arch>/ ` +
        "(e.g. made with `terraform providers mirror` where the registry is reachable).",
    );
  }
  return installation;
}

/** A driver on `stackDir` exactly as burst builds one, with the real provider from the mirror. */
export async function realProviderDriver(stackDir: string, scratchDir: string): Promise<TerraformDriver> {
  const terraform = await ensureTerraform(() => {});
  return new TerraformDriver({
    binary: terraform.binary,
    stackDir,
    scratchDir,
    installation: realProviderInstallation(),
    providerEnv: awsProviderEnv,
  });
}
