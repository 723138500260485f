// component: terraform
// The master's address in two places: terraform computes it from the subnet data source when it
// applies (stacks/aws/cluster/spark-master.ts), and the CLI computes it before apply to check it
// is free (stacks/aws/master-address.ts). The synthesized expression, evaluated by the real
// terraform for a range of subnets, must give what masterAddressIn gives.

import assert from "node:assert/strict";
import { it } from "node:test";
import { masterAddressIn, masterAddressSeed } from "../../../stacks/aws/master-address.ts";
import { clusterProps, evaluateWithTerraform, synthCluster } from "./helpers.ts";

const cidrs = ["10.42.0.0/20", "10.0.0.0/16", "172.31.16.0/20", "192.168.7.0/24", "10.9.8.16/28"];

it("terraform's address for the master is masterAddressIn's, for every subnet size and attempt", async () => {
  const outputs: Record<string, string> = {};
  const expected: Record<string, string> = {};
  for (const attempt of [0, 1, 2]) {
    const config = synthCluster({ masterAddressAttempt: attempt });
    const [, expression] =
      Object.entries(config.locals ?? {}).find(([name]) => name.startsWith("master_private_ip")) ?? [];
    const subnetData = Object.keys(config.data?.aws_subnet ?? {})[0];
    assert.ok(expression && subnetData, "the stack has the master's address local and its subnet data source");
    cidrs.forEach((cidr, index) => {
      const name = `a${attempt}_${index}`;
      outputs[name] = expression.replaceAll(`data.aws_subnet.${subnetData}.cidr_block`, `"${cidr}"`);
      expected[name] = masterAddressIn(cidr, masterAddressSeed(clusterProps().runId, attempt));
    });
  }
  assert.deepEqual(await evaluateWithTerraform(outputs), expected);
  // Different attempts give different addresses.
  assert.equal(new Set(Object.values(expected)).size, Object.keys(expected).length);
});
