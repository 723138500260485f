// Before apply, the CLI computes the master's private address (stacks/aws/master-address.ts) and
// looks it up in its subnet: an address another interface or instance holds moves the run to its
// next attempt's address, as RunInstances' InvalidIPAddress.InUse would, but without a failed
// apply (moto answers that case with a bare HTTP 500 the provider retries for many minutes).
// Terminated instances count as holding theirs: a spare address costs nothing.

import {
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  type EC2Client,
} from "@aws-sdk/client-ec2";
import { masterAddressIn, masterAddressSeed, maxAddressAttempts } from "../../../stacks/aws/master-address.ts";
import { describeError } from "../../errors.ts";

/** What the pick needs to know about a subnet. */
export interface AddressLookup {
  subnetCidr(subnetId: string): Promise<string>;
  /** Whether any network interface or instance (any state) in the subnet has this private address. */
  held(subnetId: string, address: string): Promise<boolean>;
}

export interface MasterAddressPick {
  readonly attempt: number;
  readonly address: string;
  /** Addresses passed over because something held them, in order. */
  readonly skipped: readonly string[];
}

/**
 * The first attempt from `from` whose address nothing holds; the last attempt when all are held
 * (apply then meets InvalidIPAddress.InUse and says so). Undefined when the lookup itself fails:
 * the caller applies with the attempt it had, unchecked.
 */
export async function pickMasterAddress(
  lookup: AddressLookup,
  subnetId: string,
  runId: string,
  from: number,
  log: (message: string) => void,
): Promise<MasterAddressPick | undefined> {
  try {
    const cidr = await lookup.subnetCidr(subnetId);
    const skipped: string[] = [];
    for (let attempt = from; attempt < maxAddressAttempts; attempt++) {
      const address = masterAddressIn(cidr, masterAddressSeed(runId, attempt));
      const last = attempt === maxAddressAttempts - 1;
      if (last || !(await lookup.held(subnetId, address))) return { attempt, address, skipped };
      skipped.push(address);
    }
    return undefined;
  } catch (error) {
    log(
      `could not check the master's private address in ${subnetId} before apply (${describeError(error)}): applying with it unchecked`,
    );
    return undefined;
  }
}

/** The lookup through the EC2 API (ec2:DescribeSubnets, DescribeNetworkInterfaces, DescribeInstances). */
export function ec2AddressLookup(client: EC2Client): AddressLookup {
  return {
    async subnetCidr(subnetId) {
      const answer = await client.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }));
      const cidr = answer.Subnets?.[0]?.CidrBlock;
      if (!cidr) throw new Error(`EC2 reports no CIDR block for ${subnetId}`);
      return cidr;
    },
    async held(subnetId, address) {
      const [interfaces, instances] = await Promise.all([
        client.send(
          new DescribeNetworkInterfacesCommand({
            Filters: [
              { Name: "subnet-id", Values: [subnetId] },
              { Name: "addresses.private-ip-address", Values: [address] },
            ],
          }),
        ),
        client.send(
          new DescribeInstancesCommand({
            Filters: [
              { Name: "subnet-id", Values: [subnetId] },
              { Name: "private-ip-address", Values: [address] },
            ],
          }),
        ),
      ]);
      const instanceCount = (instances.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []).length;
      return (interfaces.NetworkInterfaces ?? []).length > 0 || instanceCount > 0;
    },
  };
}
