// component: moto
// The master's address check before apply (src/targets/aws/master-address.ts): the pick over a
// lookup, and the EC2 lookup itself against a real EC2 API (moto_server on loopback).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateNetworkInterfaceCommand,
  type EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { createNetwork, type MotoServer, type Network, startMoto } from "../../../scripts/servers/moto.ts";
import { type AddressLookup, ec2AddressLookup, pickMasterAddress } from "../../../src/targets/aws/master-address.ts";
import { masterAddressIn, masterAddressSeed } from "../../../stacks/aws/master-address.ts";

const runId = "20261205-120000-wordcount-ab12";
const cidr = "10.42.0.0/20";
const pickOf = (attempt: number) => masterAddressIn(cidr, masterAddressSeed(runId, attempt));

function holding(held: readonly string[]): AddressLookup {
  return { subnetCidr: async () => cidr, held: async (_subnet, address) => held.includes(address) };
}

describe("pickMasterAddress", () => {
  it("keeps the run's first address when nothing holds it", async () => {
    const logged: string[] = [];
    const pick = await pickMasterAddress(holding([]), "subnet-1", runId, 0, (line) => logged.push(line));
    assert.deepEqual(pick, { attempt: 0, address: pickOf(0), skipped: [] });
    assert.deepEqual(logged, []);
  });

  it("passes over held addresses to the next attempt's, from where the run is", async () => {
    assert.deepEqual(await pickMasterAddress(holding([pickOf(0)]), "subnet-1", runId, 0, () => {}), {
      attempt: 1,
      address: pickOf(1),
      skipped: [pickOf(0)],
    });
    assert.deepEqual(await pickMasterAddress(holding([pickOf(1)]), "subnet-1", runId, 1, () => {}), {
      attempt: 2,
      address: pickOf(2),
      skipped: [pickOf(1)],
    });
  });

  it("ends at the last attempt even when it is held: apply then reports the address in use", async () => {
    const all = [0, 1, 2].map(pickOf);
    assert.deepEqual(await pickMasterAddress(holding(all), "subnet-1", runId, 0, () => {}), {
      attempt: 2,
      address: pickOf(2),
      skipped: [pickOf(0), pickOf(1)],
    });
  });
});

describe("ec2AddressLookup against moto", () => {
  let moto: MotoServer;
  let ec2: EC2Client;
  let network: Network;
  before(async () => {
    moto = await startMoto();
    ec2 = moto.client();
    network = await createNetwork(ec2);
  });
  after(async () => {
    ec2?.destroy();
    await moto?.stop();
  });

  it("reads the subnet's CIDR, and finds an address an interface or a terminated instance holds", async () => {
    const lookup = ec2AddressLookup(ec2);
    assert.equal(await lookup.subnetCidr(network.subnetId), "10.42.0.0/20");
    await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: network.subnetId, PrivateIpAddress: "10.42.3.7" }));
    const launched = await ec2.send(
      new RunInstancesCommand({
        ImageId: network.imageId,
        MinCount: 1,
        MaxCount: 1,
        SubnetId: network.subnetId,
        PrivateIpAddress: "10.42.5.9",
      }),
    );
    const instanceId = launched.Instances?.[0]?.InstanceId ?? "";
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    assert.equal(await lookup.held(network.subnetId, "10.42.3.7"), true, "an interface's address");
    assert.equal(await lookup.held(network.subnetId, "10.42.5.9"), true, "a terminated instance's address");
    assert.equal(await lookup.held(network.subnetId, "10.42.6.11"), false, "a free address");
  });

  it("a subnet EC2 does not know fails the pick into 'unchecked', with the API's error", async () => {
    const logged: string[] = [];
    const pick = await pickMasterAddress(ec2AddressLookup(ec2), "subnet-0000000000000dead", runId, 0, (line) =>
      logged.push(line),
    );
    assert.equal(pick, undefined);
    assert.match(
      logged.join("\n"),
      /could not check the master's private address in subnet-0000000000000dead before apply \(The subnet ID 'subnet-0000000000000dead' does not exist\): applying with it unchecked/,
    );
  });
});
