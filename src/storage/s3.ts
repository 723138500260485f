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
import { badInput } from "../errors.ts";
import { Limiter, mapLimit } from "../util/concurrency.ts";
import { retry } from "../util/retry.ts";

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

  /** Create the buckets that do not exist yet (local S3 server). `signal` stops it (Ctrl-C during stage). */
  async ensureBuckets(buckets: readonly string[], signal?: AbortSignal): Promise<void> {
    const sending = { abortSignal: signal };
    for (const bucket of buckets) {
      await this.withRetry(`create bucket ${bucket}`, signal, async () => {
        try {
          await this.client.send(new HeadBucketCommand({ Bucket: bucket }), sending);
        } catch (error) {
          if (signal?.aborted) throw error;
          await this.client.send(new CreateBucketCommand({ Bucket: bucket }), sending).catch((error: unknown) => {
            if ((error as { name?: string }).name === "BucketAlreadyOwnedByYou") return;
            throw error;
          });
        }
      });
    }
  }

  /**
   * Upload a file, or a folder recursively, under `location` (a folder's own name is not kept).
   * `signal` stops it: stage passes the run's, collect none (logs are saved after a Ctrl-C).
   */
  async uploadPath(
    localPath: string,
    location: S3Location,
    options: { readonly concurrency?: number; readonly signal?: AbortSignal } = {},
  ): Promise<UploadReport> {
    const { concurrency = defaultFileConcurrency, signal } = options;
    const info = await stat(localPath);
    const files = info.isDirectory() ? await listFiles(localPath) : [localPath];
    const keyOf = (file: string) =>
      info.isDirectory() ? joinKey(location.key, relative(localPath, file).split(sep).join("/")) : location.key;
    const multipart = new Limiter(multipartUploadsAtOnce);
    const sizes = await mapLimit(files, concurrency, (file) =>
      this.uploadFile(file, { bucket: location.bucket, key: keyOf(file) }, multipart, signal),
    );
    return { files: files.length, bytes: sizes.reduce((sum, size) => sum + size, 0) };
  }

  private async uploadFile(
    file: string,
    location: S3Location,
    multipart: Limiter,
    signal: AbortSignal | undefined,
  ): Promise<number> {
    const { size } = await stat(file);
    await this.withRetry(`upload ${file} to s3://${location.bucket}/${location.key}`, signal, async () => {
      if (size < multipartPartSize) {
        await this.client.send(
          new PutObjectCommand({
            Bucket: location.bucket,
            Key: location.key,
            Body: createReadStream(file),
            ContentLength: size,
          }),
          { abortSignal: signal },
        );
        return;
      }
      await multipart.run(() => this.uploadInParts(file, size, location, signal));
    });
    return size;
  }

  /**
   * A large file as a multipart upload, each part read straight from its offset in the file (no
   * stream to cut into parts), `multipartQueueSize` parts in flight.
   */
  private async uploadInParts(
    file: string,
    size: number,
    location: S3Location,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const target = { Bucket: location.bucket, Key: location.key };
    const { UploadId } = await this.client.send(new CreateMultipartUploadCommand(target), { abortSignal: signal });
    const handle = await open(file);
    const partNumbers = Array.from({ length: Math.ceil(size / multipartPartSize) }, (_, index) => index + 1);
    const sendPart = async (partNumber: number): Promise<CompletedPart> => {
      const offset = (partNumber - 1) * multipartPartSize;
      const length = Math.min(multipartPartSize, size - offset);
      const body = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(body, 0, length, offset);
      if (bytesRead !== length) throw new Error(`${file} changed while it was being uploaded`);
      const sent = await this.client.send(
        new UploadPartCommand({ ...target, UploadId, PartNumber: partNumber, Body: body, ContentLength: length }),
        { abortSignal: signal },
      );
      return { ETag: sent.ETag, PartNumber: partNumber };
    };
    try {
      // A failed part stops the others from starting; those in flight finish before the abort below.
      const parts = await mapLimit(partNumbers, multipartQueueSize, sendPart);
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

  private withRetry<T>(what: string, signal: AbortSignal | undefined, action: () => Promise<T>): Promise<T> {
    const { attempts, firstDelayMs, onRetry } = this.retry;
    // Once the signal fires, the aborted request is not retried, nor is a wait between tries waited out.
    return retry(action, { what, attempts, firstDelayMs, onRetry, signal, retryable: () => !signal?.aborted });
  }

  destroy(): void {
    this.client.destroy();
  }
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}
