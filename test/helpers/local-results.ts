// A finished local run's S3 data, read back through the S3 API: the run's own S3 server is gone
// with its cluster, so a new one serves the same folder.
import { join } from "node:path";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { type S3Server, startS3Server } from "../../scripts/servers/s3server.ts";

/** Serve a finished run's S3 data folder again for the time of `action`. */
export async function withResults<T>(burstHome: string, action: (s3: S3Server) => Promise<T>): Promise<T> {
  const s3 = await startS3Server({ dataDir: join(burstHome, "local", "s3") });
  try {
    return await action(s3);
  } finally {
    await s3.stop();
  }
}

export async function objectText(s3: S3Server, bucket: string, key: string): Promise<string> {
  const object = await s3.client().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await object.Body?.transformToString()) ?? "";
}

/** The keys under a prefix, sorted. */
export async function keys(s3: S3Server, bucket: string, prefix: string): Promise<string[]> {
  const listed = await s3.client().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((object) => object.Key ?? "").sort();
}
