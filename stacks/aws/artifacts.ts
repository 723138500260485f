// What an AWS node downloads at boot besides Debian packages: the Python files of
// artifacts/python.txt (pyspark's sdist, its py4j, numpy/pandas/pyarrow... as PyPI publishes them,
// each with PyPI's SHA-256) and the jars of artifacts/jars.txt (each with its SHA-512). Spark itself
// is the pyspark release the local target runs: its jars, spark-class and spark-submit. One list,
// read by the cluster stack (nodes fetch and check each) and by `npm run vpc -- stage` (which puts
// each in the VPC's artifacts bucket). Plain TS, no CDKTF.

import { readFileSync } from "node:fs";
import type { NodeDownloads } from "./bootstrap.ts";
import type { Architecture } from "./node-image-lookup.ts";

export interface NodeArtifact {
  /** Key in the artifacts bucket: pypi/<file> or maven2/<Maven path>. */
  readonly key: string;
  /** The file's own name (what `stage --from` matches a local file by). */
  readonly fileName: string;
  /** Where it is published: PyPI's file host or the Maven repository. */
  readonly publicUrl: string;
  /** The digest its registry publishes (PyPI: SHA-256), or the one jars.txt pins (SHA-512); lower-case hex. */
  readonly digest: { readonly algorithm: "sha256" | "sha512"; readonly hex: string };
  /** A Python file pip installs into the node's venv, or a jar added to SPARK_HOME/jars. */
  readonly kind: "python" | "jar";
  /** Python only: build tools go in first, then the node's packages (pyspark's sdist builds with them). */
  readonly group?: "build" | "node";
}

export interface ArtifactSources {
  /** A Maven repository (Maven Central unless a site mirrors it). */
  readonly mavenRepo: string;
  /** The cluster's CPU architecture: only its wheels. Absent: every architecture's (what stage uploads). */
  readonly architecture?: Architecture;
}

export const mavenCentral = "https://repo1.maven.org/maven2";

/** Architectures python.txt has wheels for, by `uname -m` (and pip platform tag) name. */
export const wheelArchitectures = ["x86_64", "aarch64"] as const;
export type WheelArchitecture = (typeof wheelArchitectures)[number];

const wheelArchitecture = (architecture: Architecture): WheelArchitecture =>
  architecture === "arm64" ? "aarch64" : "x86_64";

/** pip platform tags a Debian 12 node (glibc 2.36) takes wheels for. */
export function pythonPlatforms(arch: string): string[] {
  return [`manylinux_2_28_${arch}`, `manylinux_2_17_${arch}`, `manylinux2014_${arch}`];
}

interface JarLine {
  readonly versions: string;
  readonly path: string;
  readonly sha512: string;
}

interface PythonLine {
  readonly versions: string;
  readonly arch: "any" | WheelArchitecture;
  readonly group: "build" | "node";
  readonly sha256: string;
  readonly url: string;
}

const jarsFile = new URL("./artifacts/jars.txt", import.meta.url);
const pythonFile = new URL("./artifacts/python.txt", import.meta.url);

/** A file's meaningful lines (comments and blanks dropped), split on blanks, with their line numbers. */
function fieldsOf(file: URL): { fields: string[]; raw: string; line: number }[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .flatMap((raw, index) => {
      const line = raw.replace(/#.*$/, "").trim();
      return line === "" ? [] : [{ fields: line.split(/\s+/), raw, line: index + 1 }];
    });
}

/** The lines of jars.txt; a malformed line is a bug in the repository, reported with its line. */
export function jarLines(file: URL = jarsFile): JarLine[] {
  return fieldsOf(file).map(({ fields, raw, line }) => {
    const [versions, path, sha512, ...rest] = fields;
    if (!versions || !path || !sha512 || rest.length > 0 || !/^[0-9a-f]{128}$/.test(sha512)) {
      throw new Error(`${file.pathname}:${line}: expected "<versions> <maven path> <sha512>", got "${raw}"`);
    }
    return { versions, path, sha512 };
  });
}

/** The lines of python.txt (npm run lock:node-python writes it); a malformed line is a repository bug. */
export function pythonLines(file: URL = pythonFile): PythonLine[] {
  return fieldsOf(file).map(({ fields, raw, line }) => {
    const [versions, arch, group, sha256, url, ...rest] = fields;
    const archOk = arch === "any" || wheelArchitectures.includes(arch as WheelArchitecture);
    if (
      !versions ||
      !archOk ||
      (group !== "build" && group !== "node") ||
      !sha256 ||
      !/^[0-9a-f]{64}$/.test(sha256) ||
      !url?.startsWith("https://") ||
      rest.length > 0
    ) {
      throw new Error(
        `${file.pathname}:${line}: expected "<versions> <any|x86_64|aarch64> <build|node> <sha256> <url>", got "${raw}"`,
      );
    }
    return { versions, arch: arch as PythonLine["arch"], group, sha256, url };
  });
}

/** "3.5.*" matches every 3.5 release, "3.5.0,3.5.1" each one listed; anything else matches itself. */
const matchesVersion = (patterns: string, version: string): boolean =>
  patterns
    .split(",")
    .some((pattern) => (pattern.endsWith(".*") ? version.startsWith(pattern.slice(0, -1)) : pattern === version));

const fileNameOf = (path: string): string => path.split("/").pop() ?? path;

/** Spark `version`'s Python files (build tools first), then its jars, in the order a node installs them. */
export function nodeArtifacts(sparkVersion: string, sources: ArtifactSources): NodeArtifact[] {
  const arch = sources.architecture === undefined ? undefined : wheelArchitecture(sources.architecture);
  const python = pythonLines()
    .filter((line) => matchesVersion(line.versions, sparkVersion))
    .filter((line) => arch === undefined || line.arch === "any" || line.arch === arch)
    .sort((a, b) => (a.group === b.group ? 0 : a.group === "build" ? -1 : 1))
    .map(
      (line): NodeArtifact => ({
        key: `pypi/${fileNameOf(new URL(line.url).pathname)}`,
        fileName: fileNameOf(new URL(line.url).pathname),
        publicUrl: line.url,
        digest: { algorithm: "sha256", hex: line.sha256 },
        kind: "python",
        group: line.group,
      }),
    );
  const jars = jarLines()
    .filter((line) => matchesVersion(line.versions, sparkVersion))
    .map(
      (line): NodeArtifact => ({
        key: `maven2/${line.path}`,
        fileName: fileNameOf(line.path),
        publicUrl: `${sources.mavenRepo.replace(/\/+$/, "")}/${line.path}`,
        digest: { algorithm: "sha512", hex: line.sha512 },
        kind: "jar",
      }),
    );
  return [...python, ...jars];
}

/**
 * The bucket's address for nodes: on aws/s3Endpoint by path when one is set, else its regional
 * virtual-hosted address, which inside the VPC resolves through the S3 gateway endpoint.
 */
export function artifactsBucketUrl(bucket: string, where: { region: string; s3Endpoint?: string }): string {
  if (where.s3Endpoint !== undefined) return `${where.s3Endpoint.replace(/\/+$/, "")}/${bucket}`;
  return `https://${bucket}.s3.${where.region}.amazonaws.com`;
}

/** Where a cluster's nodes fetch from: the artifacts bucket's address, or the public mirror. */
export type DownloadOrigin = { readonly kind: "bucket"; readonly url: string } | { readonly kind: "mirror" };

/** What the user data tells a node to download, and the digest each file must have. */
export function nodeDownloads(artifacts: readonly NodeArtifact[], origin: DownloadOrigin): NodeDownloads {
  const url = (artifact: NodeArtifact) =>
    origin.kind === "bucket" ? `${origin.url.replace(/\/+$/, "")}/${artifact.key}` : artifact.publicUrl;
  const python = artifacts.filter((artifact) => artifact.kind === "python");
  if (!python.some((artifact) => artifact.fileName.startsWith("pyspark-"))) {
    throw new Error("no pyspark among the node's artifacts");
  }
  return {
    python: python.map((artifact) => ({
      url: url(artifact),
      sha256: artifact.digest.hex,
      group: artifact.group ?? "node",
    })),
    jars: artifacts
      .filter((artifact) => artifact.kind === "jar")
      .map((artifact) => ({ url: url(artifact), sha512: artifact.digest.hex })),
  };
}
