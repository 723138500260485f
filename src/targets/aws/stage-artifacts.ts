// `npm run vpc -- stage`: puts what nodes download (stacks/aws/artifacts.ts) into the VPC's
// artifacts bucket, once per region. Each file comes from a source the operator names (a file,
// a folder, a URL) or else from its public home (PyPI, Maven Central), is checked against the digest
// its registry publishes (stacks/aws/artifacts/) before anything is uploaded, and is skipped when
// the bucket already holds it with that digest.

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

/** The object metadata that records what was staged (the artifact's digest algorithm names it): S3 keeps no SHA-512 of its own. */
export const digestMetadataKey = (algorithm: NodeArtifact["digest"]["algorithm"]): string => algorithm;

export interface StageOptions {
  readonly client: S3Client;
  readonly bucket: string;
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
      const { algorithm, hex: expected } = artifact.digest;
      if ((await stagedDigest(options.client, options.bucket, artifact)) === expected) {
        options.log(`  ${artifact.key}: already staged`);
        staged.push({ key: artifact.key, action: "already staged" });
        continue;
      }
      const source = sourceFor(artifact, options.sources);
      const file = isUrl(source) ? await download(source, join(scratch, artifact.fileName)) : source;
      const actual = await digestOf(file, algorithm);
      if (actual !== expected) {
        throw badInput(
          `${source}: its ${algorithm.toUpperCase()} is ${actual}, the pinned one ${expected}; nothing was uploaded`,
          {
            hint:
              artifact.kind === "python"
                ? "the file is not the one PyPI publishes (stacks/aws/artifacts/python.txt): take it from PyPI"
                : "the jar is not the one stacks/aws/artifacts/jars.txt pins: take it from Maven Central",
          },
        );
      }
      options.log(`  ${artifact.key}: uploading ${(statSync(file).size / 1024 / 1024).toFixed(1)} MiB from ${source}`);
      await upload(options.client, options.bucket, artifact, file);
      staged.push({ key: artifact.key, action: "uploaded", source });
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return staged;
}

/** The digest an earlier stage recorded on the object, or undefined when there is no object. */
async function stagedDigest(client: S3Client, bucket: string, artifact: NodeArtifact): Promise<string | undefined> {
  const key = artifact.key;
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return head.Metadata?.[digestMetadataKey(artifact.digest.algorithm)];
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

async function digestOf(file: string, algorithm: NodeArtifact["digest"]["algorithm"]): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** One PUT (S3 takes up to 5 GB so; pyspark's sdist is ~320 MB), streamed from the file. */
async function upload(client: S3Client, bucket: string, artifact: NodeArtifact, file: string): Promise<void> {
  const key = artifact.key;
  try {
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: createReadStream(file),
        ContentLength: statSync(file).size,
        ContentType: "application/octet-stream",
        ServerSideEncryption: "AES256",
        Metadata: { [digestMetadataKey(artifact.digest.algorithm)]: artifact.digest.hex },
      }),
    );
  } catch (error) {
    throw infraError(`could not upload s3://${bucket}/${key}: ${(error as Error).message}`, { cause: error });
  }
}
