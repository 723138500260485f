import { createReadStream } from "node:fs";
import { open, readdir, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { badInput, infraError } from "../errors.ts";

/** How to reach S3: the real service (aws target) or the local S3 server. */
export interface S3Access {
  readonly region: string;
  /** Custom endpoint (local S3 server); absent for AWS. */
  readonly endpoint?: string;
  readonly forcePathStyle: boolean;
  /** Static credentials (local server); absent = the SDK's default provider chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** How long a request may go without a byte from the server before it is given up (and retried). Default 60 s. */
  readonly requestTimeoutMs?: number;
}

export interface S3Location {
  readonly bucket: string;
  /** Key prefix without a leading "/"; "" for the bucket root. */
  readonly key: string;
}

export function parseS3Uri(uri: string): S3Location {
  const match = /^s3a?:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match?.[1]) throw badInput(`"${uri}" is not an s3:// URI`);
  return { bucket: match[1], key: match[2] ?? "" };
}

export function joinKey(...parts: string[]): string {
  return parts
    .map((part) => part.replace(/^\/+|\/+$/g, ""))
    .filter((part) => part !== "")
    .join("/");
}

export interface UploadReport {
  readonly files: number;
  readonly bytes: number;
}

export interface RetryPolicy {
  readonly attempts: number;
  readonly firstDelayMs: number;
  readonly onRetry?: (attempt: number, error: unknown, delayMs: number) => void;
}

const defaultRetry: RetryPolicy = { attempts: 5, firstDelayMs: 1000 };
// Tuned with `npm run bench` (docs/benchmarks.md): small files wait on requests in flight, so
// 16 files at once; a large file goes up in 16 MiB parts, 8 at a time (aws s3 sync: 8 MiB, 10),
// each read from its own offset.
const multipartPartSize = 16 * 1024 * 1024;
const defaultFileConcurrency = 16;
const multipartQueueSize = 8;
/** Multipart uploads at once: each holds up to queueSize × partSize (128 MiB) in memory. */
const multipartUploadsAtOnce = 1;

/**
 * The object store a run reads inputs from and writes results to. Large files go up in
 * parallel multipart uploads; whole operations are retried with backoff, so a store that is
 * briefly down does not lose a run's logs.
 */
export class ObjectStore {
  readonly client: S3Client;

  constructor(
    readonly access: S3Access,
    private readonly retry: RetryPolicy = defaultRetry,
  ) {
    const config: S3ClientConfig = {
      region: access.region,
      endpoint: access.endpoint,
      forcePathStyle: access.forcePathStyle,
      credentials: access.credentials ? { ...access.credentials } : undefined,
      // S3-compatible servers may not accept the SDK's default flexible checksums.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      maxAttempts: 2,
      // A server that stops answering must not hang the run: the request fails, then is retried.
      requestHandler: {
        requestTimeout: access.requestTimeoutMs ?? 60_000,
        connectionTimeout: 10_000,
        // Without it the SDK only logs a warning and the request waits on, forever.
        throwOnRequestTimeout: true,
      },
    };
    this.client = new S3Client(config);
  }

  /** Create the buckets that do not exist yet (local S3 server). */
  async ensureBuckets(buckets: readonly string[]): Promise<void> {
    for (const bucket of buckets) {
      await this.withRetry(`create bucket ${bucket}`, async () => {
        try {
          await this.client.send(new HeadBucketCommand({ Bucket: bucket }));
        } catch {
          await this.client.send(new CreateBucketCommand({ Bucket: bucket })).catch((error: unknown) => {
            if ((error as { name?: string }).name === "BucketAlreadyOwnedByYou") return;
            throw error;
          });
        }
      });
    }
  }

  async putText(location: S3Location, body: string, contentType = "application/json"): Promise<void> {
    await this.withRetry(`write s3://${location.bucket}/${location.key}`, () =>
      this.client.send(
        new PutObjectCommand({ Bucket: location.bucket, Key: location.key, Body: body, ContentType: contentType }),
      ),
    );
  }

  /** Upload a file, or a folder recursively, under `location` (a folder's own name is not kept). */
  async uploadPath(
    localPath: string,
    location: S3Location,
    concurrency = defaultFileConcurrency,
  ): Promise<UploadReport> {
    const info = await stat(localPath);
    const files = info.isDirectory() ? await listFiles(localPath) : [localPath];
    const keyOf = (file: string) =>
      info.isDirectory() ? joinKey(location.key, relative(localPath, file).split(sep).join("/")) : location.key;
    let bytes = 0;
    const queue = [...files];
    const multipart = new Slots(multipartUploadsAtOnce);
    const worker = async () => {
      for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
        bytes += await this.uploadFile(file, { bucket: location.bucket, key: keyOf(file) }, multipart);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(files.length, 1)) }, worker));
    return { files: files.length, bytes };
  }

  private async uploadFile(file: string, location: S3Location, multipart: Slots): Promise<number> {
    const { size } = await stat(file);
    await this.withRetry(`upload ${file} to s3://${location.bucket}/${location.key}`, async () => {
      if (size < multipartPartSize) {
        await this.client.send(
          new PutObjectCommand({
            Bucket: location.bucket,
            Key: location.key,
            Body: createReadStream(file),
            ContentLength: size,
          }),
        );
        return;
      }
      await multipart.run(() => this.uploadInParts(file, size, location));
    });
    return size;
  }

  /**
   * A large file as a multipart upload, each part read straight from its offset in the file (no
   * stream to cut into parts), `multipartQueueSize` parts in flight.
   */
  private async uploadInParts(file: string, size: number, location: S3Location): Promise<void> {
    const target = { Bucket: location.bucket, Key: location.key };
    const { UploadId } = await this.client.send(new CreateMultipartUploadCommand(target));
    const handle = await open(file);
    const count = Math.ceil(size / multipartPartSize);
    const parts: CompletedPart[] = [];
    let next = 0;
    let failure: unknown;
    const sender = async () => {
      for (let index = next++; index < count && failure === undefined; index = next++) {
        try {
          const offset = index * multipartPartSize;
          const length = Math.min(multipartPartSize, size - offset);
          const body = Buffer.allocUnsafe(length);
          const { bytesRead } = await handle.read(body, 0, length, offset);
          if (bytesRead !== length) throw new Error(`${file} changed while it was being uploaded`);
          const sent = await this.client.send(
            new UploadPartCommand({ ...target, UploadId, PartNumber: index + 1, Body: body, ContentLength: length }),
          );
          parts[index] = { ETag: sent.ETag, PartNumber: index + 1 };
        } catch (error) {
          failure ??= error;
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(multipartQueueSize, count) }, sender));
      if (failure !== undefined) throw failure;
      await this.client.send(
        new CompleteMultipartUploadCommand({ ...target, UploadId, MultipartUpload: { Parts: parts } }),
      );
    } catch (error) {
      // Parts left behind are billed and invisible: drop them; the retry starts the file afresh.
      await this.client.send(new AbortMultipartUploadCommand({ ...target, UploadId })).catch(() => {});
      throw error;
    } finally {
      await handle.close();
    }
  }

  private async withRetry<T>(what: string, action: () => Promise<T>): Promise<T> {
    let delay = this.retry.firstDelayMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await action();
      } catch (error) {
        if (attempt >= this.retry.attempts) {
          throw infraError(`could not ${what} after ${attempt} attempts: ${describe(error)}`, { cause: error });
        }
        this.retry.onRetry?.(attempt, error, delay);
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay *= 2;
      }
    }
  }

  destroy(): void {
    this.client.destroy();
  }
}

/** At most `size` actions at once; the others wait their turn. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(size: number) {
    this.free = size;
  }

  async run<T>(action: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await action();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
