// What an AWS node downloads at boot besides Debian packages: Spark's tarball and the jars of
// artifacts/jars.txt, each with the SHA-512 it must have. One list, read by the cluster stack
// (nodes fetch and check each) and by `npm run vpc -- stage` (which puts each in the VPC's
// artifacts bucket). One more jar is one more line in jars.txt. Plain TS, no CDKTF.

import { readFileSync } from "node:fs";
import { badInput } from "../../src/errors.ts";
import type { NodeDownloads } from "./bootstrap.ts";

export interface NodeArtifact {
  /** Key in the artifacts bucket, in the public layouts: spark/spark-V/<tarball>, maven2/<path>. */
  readonly key: string;
  /** The file's own name (what `stage --from` matches a local file by). */
  readonly fileName: string;
  /** Where it is published: the Spark mirror or the Maven repository. */
  readonly publicUrl: string;
  /** Lower-case hex; undefined for a Spark tarball that aws/sparkSha512 does not pin. */
  readonly sha512: string | undefined;
  /** Spark's distribution (unpacked into SPARK_HOME) or a jar (added to SPARK_HOME/jars). */
  readonly kind: "spark" | "jar";
}

export interface ArtifactSources {
  /** aws/sparkMirror: Apache's layout, spark-V/spark-V-bin-hadoop3.tgz. */
  readonly sparkMirror: string;
  /** A Maven repository (Maven Central unless a site mirrors it). */
  readonly mavenRepo: string;
  /** aws/sparkSha512: "3.5.3:<hex>" pins. */
  readonly sparkSha512: readonly string[];
}

export const mavenCentral = "https://repo1.maven.org/maven2";

interface JarLine {
  readonly versions: string;
  readonly path: string;
  readonly sha512: string;
}

const jarsFile = new URL("./artifacts/jars.txt", import.meta.url);

/** The lines of jars.txt; a malformed line is a bug in the repository, reported with its line. */
export function jarLines(file: URL = jarsFile): JarLine[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .flatMap((raw, index) => {
      const line = raw.replace(/#.*$/, "").trim();
      if (line === "") return [];
      const [versions, path, sha512, ...rest] = line.split(/\s+/);
      if (!versions || !path || !sha512 || rest.length > 0 || !/^[0-9a-f]{128}$/.test(sha512)) {
        throw new Error(`${file.pathname}:${index + 1}: expected "<versions> <maven path> <sha512>", got "${raw}"`);
      }
      return [{ versions, path, sha512 }];
    });
}

/** "3.5.*" matches every 3.5 release, "3.5.0,3.5.1" each one listed; anything else matches itself. */
const matchesVersion = (patterns: string, version: string): boolean =>
  patterns
    .split(",")
    .some((pattern) => (pattern.endsWith(".*") ? version.startsWith(pattern.slice(0, -1)) : pattern === version));

/** The pinned SHA-512 of Spark `version`'s tarball in aws/sparkSha512, if any. */
export function pinnedSparkSha512(pins: readonly string[], version: string): string | undefined {
  return pins.find((pin) => pin.startsWith(`${version}:`))?.slice(version.length + 1);
}

/** Spark `version`'s tarball, then its jars, in the order a node installs them. */
export function nodeArtifacts(sparkVersion: string, sources: ArtifactSources): NodeArtifact[] {
  const tarball = `spark-${sparkVersion}-bin-hadoop3.tgz`;
  const spark: NodeArtifact = {
    key: `spark/spark-${sparkVersion}/${tarball}`,
    fileName: tarball,
    publicUrl: `${sources.sparkMirror.replace(/\/+$/, "")}/spark-${sparkVersion}/${tarball}`,
    sha512: pinnedSparkSha512(sources.sparkSha512, sparkVersion),
    kind: "spark",
  };
  const jars = jarLines()
    .filter((line) => matchesVersion(line.versions, sparkVersion))
    .map(
      (line): NodeArtifact => ({
        key: `maven2/${line.path}`,
        fileName: line.path.split("/").pop() ?? line.path,
        publicUrl: `${sources.mavenRepo.replace(/\/+$/, "")}/${line.path}`,
        sha512: line.sha512,
        kind: "jar",
      }),
    );
  return [spark, ...jars];
}

/**
 * The bucket's address for nodes: on aws/s3Endpoint by path when one is set, else its regional
 * virtual-hosted address, which inside the VPC resolves through the S3 gateway endpoint.
 */
export function artifactsBucketUrl(bucket: string, where: { region: string; s3Endpoint?: string }): string {
  if (where.s3Endpoint !== undefined) return `${where.s3Endpoint.replace(/\/+$/, "")}/${bucket}`;
  return `https://${bucket}.s3.${where.region}.amazonaws.com`;
}

/** Bad input naming what to pin when Spark `version` has no SHA-512 in aws/sparkSha512. */
export function unpinnedSparkError(version: string, why: string) {
  return badInput(`aws/sparkSha512 pins no SHA-512 for Spark ${version}: ${why}`, {
    keyPath: "aws/sparkSha512",
    hint:
      `add "${version}:<hex>" to aws.sparkSha512 in config/aws.yml (then npm run config:push), the hex ` +
      `being the first field of https://downloads.apache.org/spark/spark-${version}/spark-${version}-bin-hadoop3.tgz.sha512 ` +
      "(archive.apache.org/dist/spark for older releases), read from Apache's site, not from your mirror",
  });
}

/** Where a cluster's nodes fetch from: the artifacts bucket's address, or the public mirror. */
export type DownloadOrigin = { readonly kind: "bucket"; readonly url: string } | { readonly kind: "mirror" };

/**
 * What the user data tells a node to download, and the checksum each file must have. From the
 * bucket every file is pinned (staging refused anything else); from the mirror an unpinned
 * tarball falls back to the mirror's own .sha512 (sparkSha512 "").
 */
export function nodeDownloads(artifacts: readonly NodeArtifact[], origin: DownloadOrigin): NodeDownloads {
  const url = (artifact: NodeArtifact) =>
    origin.kind === "bucket" ? `${origin.url.replace(/\/+$/, "")}/${artifact.key}` : artifact.publicUrl;
  const spark = artifacts.find((artifact) => artifact.kind === "spark");
  if (!spark) throw new Error("no Spark tarball among the node's artifacts");
  return {
    sparkUrl: url(spark),
    sparkSha512: spark.sha512 ?? "",
    jars: artifacts
      .filter((artifact) => artifact.kind === "jar")
      .map((artifact) => ({ url: url(artifact), sha512: artifact.sha512 ?? "" })),
  };
}
