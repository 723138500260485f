// component: terraform
// TerraformDriver against the real terraform: a state lock another process holds is reported
// with who holds it and how to release it.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { BurstError } from "../../src/errors.ts";
import { ensureTerraform } from "../../src/terraform/binary.ts";
import { TerraformDriver } from "../../src/terraform/driver.ts";

describe("TerraformDriver: a state lock held by another process", () => {
  test("is reported with who holds it and the force-unlock command, with the real terraform and its lock", async () => {
    const terraform = await ensureTerraform(() => {});
    const dir = await mkdtemp(join(tmpdir(), "burst-driver-lock-"));
    const holding = new AbortController();
    const driver = () =>
      new TerraformDriver({
        binary: terraform.binary,
        stackDir: dir,
        scratchDir: dir,
        installation: { pluginCacheDir: join(dir, "plugins") },
        providerEnv: [],
      });
    try {
      // A deploy that holds the local state's lock while its one resource is being created.
      await writeFile(
        join(dir, "main.tf"),
        'resource "terraform_data" "slow" {\n  provisioner "local-exec" {\n    command = "sleep 60"\n  }\n}\n',
      );
      await driver().init();
      let started: () => void = () => {};
      const creating = new Promise<void>((resolve) => {
        started = resolve;
      });
      const holder = driver()
        .apply((event) => {
          if (event.type === "resource-start") started();
        }, holding.signal)
        .catch(() => undefined);
      await creating;
      const lockInfo = JSON.parse(await readFile(join(dir, ".terraform.tfstate.lock.info"), "utf8")) as { ID: string };

      const refused = await driver()
        .plan()
        .then(
          () => undefined,
          (error: unknown) => error as BurstError,
        );
      assert.ok(refused, "plan must fail while another process holds the lock");
      assert.equal(refused.exitCode, 3);
      assert.match(refused.message, new RegExp(`is locked by lock ${lockInfo.ID}, .*OperationTypeApply`));
      assert.equal(
        refused.hint,
        `if that process is gone (a killed deploy or run), release the lock with: ${terraform.binary} -chdir=${dir} force-unlock -force ${lockInfo.ID}`,
      );
      holding.abort();
      await holder;
    } finally {
      holding.abort();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
