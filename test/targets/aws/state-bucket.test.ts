// component: moto
// The VPC's own state bucket against a real S3 API (moto_server on loopback): made versioned,
// encrypted and private, and found again by its name's prefix, never another VPC's or region's.

import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
} from "@aws-sdk/client-s3";
import { type MotoServer, motoRegion, startMoto } from "../../../scripts/servers/moto.ts";
import { createStateBucket, findStateBucket, stateBucketPrefix } from "../../../src/targets/aws/state-bucket.ts";

let moto: MotoServer;
before(async () => {
  moto = await startMoto();
});
after(async () => {
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
});

describe("the VPC's state bucket", () => {
  test("none before the first deploy; then one, versioned, encrypted and private, found again", async () => {
    const s3 = moto.s3();
    try {
      assert.equal(await findStateBucket(s3, "main", motoRegion), undefined);
      const made = await createStateBucket(s3, "main", motoRegion);
      assert.match(made, /^burst-main-eu-west-1-state-[0-9a-f]{8}$/);
      assert.equal(await findStateBucket(s3, "main", motoRegion), made);
      assert.equal((await s3.send(new GetBucketVersioningCommand({ Bucket: made }))).Status, "Enabled");
      const block = await s3.send(new GetPublicAccessBlockCommand({ Bucket: made }));
      assert.deepEqual(block.PublicAccessBlockConfiguration, {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      const encryption = await s3.send(new GetBucketEncryptionCommand({ Bucket: made }));
      assert.equal(
        encryption.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm,
        "AES256",
      );
    } finally {
      s3.destroy();
    }
  });

  test("never takes another VPC's or another region's bucket", async () => {
    const s3 = moto.s3();
    try {
      for (const bucket of ["burst-mainline-eu-west-1-state-00000001", "burst-main-eu-west-2-state-00000002"]) {
        await s3.send(
          new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: motoRegion } }),
        );
      }
      assert.equal(await findStateBucket(s3, "main", motoRegion), undefined);
      assert.equal(await findStateBucket(s3, "mainline", motoRegion), "burst-mainline-eu-west-1-state-00000001");
    } finally {
      s3.destroy();
    }
  });

  test("keeps prefixes unambiguous and names valid for long VPC names", () => {
    const prefix = stateBucketPrefix("A_Very_Long_VPC_Name_That_Goes_On", "ap-southeast-4");
    assert.equal(prefix, "burst-a-very-long-vpc-name-ap-southeast-4-state-");
    assert.ok(`${prefix}01234567`.length <= 63);
  });
});
