// What a cluster node may do in AWS: read and write objects in the configured buckets, list
// those buckets, nothing else. Plain TS so tests and docs can read the exact document.

import { badInput } from "../../src/errors.ts";

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: "Allow";
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
}

export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly PolicyStatement[];
}

/** What S3A needs on a bucket (listing, multipart bookkeeping) and on its objects (incl. rename = copy + delete). */
export const bucketActions = ["s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"] as const;
export const objectActions = [
  "s3:GetObject",
  "s3:PutObject",
  "s3:DeleteObject",
  "s3:AbortMultipartUpload",
  "s3:ListMultipartUploadParts",
] as const;

export function nodeS3Policy(buckets: readonly string[]): PolicyDocument {
  if (buckets.length === 0) {
    throw badInput("aws/buckets is empty: cluster nodes could not read input or write results", {
      keyPath: "aws.buckets",
      hint: "list the buckets your jobs read and write, e.g. [burst-results, burst-data]",
    });
  }
  for (const bucket of buckets) {
    // A bucket name is also an ARN fragment: anything else (a "*", a path) would widen the grant.
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      throw badInput(`not an S3 bucket name: ${JSON.stringify(bucket)}`, { keyPath: "aws.buckets" });
    }
  }
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ListTheBuckets",
        Effect: "Allow",
        Action: bucketActions,
        Resource: buckets.map((b) => `arn:aws:s3:::${b}`),
      },
      {
        Sid: "ReadWriteObjects",
        Effect: "Allow",
        Action: objectActions,
        Resource: buckets.map((b) => `arn:aws:s3:::${b}/*`),
      },
    ],
  };
}

export const ec2AssumeRolePolicy = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
} as const;
