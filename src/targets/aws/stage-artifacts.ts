// `npm run vpc -- stage`: puts what nodes download (stacks/aws/artifacts.ts) into the VPC's
// artifacts bucket, once per region. Each file comes from a source the operator names (a file,
// a folder, a URL) or else from its public home, is checked against its pinned SHA-512 before
// anything is uploaded, and is skipped when the bucket already holds it with that checksum.

import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream } from "node:stream/web";
import { HeadObjectCommand, NotFound, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { NodeArtifact } from "../../../stacks/aws/artifacts.ts";
import { badInput, infraError } from "../../errors.ts";

/** The object metadata that records what was staged: S3 has no SHA-512 of its own. */
export const sha512MetadataKey = "sha512";

export interface StageOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** Every one pinned (sha512 set). */
  readonly artifacts: readonly NodeArtifact[];
  /** --from values: files, folders or http(s) URLs, matched to an artifact by its file name. */
  readonly sources: readonly string[];
  /** Downloads land here, then go. */
  readonly scratchDir: string;
  readonly log: (line: string) => void;
}

export interface StagedArtifact {
  readonly key: string;
  readonly action: "uploaded" | "already staged";
  /** Where the bytes came from (absent when nothing was uploaded). */
  readonly source?: string;
}

export async function stageArtifacts(options: StageOptions): Promise<StagedArtifact[]> {
  const staged: StagedArtifact[] = [];
  const scratch = await mkdtemp(join(options.scratchDir, "stage-"));
  try {
    for (const artifact of options.artifacts) {
      const expected = artifact.sha512;
      if (!expected) throw new Error(`${artifact.fileName} has no pinned SHA-512: it cannot be staged`);
      if ((await stagedSha512(options.client, options.bucket, artifact.key)) === expected) {
        options.log(`  ${artifact.key}: already staged`);
        staged.push({ key: artifact.key, action: "already staged" });
        continue;
      }
      const source = sourceFor(artifact, options.sources);
      const file = isUrl(source) ? await download(source, join(scratch, artifact.fileName)) : source;
      const actual = await sha512Of(file);
      if (actual !== expected) {
        throw badInput(`${source}: its SHA-512 is ${actual}, the pinned one ${expected}; nothing was uploaded`, {
          keyPath: artifact.kind === "spark" ? "aws/sparkSha512" : undefined,
          hint:
            artifact.kind === "spark"
              ? "check the file against Apache's published .sha512; fix the file, or the pin in config/aws.yml if that is what is wrong"
              : "the jar is not the one stacks/aws/artifacts/jars.txt pins: take it from Maven Central",
        });
      }
      options.log(`  ${artifact.key}: uploading ${(statSync(file).size / 1024 / 1024).toFixed(1)} MiB from ${source}`);
      await upload(options.client, options.bucket, artifact.key, file, expected);
      staged.push({ key: artifact.key, action: "uploaded", source });
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return staged;
}

/** The SHA-512 an earlier stage recorded on the object, or undefined when there is no object. */
async function stagedSha512(client: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return head.Metadata?.[sha512MetadataKey];
  } catch (error) {
    if (error instanceof NotFound || (error as { name?: string }).name === "NotFound") return undefined;
    throw infraError(`could not read s3://${bucket}/${key}: ${(error as Error).message}`, {
      hint: "check the AWS credentials and that `npm run vpc -- deploy --yes` created the bucket",
      cause: error,
    });
  }
}

const isUrl = (value: string): boolean => /^https?:\/\//.test(value);

/** The first --from that is or holds the artifact's file, else its public home. */
export function sourceFor(artifact: NodeArtifact, sources: readonly string[]): string {
  for (const source of sources) {
    if (isUrl(source)) {
      if (new URL(source).pathname.split("/").pop() === artifact.fileName) return source;
      continue;
    }
    if (!existsSync(source)) continue;
    if (statSync(source).isDirectory()) {
      for (const candidate of [join(source, artifact.fileName), join(source, artifact.key)]) {
        if (existsSync(candidate)) return candidate;
      }
    } else if (basename(source) === artifact.fileName) {
      return source;
    }
  }
  return artifact.publicUrl;
}

async function download(url: string, file: string): Promise<string> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(30 * 60_000) });
    if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
    await pipeline(Readable.fromWeb(response.body as ReadableStream), createWriteStream(file));
    return file;
  } catch (error) {
    throw infraError(`could not download ${url}: ${(error as Error).message}`, {
      hint: "give the file with --from <file or folder> (e.g. downloaded elsewhere), or a reachable URL",
      cause: error,
    });
  }
}

async function sha512Of(file: string): Promise<string> {
  const hash = createHash("sha512");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** One PUT (S3 takes up to 5 GB so; Spark's tarball is ~400 MB), streamed from the file. */
async function upload(client: S3Client, bucket: string, key: string, file: string, sha512: string): Promise<void> {
  try {
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: createReadStream(file),
        ContentLength: statSync(file).size,
        ContentType: "application/octet-stream",
        ServerSideEncryption: "AES256",
        Metadata: { [sha512MetadataKey]: sha512 },
      }),
    );
  } catch (error) {
    throw infraError(`could not upload s3://${bucket}/${key}: ${(error as Error).message}`, { cause: error });
  }
}
