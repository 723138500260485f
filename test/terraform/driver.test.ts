import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { TerraformDriver } from "../../src/terraform/driver.ts";

describe("TerraformDriver.resourceCount", () => {
  const driverFor = (stackDir: string) =>
    new TerraformDriver({
      binary: "terraform-is-never-started-here",
      stackDir,
      scratchDir: stackDir,
      installation: { pluginCacheDir: stackDir },
      providerEnv: [],
    });

  test("counts every resource instance in the stack's state, as `terraform state list` lists them", async () => {
    const dir = await mkdtemp(join(tmpdir(), "burst-driver-"));
    try {
      await writeFile(
        join(dir, "terraform.tfstate"),
        JSON.stringify({
          version: 4,
          resources: [
            { mode: "managed", type: "terraform_data", name: "master", instances: [{}] },
            {
              mode: "managed",
              type: "terraform_data",
              name: "worker",
              instances: [{ index_key: 0 }, { index_key: 1 }],
            },
          ],
        }),
      );
      assert.equal(await driverFor(dir).resourceCount(), 3);
      await writeFile(join(dir, "terraform.tfstate"), JSON.stringify({ version: 4, resources: [] }));
      assert.equal(await driverFor(dir).resourceCount(), 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("is 0 when no state was ever written", async () => {
    const dir = await mkdtemp(join(tmpdir(), "burst-driver-"));
    try {
      assert.equal(await driverFor(dir).resourceCount(), 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
