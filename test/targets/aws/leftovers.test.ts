// Whether `burst gc` sweeps AWS at all, decided by the aws target from this machine's
// configuration: BURST_GC_AWS=0 turns it off; a region comes from BURST_AWS_REGION or AWS_REGION,
// or from the parameters (burst/aws/region) but only when AWS credentials are configured at all.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Params } from "../../../src/params/types.ts";
import { awsLeftovers } from "../../../src/targets/aws/sweeper.ts";
import { awsTarget } from "../../../src/targets/aws/target.ts";

async function open(env: Record<string, string>) {
  let paramsRead = 0;
  const params = async () => {
    paramsRead++;
    return { aws: { region: "eu-west-1" } } as Params;
  };
  const session = await awsLeftovers().open({ env, params });
  if (!("notSwept" in session)) session.close();
  return { swept: !("notSwept" in session), why: "notSwept" in session ? session.notSwept : undefined, paramsRead };
}

describe("the aws target's leftovers", () => {
  test("the registered aws target offers them", () => {
    assert.ok(awsTarget.leftovers);
  });

  test("no region and no credentials: not swept, and the parameters are not read", async () => {
    assert.deepEqual(await open({}), { swept: false, why: "no AWS region configured", paramsRead: 0 });
  });

  test("BURST_GC_AWS=0 turns the sweep off, whatever else is configured", async () => {
    assert.deepEqual(await open({ BURST_GC_AWS: "0", AWS_REGION: "us-east-1", AWS_PROFILE: "x" }), {
      swept: false,
      why: "no AWS region configured",
      paramsRead: 0,
    });
  });

  for (const variable of ["BURST_AWS_REGION", "AWS_REGION"]) {
    test(`${variable} alone opens a sweep, without reading the parameters`, async () => {
      assert.deepEqual(await open({ [variable]: "us-east-1" }), { swept: true, why: undefined, paramsRead: 0 });
    });
  }

  for (const variable of ["AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL"]) {
    test(`with ${variable} but no region variable, the region comes from the parameters`, async () => {
      assert.deepEqual(await open({ [variable]: "x" }), { swept: true, why: undefined, paramsRead: 1 });
    });
  }
});
