// component: terraform
// The master's address in two places: terraform computes it from the subnet data source when it
// applies (stacks/aws/cluster/spark-master.ts), and the CLI computes it before apply to check it
// is free (stacks/aws/master-address.ts). The synthesized expression, evaluated by the real
// terraform for a range of subnets, must give what masterAddressIn gives.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import { ensureTerraform } from "../../../src/terraform/binary.ts";
import { masterAddressIn, masterAddressSeed } from "../../../stacks/aws/master-address.ts";
import { clusterProps, synthCluster } from "./helpers.ts";

const cidrs = ["10.42.0.0/20", "10.0.0.0/16", "172.31.16.0/20", "192.168.7.0/24", "10.9.8.16/28"];

it("terraform's address for the master is masterAddressIn's, for every subnet size and attempt", async () => {
  const outputs: Record<string, { value: string }> = {};
  const expected: Record<string, string> = {};
  for (const attempt of [0, 1, 2]) {
    const config = synthCluster({ masterAddressAttempt: attempt });
    const [, expression] =
      Object.entries(config.locals ?? {}).find(([name]) => name.startsWith("master_private_ip")) ?? [];
    const subnetData = Object.keys(config.data?.aws_subnet ?? {})[0];
    assert.ok(expression && subnetData, "the stack has the master's address local and its subnet data source");
    cidrs.forEach((cidr, index) => {
      const name = `a${attempt}_${index}`;
      outputs[name] = { value: expression.replaceAll(`data.aws_subnet.${subnetData}.cidr_block`, `"${cidr}"`) };
      expected[name] = masterAddressIn(cidr, masterAddressSeed(clusterProps().runId, attempt));
    });
  }
  const terraform = (await ensureTerraform(() => {})).binary;
  const dir = mkdtempSync(join(tmpdir(), "burst-master-address-"));
  try {
    writeFileSync(join(dir, "main.tf.json"), JSON.stringify({ output: outputs }));
    const env = { ...process.env, TF_CLI_CONFIG_FILE: "", CHECKPOINT_DISABLE: "1" };
    execFileSync(terraform, ["init", "-input=false"], { cwd: dir, env, stdio: "pipe" });
    execFileSync(terraform, ["apply", "-auto-approve", "-input=false"], { cwd: dir, env, stdio: "pipe" });
    const evaluated = JSON.parse(execFileSync(terraform, ["output", "-json"], { cwd: dir, env, encoding: "utf8" }));
    const actual = Object.fromEntries(
      Object.entries(evaluated).map(([name, output]) => [name, (output as { value: string }).value]),
    );
    assert.deepEqual(actual, expected);
    // Different attempts give different addresses.
    assert.equal(new Set(Object.values(expected)).size, Object.keys(expected).length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
