// Where the long-lived VPC stack keeps its terraform state when ops named no bucket: a bucket of
// the account's own, made by the first `npm run vpc -- deploy` (as `cdk bootstrap` makes its
// bucket) and found again by its name's prefix, so no checkout holds the only copy of the state.

import { randomBytes } from "node:crypto";
import {
  type BucketLocationConstraint,
  CreateBucketCommand,
  ListBucketsCommand,
  PutBucketEncryptionCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
} from "@aws-sdk/client-s3";

/** burst-<vpcName>-<region>-state-: one VPC's state buckets in one region, whatever the suffix. */
export function stateBucketPrefix(vpcName: string, region: string): string {
  const vpc = vpcName
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .slice(0, 20)
    .replace(/-+$/, "");
  return `burst-${vpc}-${region}-state-`;
}

/** The VPC's state bucket in this account, the oldest if a race made two; undefined when none. */
export async function findStateBucket(s3: S3Client, vpcName: string, region: string): Promise<string | undefined> {
  const prefix = stateBucketPrefix(vpcName, region);
  const found: { name: string; created: number }[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListBucketsCommand({ Prefix: prefix, ContinuationToken: token, MaxBuckets: 1000 }));
    for (const bucket of page.Buckets ?? []) {
      if (bucket.Name?.startsWith(prefix))
        found.push({ name: bucket.Name, created: bucket.CreationDate?.getTime() ?? 0 });
    }
    token = page.ContinuationToken;
  } while (token);
  found.sort((a, b) => a.created - b.created || a.name.localeCompare(b.name));
  return found[0]?.name;
}

/** Makes the VPC's state bucket: versioned (an overwritten state can be recovered), encrypted, private. */
export async function createStateBucket(s3: S3Client, vpcName: string, region: string): Promise<string> {
  const bucket = `${stateBucketPrefix(vpcName, region)}${randomBytes(4).toString("hex")}`;
  await s3.send(
    new CreateBucketCommand({
      Bucket: bucket,
      // us-east-1 is the one region that refuses its own name as a location constraint.
      ...(region === "us-east-1"
        ? {}
        : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
    }),
  );
  await s3.send(
    new PutPublicAccessBlockCommand({
      Bucket: bucket,
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    }),
  );
  await s3.send(
    new PutBucketEncryptionCommand({
      Bucket: bucket,
      ServerSideEncryptionConfiguration: {
        Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
      },
    }),
  );
  await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
  return bucket;
}
