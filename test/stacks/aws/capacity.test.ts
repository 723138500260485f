import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isCapacityFailure, nextCapacityAttempt, workersShortMessage } from "../../../stacks/aws/capacity.ts";

const spotAttempt = { spot: true, masterSubnetIndex: 0 };
const options = { spotFallback: true, subnetCount: 3 };
const fleetShort = `Error: Resource postcondition failed\n  with aws_ec2_fleet.workers_fleet_A838137A,\n${workersShortMessage}`;
const masterShort =
  "Error: creating EC2 Instance: InsufficientInstanceCapacity: We currently do not have sufficient m5.xlarge capacity in the Availability Zone you requested\n  with aws_instance.master_instance_07279F4D,";

describe("nextCapacityAttempt", () => {
  it("falls back from spot to on-demand workers when the fleet came back short and the spec allows it", () => {
    assert.deepEqual(nextCapacityAttempt(spotAttempt, fleetShort, options), { spot: false, masterSubnetIndex: 0 });
  });

  it("gives up on short workers when spotFallback is off, or they already were on-demand", () => {
    assert.equal(nextCapacityAttempt(spotAttempt, fleetShort, { ...options, spotFallback: false }), undefined);
    assert.equal(nextCapacityAttempt({ spot: false, masterSubnetIndex: 0 }, fleetShort, options), undefined);
  });

  it("moves the master to the next subnet (AZ) when its zone has no capacity, until none is left", () => {
    assert.deepEqual(nextCapacityAttempt(spotAttempt, masterShort, options), { spot: true, masterSubnetIndex: 1 });
    assert.equal(nextCapacityAttempt({ spot: true, masterSubnetIndex: 2 }, masterShort, options), undefined);
  });

  it("gives the master another private address when its first pick is taken, twice at most", () => {
    const inUse =
      "Error: creating EC2 Instance: operation error EC2: RunInstances, api error InvalidIPAddress.InUse: Address 10.42.3.17 is in use.";
    assert.deepEqual(nextCapacityAttempt(spotAttempt, inUse, options), { ...spotAttempt, masterAddressAttempt: 1 });
    assert.deepEqual(nextCapacityAttempt({ ...spotAttempt, masterAddressAttempt: 1 }, inUse, options), {
      ...spotAttempt,
      masterAddressAttempt: 2,
    });
    assert.equal(nextCapacityAttempt({ ...spotAttempt, masterAddressAttempt: 2 }, inUse, options), undefined);
  });

  it("does not retry failures that are not about capacity", () => {
    const denied =
      "Error: creating EC2 Fleet: UnauthorizedOperation: You are not authorized to perform this operation.";
    assert.equal(isCapacityFailure(denied), false);
    assert.equal(nextCapacityAttempt(spotAttempt, denied, options), undefined);
  });

  it("recognises EC2's capacity error codes", () => {
    for (const code of [
      "InsufficientInstanceCapacity",
      "MaxSpotInstanceCountExceeded",
      "SpotMaxPriceTooLow",
      "UnfulfillableCapacity",
    ]) {
      assert.ok(isCapacityFailure(`Error: ${code}: ...`), code);
    }
  });
});
