import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { BurstError } from "../../src/errors.ts";
import { awsTerraformProvider } from "../../src/targets/aws/terraform-provider.ts";
import { heldLock, TerraformDriver } from "../../src/terraform/driver.ts";

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

/**
 * A stand-in terraform (a bash script) that records its arguments and environment, prints what
 * the test gives it for that command, and exits with the code given: the driver's real process
 * handling, without a real terraform (test/terraform/driver-lock.test.ts runs the real one).
 */
async function standIn(dir: string, behaviour: { stdout?: string; stderr?: string; code?: number }): Promise<string> {
  const binary = join(dir, "terraform-stand-in");
  await writeFile(join(dir, "stdout.txt"), behaviour.stdout ?? "");
  await writeFile(join(dir, "stderr.txt"), behaviour.stderr ?? "");
  await writeFile(
    binary,
    [
      "#!/usr/bin/env bash",
      `printf '%s\\n' "$@" > ${JSON.stringify(join(dir, "args.txt"))}`,
      `env > ${JSON.stringify(join(dir, "env.txt"))}`,
      `cat ${JSON.stringify(join(dir, "stdout.txt"))}`,
      `cat ${JSON.stringify(join(dir, "stderr.txt"))} >&2`,
      `exit ${behaviour.code ?? 0}`,
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  return binary;
}

describe("TerraformDriver running terraform", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "burst-driver-run-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const driverWith = (binary: string, options: { secrets?: string[]; logFile?: string } = {}) =>
    new TerraformDriver({
      binary,
      stackDir: dir,
      scratchDir: join(dir, "scratch"),
      installation: { provider: awsTerraformProvider, pluginCacheDir: join(dir, "plugins") },
      providerEnv: ["AWS_"],
      ...options,
    });
  const argsGiven = async () => (await readFile(join(dir, "args.txt"), "utf8")).trim().split("\n");
  const envGiven = async () =>
    Object.fromEntries(
      (await readFile(join(dir, "env.txt"), "utf8"))
        .trim()
        .split("\n")
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );

  test("runs each command non-interactively in the stack's folder; apply and destroy as JSON", async () => {
    const driver = driverWith(await standIn(dir, {}));
    await driver.init();
    assert.deepEqual(await argsGiven(), ["init", "-input=false", "-no-color", "-backend=true"]);
    await driver.plan({ destroy: true });
    assert.deepEqual(await argsGiven(), ["plan", "-input=false", "-no-color", "-destroy"]);
    await driver.apply(() => {});
    assert.deepEqual(await argsGiven(), ["apply", "-auto-approve", "-input=false", "-json"]);
    await driver.destroy(() => {});
    assert.deepEqual(await argsGiven(), ["destroy", "-auto-approve", "-input=false", "-json"]);
  });

  test("terraform gets its own and the provider's variables, never the CLI's other secrets", async () => {
    const saved = { ...process.env };
    process.env.GITHUB_TOKEN = "ghp_not-for-terraform";
    process.env.AWS_REGION = "eu-west-1";
    process.env.TF_LOG = "INFO";
    try {
      await driverWith(await standIn(dir, {})).init();
      const env = await envGiven();
      assert.equal(env.GITHUB_TOKEN, undefined);
      assert.equal(env.AWS_REGION, "eu-west-1");
      assert.equal(env.TF_LOG, "INFO");
      assert.equal(env.TF_IN_AUTOMATION, "1");
      assert.equal(env.TF_INPUT, "0");
      assert.equal(env.CHECKPOINT_DISABLE, "1");
      assert.equal(env.TF_PLUGIN_CACHE_DIR, process.env.TF_PLUGIN_CACHE_DIR ?? join(dir, "plugins"));
    } finally {
      for (const name of ["GITHUB_TOKEN", "AWS_REGION", "TF_LOG"]) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    }
  });

  test("apply reports terraform's events and logs every line to the run's terraform.log, secrets removed", async () => {
    const logFile = join(dir, "terraform.log");
    const binary = await standIn(dir, {
      stdout: [
        JSON.stringify({
          type: "apply_start",
          hook: { resource: { addr: "terraform_data.master" }, action: "create" },
        }),
        JSON.stringify({
          type: "provision_progress",
          hook: { resource: { addr: "terraform_data.master" }, output: "token=hunter2-secret" },
        }),
        JSON.stringify({
          type: "apply_complete",
          hook: { resource: { addr: "terraform_data.master" }, action: "create", elapsed_seconds: 3 },
        }),
        "",
      ].join("\n"),
    });
    const events: unknown[] = [];
    await driverWith(binary, { secrets: ["hunter2-secret"], logFile }).apply((event) => events.push(event));
    assert.deepEqual(events, [
      { type: "resource-start", address: "terraform_data.master", action: "create" },
      { type: "provisioner-output", address: "terraform_data.master", line: "token=***" },
      { type: "resource-done", address: "terraform_data.master", action: "create", seconds: 3 },
    ]);
    const log = await readFile(logFile, "utf8");
    assert.equal(log.trim().split("\n").length, 3);
    assert.doesNotMatch(log, /hunter2-secret/);
  });

  test("a failed apply says which resource failed and why, from terraform's error diagnostics", async () => {
    const binary = await standIn(dir, {
      code: 1,
      stdout: `${JSON.stringify({
        type: "diagnostic",
        diagnostic: {
          severity: "error",
          summary: "creating EC2 Instance",
          detail: "InsufficientInstanceCapacity",
          address: "aws_instance.master",
        },
      })}\n`,
    });
    const error = await driverWith(binary)
      .apply(() => {})
      .then(
        () => assert.fail("a failed apply must throw"),
        (caught: unknown) => caught as BurstError,
      );
    assert.equal(error.exitCode, 3);
    assert.equal(
      error.message,
      `${binary} apply failed in ${dir}:\naws_instance.master: creating EC2 Instance: InsufficientInstanceCapacity`,
    );
  });

  test("a registry that cannot be reached is named, with the mirror to use instead", async () => {
    const binary = await standIn(dir, {
      code: 1,
      stderr: "Error: Failed to query available provider packages\ncould not connect to registry.terraform.io\n",
    });
    await assert.rejects(driverWith(binary).init(), (error: BurstError) => {
      assert.equal(error.exitCode, 3);
      assert.match(
        error.message,
        /the provider registry \(registry\.terraform\.io\) is unreachable, so the AWS provider cannot be downloaded$/,
      );
      assert.equal(
        error.hint,
        "run where registry.terraform.io is reachable, or point burst at a provider mirror holding hashicorp/aws 5.100.0 with BURST_TF_PLUGIN_MIRROR (docs/aws.md)",
      );
      return true;
    });
  });

  test("a state lock held by another process is reported with who holds it and how to release it", async () => {
    const binary = await standIn(dir, {
      code: 1,
      stderr: [
        "Error: Error acquiring the state lock",
        "",
        "Lock Info:",
        "  ID:        4f1e0b5c-1111-2222-3333-444455556666",
        "  Path:      terraform.tfstate",
        "  Operation: OperationTypeApply",
        "  Who:       alice@laptop",
        "  Version:   1.9.8",
        "  Created:   2026-11-22 03:01:01.000000 +0000 UTC",
        "",
      ].join("\n"),
    });
    await assert.rejects(driverWith(binary).plan(), (error: BurstError) => {
      assert.equal(error.exitCode, 3);
      assert.equal(
        error.message,
        `${binary} plan failed: the state of ${dir} is locked by lock 4f1e0b5c-1111-2222-3333-444455556666, alice@laptop (OperationTypeApply) since 2026-11-22 03:01:01.000000 +0000 UTC`,
      );
      assert.equal(
        error.hint,
        `if that process is gone (a killed deploy or run), release the lock with: ${binary} -chdir=${dir} force-unlock -force 4f1e0b5c-1111-2222-3333-444455556666`,
      );
      return true;
    });
  });

  test("a terraform that is not installed is an infrastructure error saying what to install", async () => {
    await assert.rejects(driverWith(join(dir, "no-such-terraform")).init(), (error: BurstError) => {
      assert.equal(error.exitCode, 3);
      assert.equal(error.message, `could not run ${join(dir, "no-such-terraform")}`);
      assert.match(error.hint ?? "", /install terraform, or OpenTofu .* TERRAFORM_BINARY_NAME=tofu/);
      return true;
    });
  });

  test("outputs are the values of `terraform output -json`", async () => {
    const binary = await standIn(dir, {
      stdout: JSON.stringify({
        masterHost: { sensitive: false, type: "string", value: "127.0.0.1" },
        nodeIds: { sensitive: false, type: ["list", "string"], value: ["a", "b"] },
      }),
    });
    assert.deepEqual(await driverWith(binary).outputs(), { masterHost: "127.0.0.1", nodeIds: ["a", "b"] });
    assert.deepEqual(await argsGiven(), ["output", "-json", "-no-color"]);
  });
});

describe("heldLock", () => {
  test("is nothing for a failure that is not a lock", () => {
    assert.equal(heldLock("Error: Invalid reference\n  ID: not-a-lock"), undefined);
    assert.equal(heldLock("Error acquiring the state lock\n(no lock info)"), undefined);
  });

  test("names the lock even when terraform leaves out who took it", () => {
    assert.deepEqual(heldLock("Error: Error acquiring the state lock\n\nLock Info:\n  ID:        abc-123\n"), {
      id: "abc-123",
      describe: "lock abc-123",
    });
  });
});
