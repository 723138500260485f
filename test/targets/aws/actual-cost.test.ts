// component: moto
// The real cost of an aws run, from EC2's own answers (moto_server on loopback): the run's
// instances found by their burst:run-id tag, each priced from its launch time to its termination
// time (StateTransitionReason), on-demand from the price table, spot from DescribeSpotPriceHistory.

import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import {
  DescribeInstancesCommand,
  type EC2Client,
  RunInstancesCommand,
  type RunInstancesCommandInput,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { createNetwork, type MotoServer, motoRegion, type Network, startMoto } from "../../../scripts/servers/moto.ts";
import { awsActualCost, terminatedAt } from "../../../src/targets/aws/actual-cost.ts";
import { onDemandPerHourUsd, publicIpv4PerHourUsd } from "../../../src/targets/aws/prices.ts";
import { tagKeys } from "../../../stacks/aws/tags.ts";

let moto: MotoServer;
let ec2: EC2Client;
let network: Network;
before(async () => {
  moto = await startMoto();
  ec2 = moto.client();
});
after(async () => {
  ec2?.destroy();
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  network = await createNetwork(ec2);
});

async function launch(
  runId: string,
  instanceType: string,
  extra: Partial<RunInstancesCommandInput> = {},
): Promise<string> {
  const answer = await ec2.send(
    new RunInstancesCommand({
      ImageId: network.imageId,
      SubnetId: network.subnetId,
      MinCount: 1,
      MaxCount: 1,
      InstanceType: instanceType as never,
      TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: tagKeys.runId, Value: runId }] }],
      ...extra,
    }),
  );
  return answer.Instances?.[0]?.InstanceId ?? "";
}

const request = (runId: string, clusterEndedAt: Date) => ({
  runId,
  clusterStartedAt: new Date(Date.now() - 120_000),
  clusterEndedAt,
  env: {},
  availabilityZone: `${motoRegion}a`,
});

describe("the actual cost of an aws run (moto)", () => {
  test("each terminated instance is priced from LaunchTime to its termination: on-demand from the table, spot from the price history", async () => {
    const master = await launch("run-a", "m5.xlarge");
    const worker = await launch("run-a", "m5.xlarge", { InstanceMarketOptions: { MarketType: "spot" } });
    const other = await launch("run-b", "m5.xlarge");
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [master, worker] }));

    const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [master] }));
    const instance = described.Reservations?.[0]?.Instances?.[0];
    assert.ok(instance?.LaunchTime, "moto answers a LaunchTime");
    assert.match(instance.StateTransitionReason ?? "", /^User initiated \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)$/);
    const terminated = terminatedAt(instance);
    assert.ok(terminated, "the termination time is read from StateTransitionReason");

    // Destroy "ended" an hour later: the instances' own termination times count, not that.
    const cost = await awsActualCost(request("run-a", new Date(Date.now() + 3_600_000)), { client: ec2 });
    assert.deepEqual(
      cost.nodes.map((node) => [node.id, node.lifecycle, node.instanceType]).sort(),
      [
        [master, "on-demand", "m5.xlarge"],
        [worker, "spot", "m5.xlarge"],
      ].sort(),
      "the run's two instances, not run-b's",
    );
    assert.ok(!cost.nodes.some((node) => node.id === other));
    const masterCost = cost.nodes.find((node) => node.id === master);
    const workerCost = cost.nodes.find((node) => node.id === worker);
    // Launched and terminated within seconds: EC2 bills the one-minute minimum.
    assert.equal(masterCost?.hours, 60 / 3600);
    assert.equal(masterCost?.endedAt, terminated.toISOString());
    const onDemand = onDemandPerHourUsd("m5.xlarge", "eu-west-1") ?? Number.NaN;
    assert.ok(Math.abs((masterCost?.usd ?? 0) - (onDemand + publicIpv4PerHourUsd) / 60) < 1e-12);
    // moto's spot price history answers $0.00001 for every type and AZ.
    assert.ok(Math.abs((workerCost?.usd ?? 0) - (0.00001 + publicIpv4PerHourUsd) / 60) < 1e-12);
    assert.ok(Math.abs(cost.totalUsd - (masterCost?.usd ?? 0) - (workerCost?.usd ?? 0)) < 1e-12);
    assert.deepEqual(cost.unpriced, []);
    assert.ok(cost.priceSources.some((source) => /spot price history/.test(source)));
    assert.ok(cost.priceSources.some((source) => /price table/.test(source)));
  });

  test("an instance EC2 does not report terminated is priced until destroy ended", async () => {
    const master = await launch("run-c", "m5.large");
    const ended = new Date(Date.now() + 2 * 3_600_000);
    const cost = await awsActualCost(request("run-c", ended), { client: ec2 });
    const [node] = cost.nodes;
    assert.equal(node?.id, master);
    assert.equal(node?.endedAt, ended.toISOString());
    assert.ok(node && node.hours > 1.99 && node.hours < 2.01, `about 2 hours, found ${node?.hours}`);
  });

  test("an instance type the price table lacks is named as unpriced: the total is a lower bound", async () => {
    const odd = await launch("run-d", "t2.micro");
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [odd] }));
    const cost = await awsActualCost(request("run-d", new Date()), { client: ec2 });
    assert.deepEqual(cost.unpriced, [`${odd} (t2.micro)`]);
    assert.equal(cost.nodes[0]?.perHourUsd, undefined);
  });

  test("a run with no instances left in EC2's answers costs nothing and says so by listing no node", async () => {
    const cost = await awsActualCost(request("run-none", new Date()), { client: ec2 });
    assert.deepEqual(cost, { totalUsd: 0, nodes: [], priceSources: [], unpriced: [] });
  });
});
