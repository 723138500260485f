// component: scripts/vpc.ts as its own process (synthesizes the VPC stack with cdktf)
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const workDir = mkdtempSync(join(tmpdir(), "burst-vpc-script-"));
after(() => rmSync(workDir, { recursive: true, force: true }));

/** `npm run vpc -- <args>` from a scratch folder, with the repository's config. */
function vpc(args: string[], env: Record<string, string> = {}) {
  return spawnSync(
    process.execPath,
    ["--import", import.meta.resolve("tsx"), join(root, "scripts/vpc.ts"), ...args, "--config", join(root, "config")],
    {
      cwd: workDir,
      env: { ...process.env, ...env },
      encoding: "utf8",
    },
  );
}

// These cases are about terraform and the provider, not the state: a local state file keeps them
// from looking for the account's state bucket (which needs AWS credentials).
const localState = ["--local-state", join(workDir, "state")];

/** A stand-in terraform that fails `init` the way terraform does without access to the registry. */
function offlineTerraform(): string {
  const file = join(workDir, "terraform-offline");
  writeFileSync(
    file,
    [
      "#!/bin/sh",
      'if [ "$1" = version ]; then echo "Terraform v1.11.4"; exit 0; fi',
      'if [ "$1" = init ]; then',
      "  echo 'Error: Failed to query available provider packages' >&2",
      "  echo 'could not connect to registry.terraform.io: failed to request discovery document' >&2",
      "  exit 1",
      "fi",
      "exit 0",
    ].join("\n"),
  );
  chmodSync(file, 0o755);
  return file;
}

describe("npm run vpc", () => {
  it("synth writes the stack folder and says where", () => {
    const result = vpc(["synth"]);
    assert.equal(result.status, 0, result.stderr);
    const stackDir = join(workDir, "cdktf.out", "stacks", "vpc");
    assert.match(result.stdout, new RegExp(`synthesized into ${stackDir}`));
    assert.ok(existsSync(join(stackDir, "cdk.tf.json")));
  });

  for (const command of ["plan", "deploy", "destroy", "outputs"]) {
    it(`${command} exits 3 naming the unreachable provider registry, without a stack trace`, () => {
      const result = vpc([command, ...localState], { TERRAFORM_BINARY_NAME: offlineTerraform() });
      assert.equal(result.status, 3);
      assert.match(result.stderr, /provider registry \(registry\.terraform\.io\) is unreachable/);
      assert.match(result.stderr, /hint: .*BURST_TF_PLUGIN_MIRROR/);
      assert.doesNotMatch(result.stderr, /\n\s+at /);
    });
  }

  it("exits 3 with a hint when terraform is not installed", () => {
    const result = vpc(["plan", ...localState], { TERRAFORM_BINARY_NAME: "no-such-terraform" });
    assert.equal(result.status, 3);
    assert.match(result.stderr, /TERRAFORM_BINARY_NAME=no-such-terraform is not on PATH[\s\S]*hint:/);
  });

  it("exits 2 naming BURST_TF_PLUGIN_MIRROR when it does not hold the pinned provider", () => {
    const result = vpc(["plan", ...localState], { BURST_TF_PLUGIN_MIRROR: workDir });
    assert.equal(result.status, 2);
    assert.match(
      result.stderr,
      /BURST_TF_PLUGIN_MIRROR=.* does not hold registry\.terraform\.io\/hashicorp\/aws 5\.100\.0/,
    );
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });

  it("stage refuses (exit 2), before terraform runs, a Spark version or an architecture it has no files for", () => {
    // Nothing to pin by hand: every file's digest ships in stacks/aws/artifacts/ (PyPI's, Maven's).
    const arch = vpc(["stage", "--arch", "riscv64"], { TERRAFORM_BINARY_NAME: "no-such-terraform" });
    assert.equal(arch.status, 2, arch.stderr);
    assert.match(arch.stderr, /--arch riscv64 is not an architecture burst has wheels for/);
    const unknown = vpc(["stage", "--spark", "9.9.9"], { TERRAFORM_BINARY_NAME: "no-such-terraform" });
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /--spark 9\.9\.9 is not a Spark version burst supports/);
  });

  it("image: refuses an unknown Spark version, architecture or a type of the other architecture with exit 2, before any AWS call", () => {
    // No credentials and an endpoint nothing listens on: a call to AWS would fail with exit 3, not 2.
    const offline = { AWS_ENDPOINT_URL: "http://127.0.0.1:9", AWS_ACCESS_KEY_ID: "", CONSUL_HTTP_ADDR: "" };
    const spark = vpc(["image", "--spark", "9.9.9"], offline);
    assert.equal(spark.status, 2, spark.stderr);
    assert.match(spark.stderr, /--spark 9\.9\.9 is not a Spark version burst supports/);
    const arch = vpc(["image", "--arch", "riscv64"], offline);
    assert.equal(arch.status, 2, arch.stderr);
    assert.match(arch.stderr, /--arch riscv64 is not an architecture burst bakes for/);
    const type = vpc(["image", "--arch", "arm64", "--instance-type", "m5.large"], offline);
    assert.equal(type.status, 2, type.stderr);
    assert.match(type.stderr, /--instance-type m5\.large is not an arm64 type/);
  });

  it("prints usage and exits 2 on an unknown command", () => {
    const result = vpc(["launch"]);
    assert.equal(result.status, 2);
    assert.match(result.stdout, /Usage: npm run vpc/);
  });
});
