// Results upload throughput: burst's ObjectStore.uploadPath against `aws s3 sync` on the same
// files, to the same S3 server (versitygw on loopback, started here). Both run as processes and
// are timed from start to exit (burst's through upload-process.mjs, the compiled code). Each
// upload goes to a fresh bucket, so sync never skips a file, and is checked by listing what arrived.

import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { run, which } from "../../src/util/exec.ts";
import { type S3Server, startS3Server } from "../servers/s3server.ts";
import { type Sample, sample } from "./stats.ts";

export interface UploadSizes {
  readonly smallFiles: number;
  readonly smallFileBytes: number;
  readonly largeFileBytes: number;
}

const uploadProcess = fileURLToPath(new URL("./upload-process.mjs", import.meta.url));

export const fullSizes: UploadSizes = { smallFiles: 2000, smallFileBytes: 2048, largeFileBytes: 200 * 1024 * 1024 };
export const quickSizes: UploadSizes = { smallFiles: 200, smallFileBytes: 2048, largeFileBytes: 20 * 1024 * 1024 };

export interface UploadCase {
  readonly name: string;
  readonly files: number;
  readonly bytes: number;
  /** Seconds per upload. */
  readonly burstSeconds: Sample;
  readonly awsSeconds: Sample;
  /** burst throughput / aws throughput, the median of the per-round ratios; ≥ 1 means burst is as fast. */
  readonly ratio: number;
  /** aws time / burst time, taken within each round (the two uploads of a round run back to back). */
  readonly ratios?: Sample;
}

export interface UploadResult {
  readonly awsVersion: string;
  readonly cases: readonly UploadCase[];
  /**
   * Seconds for each side to start and answer one request (list an empty bucket), once per round:
   * the part of every upload time that is process start-up, not transfer (aws: Python's).
   */
  readonly startSeconds?: { readonly burst: Sample; readonly aws: Sample };
  /** What each side does at once, with its defaults: the comparison is of defaults, not of equal settings. */
  readonly settings?: { readonly burst: string; readonly aws: string };
}

/** burst's ObjectStore defaults (src/storage/s3.ts) and aws CLI v1's documented s3 defaults. */
export const uploadSettings = {
  burst: "16 files at once; a large file in 16 MiB parts, 8 parts at once",
  aws: "max_concurrent_requests 10; multipart_chunksize 8 MiB",
} as const;

export async function measureUploads(
  sizes: UploadSizes,
  repetitions: number,
  log: (line: string) => void,
): Promise<UploadResult> {
  const aws = which("aws");
  if (!aws) throw new Error("the aws CLI is not on PATH (pip install awscli)");
  const awsVersion = (await run(aws, ["--version"])).stdout.trim() || "aws";
  const scratch = await mkdtemp(join(tmpdir(), "burst-bench-upload-"));
  const server = await startS3Server();
  try {
    const small = join(scratch, "small");
    for (let i = 0; i < sizes.smallFiles; i++) {
      const dir = join(small, `part-${String(i % 20).padStart(2, "0")}`);
      if (i < 20) await mkdir(dir, { recursive: true });
      await writeFile(join(dir, `file-${i}.json`), randomBytes(sizes.smallFileBytes));
    }
    const large = join(scratch, "large");
    await mkdir(large);
    await writeRandomFile(join(large, "big.bin"), sizes.largeFileBytes);

    const cases: UploadCase[] = [];
    const burstStart: number[] = [];
    const awsStart: number[] = [];
    for (const [name, dir, files, bytes] of [
      [
        `${sizes.smallFiles} files of ${sizes.smallFileBytes / 1024} KiB`,
        small,
        sizes.smallFiles,
        sizes.smallFiles * sizes.smallFileBytes,
      ],
      [`1 file of ${sizes.largeFileBytes / 1024 / 1024} MiB`, large, 1, sizes.largeFileBytes],
    ] as const) {
      const burst: number[] = [];
      const awsTimes: number[] = [];
      const roundRatios: number[] = [];
      for (let round = 1; round <= repetitions; round++) {
        // A bucket per upload, removed after it: the server's disk use stays one copy.
        const burstBucket = `bench-burst-${round}-${files}`;
        const awsBucket = `bench-aws-${round}-${files}`;
        await createBucket(server.client(), burstBucket);
        await createBucket(server.client(), awsBucket);
        // Alternate who goes first, and start each upload with no dirty pages left to flush from
        // writing the files or the previous upload: the disk is shared by both sides.
        const sides = [
          async () => burst.push(await burstUpload(server, dir, burstBucket, files, bytes)),
          async () => awsTimes.push(await awsSync(aws, server, dir, awsBucket, files, bytes)),
        ];
        if (round % 2 === 0) sides.reverse();
        for (const side of sides) {
          await run("sync", []);
          await side();
        }
        roundRatios.push((awsTimes.at(-1) ?? Number.NaN) / (burst.at(-1) ?? Number.NaN));
        // Each side's start-up plus one request (the bucket's top level, as `aws s3 ls` lists it).
        burstStart.push(await burstList(server, burstBucket));
        awsStart.push(await awsList(aws, server, awsBucket));
        log(
          `  upload ${name} run ${round}: burst ${burst.at(-1)?.toFixed(2)} s, aws s3 sync ${awsTimes.at(-1)?.toFixed(2)} s`,
        );
        await rm(join(server.dataDir, burstBucket), { recursive: true, force: true });
        await rm(join(server.dataDir, awsBucket), { recursive: true, force: true });
      }
      const burstSeconds = sample(burst);
      const awsSeconds = sample(awsTimes);
      const ratios = sample(roundRatios);
      cases.push({ name, files, bytes, burstSeconds, awsSeconds, ratio: ratios.median, ratios });
    }
    return {
      awsVersion,
      cases,
      startSeconds: { burst: sample(burstStart), aws: sample(awsStart) },
      settings: uploadSettings,
    };
  } finally {
    await server.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

async function burstUpload(
  server: S3Server,
  dir: string,
  bucket: string,
  files: number,
  bytes: number,
): Promise<number> {
  const began = performance.now();
  const result = await run(process.execPath, [uploadProcess, dir, bucket, "run/"], {
    env: {
      S3_ENDPOINT: server.endpoint,
      AWS_ACCESS_KEY_ID: server.accessKeyId,
      AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
      AWS_DEFAULT_REGION: server.region,
    },
    timeoutMs: 10 * 60_000,
  });
  const seconds = (performance.now() - began) / 1000;
  if (result.code !== 0) throw new Error(`burst's upload failed (exit ${result.code}): ${result.stderr.slice(-2000)}`);
  await expectObjects(server.client(), bucket, files, bytes);
  if (files === 1)
    await expectSameContent(server.client(), bucket, `run/${basename((await readdir(dir))[0] ?? "")}`, dir);
  return seconds;
}

async function awsSync(
  aws: string,
  server: S3Server,
  dir: string,
  bucket: string,
  files: number,
  bytes: number,
): Promise<number> {
  const began = performance.now();
  const result = await run(
    aws,
    [
      "s3",
      "sync",
      dir,
      `s3://${bucket}/run/`,
      "--endpoint-url",
      server.endpoint,
      "--only-show-errors",
      "--no-progress",
    ],
    {
      env: {
        AWS_ACCESS_KEY_ID: server.accessKeyId,
        AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
        AWS_DEFAULT_REGION: server.region,
        AWS_REQUEST_CHECKSUM_CALCULATION: "when_required",
        AWS_RESPONSE_CHECKSUM_VALIDATION: "when_required",
        // Only the CLI's defaults: no user profile may change concurrency or part size.
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
        AWS_PROFILE: undefined,
      },
      timeoutMs: 10 * 60_000,
    },
  );
  const seconds = (performance.now() - began) / 1000;
  if (result.code !== 0) throw new Error(`aws s3 sync failed (exit ${result.code}): ${result.stderr.slice(-2000)}`);
  await expectObjects(server.client(), bucket, files, bytes);
  return seconds;
}

/** Seconds for burst's upload process to start, list one page of a bucket and exit. */
async function burstList(server: S3Server, bucket: string): Promise<number> {
  const began = performance.now();
  const result = await run(process.execPath, [uploadProcess, "--list", bucket], {
    env: s3Env(server),
    timeoutMs: 60_000,
  });
  if (result.code !== 0) throw new Error(`burst's list failed (exit ${result.code}): ${result.stderr.slice(-2000)}`);
  return (performance.now() - began) / 1000;
}

/** Seconds for `aws s3 ls` of a bucket: the CLI's start-up and one request. */
async function awsList(aws: string, server: S3Server, bucket: string): Promise<number> {
  const began = performance.now();
  const result = await run(aws, ["s3", "ls", `s3://${bucket}/`, "--endpoint-url", server.endpoint], {
    env: {
      ...s3Env(server),
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      AWS_PROFILE: undefined,
    },
    timeoutMs: 60_000,
  });
  if (result.code !== 0) throw new Error(`aws s3 ls failed (exit ${result.code}): ${result.stderr.slice(-2000)}`);
  return (performance.now() - began) / 1000;
}

function s3Env(server: S3Server): Record<string, string> {
  return {
    S3_ENDPOINT: server.endpoint,
    AWS_ACCESS_KEY_ID: server.accessKeyId,
    AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
    AWS_DEFAULT_REGION: server.region,
  };
}

async function createBucket(client: S3Client, bucket: string): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
}

/** Every file arrived, whole: the object count and their total size match. */
async function expectObjects(client: S3Client, bucket: string, files: number, bytes: number): Promise<void> {
  let count = 0;
  let size = 0;
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    count += page.KeyCount ?? 0;
    for (const object of page.Contents ?? []) size += object.Size ?? 0;
    token = page.NextContinuationToken;
  } while (token);
  if (count !== files || size !== bytes) {
    throw new Error(
      `s3://${bucket} holds ${count} objects, ${size} bytes after the upload; expected ${files}, ${bytes}`,
    );
  }
}

/** The object's bytes are the file's (a multipart upload put its parts back in order). */
async function expectSameContent(client: S3Client, bucket: string, key: string, dir: string): Promise<void> {
  const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const remote = createHash("sha256");
  for await (const chunk of object.Body as AsyncIterable<Uint8Array>) remote.update(chunk);
  const local = createHash("sha256");
  for await (const chunk of createReadStream(join(dir, basename(key)))) local.update(chunk as Buffer);
  if (remote.digest("hex") !== local.digest("hex"))
    throw new Error(`s3://${bucket}/${key} differs from the file uploaded`);
}

async function writeRandomFile(path: string, bytes: number): Promise<void> {
  const out = createWriteStream(path);
  const chunk = 1024 * 1024;
  for (let written = 0; written < bytes; written += chunk) {
    if (!out.write(randomBytes(Math.min(chunk, bytes - written)))) {
      await new Promise<void>((resolve) => out.once("drain", () => resolve()));
    }
  }
  await new Promise<void>((resolve, reject) => {
    out.once("error", reject);
    out.end(() => resolve());
  });
}
