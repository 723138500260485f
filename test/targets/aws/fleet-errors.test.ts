import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { EC2Client } from "@aws-sdk/client-ec2";
import {
  classifyFailure,
  decideAfterFailure,
  describeFleetErrors,
  type FleetError,
  fleetIdInState,
  readFleetFailure,
} from "../../../src/targets/aws/fleet-errors.ts";
import { workersShortMessage } from "../../../stacks/aws/capacity.ts";
import { recordedHandler } from "../../helpers/recorded-aws.ts";

/** DescribeFleets' answer for an instant fleet that launched nothing, in EC2's wire format (moto returns no errorSet). */
function describeFleetsAnswer(errors: readonly { code: string; message: string }[]): string {
  const items = errors
    .map(
      (error) => `<item>
        <launchTemplateAndOverrides>
          <launchTemplateSpecification><launchTemplateId>lt-0abc</launchTemplateId><version>1</version></launchTemplateSpecification>
          <overrides><instanceType>m5.2xlarge</instanceType><subnetId>subnet-0a</subnetId><availabilityZone>eu-west-1a</availabilityZone></overrides>
        </launchTemplateAndOverrides>
        <lifecycle>spot</lifecycle>
        <errorCode>${error.code}</errorCode>
        <errorMessage>${error.message}</errorMessage>
      </item>`,
    )
    .join("");
  return `<?xml version="1.0" encoding="UTF-8"?>
<DescribeFleetsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>8b4b7d1c-0000-0000-0000-000000000000</requestId>
  <fleetSet><item>
    <fleetId>fleet-0123</fleetId><type>instant</type><fleetState>active</fleetState>
    <errorSet>${items}</errorSet>
    <fleetInstanceSet/>
  </item></fleetSet>
</DescribeFleetsResponse>`;
}

const short = `Error: Resource postcondition failed\n\n${workersShortMessage}`;
const spot = { spot: true, subnetIndex: 0 };
const error = (code: string, message = "..."): FleetError => ({ code, message, instanceType: "m5.2xlarge" });

describe("a short fleet's errors, read from DescribeFleets", () => {
  it("reads each launch error's code, message, type and AZ from EC2's answer", async () => {
    const recorded = recordedHandler(() => ({
      body: describeFleetsAnswer([
        {
          code: "InsufficientInstanceCapacity",
          message: "There is no Spot capacity available that matches your request.",
        },
      ]),
    }));
    const ec2 = new EC2Client({
      region: "eu-west-1",
      credentials: { accessKeyId: "a", secretAccessKey: "b" },
      requestHandler: recorded.handler,
    });
    try {
      assert.deepEqual(await describeFleetErrors(ec2, "fleet-0123"), [
        {
          code: "InsufficientInstanceCapacity",
          message: "There is no Spot capacity available that matches your request.",
          instanceType: "m5.2xlarge",
          availabilityZone: "eu-west-1a",
          subnetId: "subnet-0a",
        },
      ]);
      assert.deepEqual(recorded.asked, ["DescribeFleets"]);
    } finally {
      ec2.destroy();
    }
  });

  it("finds the fleet's id in the run's state, and none where no fleet was recorded", async () => {
    const dir = await mkdtemp(join(tmpdir(), "burst-fleet-state-"));
    try {
      assert.equal(await fleetIdInState(dir), undefined, "no state file");
      const state = {
        version: 4,
        resources: [
          { mode: "managed", type: "aws_instance", instances: [{ attributes: { id: "i-1" } }] },
          { mode: "managed", type: "aws_ec2_fleet", instances: [{ attributes: { id: "fleet-0123" } }] },
        ],
      };
      await writeFile(join(dir, "terraform.tfstate"), JSON.stringify(state));
      assert.equal(await fleetIdInState(dir), "fleet-0123");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("what a failed apply means", () => {
  it("sorts EC2's codes into capacity, quota, permission and unsupported", () => {
    assert.equal(classifyFailure(["InsufficientInstanceCapacity"]), "capacity");
    assert.equal(classifyFailure(["VcpuLimitExceeded"]), "quota");
    assert.equal(classifyFailure(["MaxSpotInstanceCountExceeded"]), "quota");
    assert.equal(classifyFailure(["UnauthorizedOperation"]), "permission");
    assert.equal(classifyFailure(["Unsupported"]), "unsupported");
    assert.equal(classifyFailure(["InvalidParameterValue"]), "unsupported");
    assert.equal(classifyFailure(["SomethingNew"]), "other");
    assert.equal(
      classifyFailure(["InsufficientInstanceCapacity", "VcpuLimitExceeded"]),
      "quota",
      "a quota explains more",
    );
  });

  it("moves on to another AZ when the fleet was short of capacity, saying what EC2 said", () => {
    const decision = decideAfterFailure(spot, short, [error("InsufficientInstanceCapacity", "no spot capacity")], true);
    assert.equal(decision.action, "elsewhere");
    assert.equal(
      decision.action === "elsewhere" ? decision.reading?.summary : "",
      "InsufficientInstanceCapacity (m5.2xlarge): no spot capacity",
    );
  });

  it("moves on as before when EC2 left no errors to read (moto, or a read that failed)", () => {
    assert.deepEqual(decideAfterFailure(spot, short, [], true), { action: "elsewhere", reading: undefined });
  });

  it("turns spot workers over their quota into on-demand workers in the same AZ, when the spec allows it", () => {
    const decision = decideAfterFailure(spot, short, [error("MaxSpotInstanceCountExceeded")], true);
    assert.equal(decision.action, "retry");
    assert.deepEqual(decision.action === "retry" ? decision.attempt : undefined, { spot: false, subnetIndex: 0 });
  });

  it("stops on a quota that no AZ lifts, naming the quota to raise", () => {
    for (const [attempt, fallback] of [
      [{ spot: false, subnetIndex: 0 }, true],
      [spot, false],
    ] as const) {
      const decision = decideAfterFailure(
        attempt,
        short,
        [error("VcpuLimitExceeded", "You have requested more vCPU capacity")],
        fallback,
      );
      assert.equal(decision.action, "stop");
      if (decision.action !== "stop") continue;
      assert.match(
        decision.message,
        /the worker fleet launched no workers: EC2 said VcpuLimitExceeded \(m5\.2xlarge\): You have requested/,
      );
      assert.match(decision.hint ?? "", /L-1216C47A.*L-34B43A08/);
    }
  });

  it("stops on a missing permission, pointing at docs/iam-policy.json", () => {
    const decision = decideAfterFailure(spot, short, [error("UnauthorizedOperation", "You are not authorized")], true);
    assert.equal(decision.action, "stop");
    assert.match(decision.action === "stop" ? (decision.hint ?? "") : "", /docs\/iam-policy\.json/);
  });

  it("stops on a type the AZ does not offer: Unsupported is not capacity", () => {
    const decision = decideAfterFailure(
      spot,
      short,
      [error("Unsupported", "not supported in your requested AZ")],
      true,
    );
    assert.equal(decision.action, "stop");
    assert.match(decision.action === "stop" ? (decision.hint ?? "") : "", /describe-instance-type-offerings/);
  });

  it("reads the master's failure from terraform's text: a quota stops, capacity moves on", () => {
    const quota =
      "creating EC2 Instance: operation error EC2: RunInstances, https response error StatusCode: 400, api error VcpuLimitExceeded: You have requested more vCPU capacity than your current vCPU limit";
    const decision = decideAfterFailure(spot, quota, [], true);
    assert.equal(decision.action, "stop");
    assert.match(
      decision.action === "stop" ? decision.message : "",
      /^the master could not launch: EC2 said .*VcpuLimitExceeded/,
    );
    const capacity = "creating EC2 Instance: api error InsufficientInstanceCapacity: We currently do not have";
    assert.equal(decideAfterFailure(spot, capacity, [], true).action, "elsewhere");
    assert.equal(decideAfterFailure(spot, "InvalidIPAddress.InUse", [], true).action, "elsewhere");
  });

  it("says each distinct error once", () => {
    const reading = readFleetFailure([
      error("InsufficientInstanceCapacity", "x"),
      error("InsufficientInstanceCapacity", "x"),
    ]);
    assert.equal(reading?.summary, "InsufficientInstanceCapacity (m5.2xlarge): x");
  });
});
