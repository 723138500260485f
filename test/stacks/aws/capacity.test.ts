import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isCapacityFailure, nextCapacityAttempt, workersShortMessage } from "../../../stacks/aws/capacity.ts";

const spotAttempt = { spot: true, subnetIndex: 0 };
const options = { spotFallback: true, subnetCount: 3 };
const fleetShort = `Error: Resource postcondition failed\n  with aws_ec2_fleet.workers_fleet_A838137A,\n${workersShortMessage}`;
const masterShort =
  "Error: creating EC2 Instance: InsufficientInstanceCapacity: We currently do not have sufficient m5.xlarge capacity in the Availability Zone you requested\n  with aws_instance.master_instance_07279F4D,";

describe("nextCapacityAttempt", () => {
  it("moves the whole cluster to the next subnet's AZ when the fleet came back short, on the same market", () => {
    assert.deepEqual(nextCapacityAttempt(spotAttempt, fleetShort, options), { spot: true, subnetIndex: 1 });
    assert.deepEqual(nextCapacityAttempt({ spot: false, subnetIndex: 1 }, fleetShort, options), {
      spot: false,
      subnetIndex: 2,
    });
  });

  it("recognises EC2 Fleet's own all-or-nothing refusal as short workers", () => {
    const unfulfillable =
      "Error: creating EC2 Fleet: UnfulfillableCapacity: Unable to fulfill capacity due to your request configuration (MinTargetCapacity)";
    assert.deepEqual(nextCapacityAttempt(spotAttempt, unfulfillable, options), { spot: true, subnetIndex: 1 });
  });

  it("falls back from spot to on-demand, from the first AZ again, once spot was short in every AZ", () => {
    assert.deepEqual(nextCapacityAttempt({ spot: true, subnetIndex: 2 }, fleetShort, options), {
      spot: false,
      subnetIndex: 0,
    });
  });

  it("gives up on short workers in the last AZ when spotFallback is off, or they already were on-demand", () => {
    const last = { spot: true, subnetIndex: 2 };
    assert.equal(nextCapacityAttempt(last, fleetShort, { ...options, spotFallback: false }), undefined);
    assert.equal(nextCapacityAttempt({ spot: false, subnetIndex: 2 }, fleetShort, options), undefined);
    assert.equal(
      nextCapacityAttempt(spotAttempt, fleetShort, { ...options, subnetCount: 1, spotFallback: false }),
      undefined,
    );
  });

  it("moves the whole cluster to the next AZ when the master's zone has no capacity, until none is left", () => {
    assert.deepEqual(nextCapacityAttempt(spotAttempt, masterShort, options), { spot: true, subnetIndex: 1 });
    assert.equal(nextCapacityAttempt({ spot: true, subnetIndex: 2 }, masterShort, options), undefined);
  });

  it("walks every AZ once, then on-demand: a sequence of short fleets never loops", () => {
    const seen: string[] = [];
    let attempt: { spot: boolean; subnetIndex: number } | undefined = spotAttempt;
    while (attempt !== undefined) {
      seen.push(`${attempt.spot ? "spot" : "on-demand"}@${attempt.subnetIndex}`);
      attempt = nextCapacityAttempt(attempt, fleetShort, options);
    }
    assert.deepEqual(seen, ["spot@0", "spot@1", "spot@2", "on-demand@0", "on-demand@1", "on-demand@2"]);
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

  it("does not count a quota as capacity: another AZ does not lift it", () => {
    assert.equal(isCapacityFailure("Error: creating EC2 Instance: VcpuLimitExceeded: ..."), false);
    assert.equal(isCapacityFailure("Error: MaxSpotInstanceCountExceeded: ..."), false);
  });

  it("does not retry failures that are not about capacity", () => {
    const denied =
      "Error: creating EC2 Fleet: UnauthorizedOperation: You are not authorized to perform this operation.";
    assert.equal(isCapacityFailure(denied), false);
    assert.equal(nextCapacityAttempt(spotAttempt, denied, options), undefined);
  });

  it("recognises EC2's capacity error codes", () => {
    for (const code of ["InsufficientInstanceCapacity", "SpotMaxPriceTooLow", "UnfulfillableCapacity"]) {
      assert.ok(isCapacityFailure(`Error: ${code}: ...`), code);
    }
  });
});
