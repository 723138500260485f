// A finished aws run's results in S3: copied back once their local copy is gone (`burst ui` reads
// the event log collect uploaded under <results>/logs/eventlog/), and one file replaced after
// destroy (the manifest, with the actual cost). The bucket is asked in the run's region; the SDK
// follows S3's redirect when the bucket lives elsewhere.

import { createWriteStream } from "node:fs";
import { mkdir, readFile, rename } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GetObjectCommand, PutObjectCommand, paginateListObjectsV2, S3Client } from "@aws-sdk/client-s3";
import type { ClusterPlacement } from "../../../stacks/contract.ts";
import { describeError, infraError } from "../../errors.ts";
import { joinKey, parseS3Uri } from "../../storage/s3.ts";
import { awsEndpointsFromEnv } from "./endpoints.ts";

export interface RunResultsOptions {
  /** The CLI's environment (region, endpoints); default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Copies every object under `<resultsUri><prefix>` into `localDir`, keeping their relative paths; false when there are none. */
export async function fetchRunResults(
  resultsUri: string,
  prefix: string,
  localDir: string,
  placement: ClusterPlacement | undefined,
  options: RunResultsOptions = {},
): Promise<boolean> {
  const { bucket, key } = parseS3Uri(resultsUri);
  const under = `${joinKey(key, prefix)}/`;
  const client = resultsClient(placement, options.env ?? process.env);
  const target = resolve(localDir);
  let copied = 0;
  try {
    for await (const page of paginateListObjectsV2({ client }, { Bucket: bucket, Prefix: under })) {
      for (const object of page.Contents ?? []) {
        if (!object.Key || object.Key.endsWith("/")) continue;
        const file = resolve(target, object.Key.slice(under.length));
        // A key with "../" in it must not write outside the folder asked for.
        if (relative(target, file).startsWith(`..${sep}`) || file === target) continue;
        const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
        if (!(answer.Body instanceof Readable)) throw new Error(`s3://${bucket}/${object.Key} has no body`);
        await mkdir(dirname(file), { recursive: true });
        // Written aside then renamed: an interrupted copy never passes for a whole event log.
        await pipeline(answer.Body, createWriteStream(`${file}.part`));
        await rename(`${file}.part`, file);
        copied++;
      }
    }
  } catch (error) {
    throw infraError(`could not copy s3://${bucket}/${under} to ${join(localDir)}: ${describeError(error)}`, {
      hint: "the AWS credentials need s3:ListBucket and s3:GetObject on the results bucket (docs/iam-policy.json)",
      cause: error,
    });
  } finally {
    client.destroy();
  }
  return copied > 0;
}

/** Writes `localFile` over `<resultsUri><name>` (a JSON file: the manifest). */
export async function replaceRunResult(
  resultsUri: string,
  name: string,
  localFile: string,
  placement: ClusterPlacement | undefined,
  options: RunResultsOptions = {},
): Promise<void> {
  const { bucket, key } = parseS3Uri(resultsUri);
  const client = resultsClient(placement, options.env ?? process.env);
  try {
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: joinKey(key, name),
        Body: await readFile(localFile),
        ContentType: "application/json",
      }),
    );
  } finally {
    client.destroy();
  }
}

/** Credentials from the SDK's chain; the endpoint a test or site gives (AWS_ENDPOINT_URL_S3), addressed by path as the provider does. */
function resultsClient(placement: ClusterPlacement | undefined, env: Readonly<Record<string, string | undefined>>) {
  const endpoint = awsEndpointsFromEnv(env).s3;
  return new S3Client({
    region: resultsRegion(placement, env),
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    followRegionRedirects: true,
    maxAttempts: 3,
  });
}

/** The cluster's region (from its AZ), else the SDK's own variables; S3 redirects a wrong guess. */
function resultsRegion(placement: ClusterPlacement | undefined, env: Readonly<Record<string, string | undefined>>) {
  return (
    placement?.availabilityZone.replace(/[a-z]$/, "") ||
    env.BURST_AWS_REGION ||
    env.AWS_REGION ||
    env.AWS_DEFAULT_REGION ||
    "us-east-1"
  );
}
