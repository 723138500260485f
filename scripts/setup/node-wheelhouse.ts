// setup-tests.sh's step: the Python files an AWS node of this machine's architecture installs
// (stacks/aws/artifacts/python.txt: pyspark's sdist, py4j, numpy/pandas/pyarrow...), fetched once
// from PyPI into <cache>/pypi/ and checked against PyPI's SHA-256, so the booted-node test and the
// AWS twin stage them into their emulated artifacts bucket with no network.
// Usage: node --import tsx scripts/setup/node-wheelhouse.ts [SPARK_VERSION...]; prints the folder.

import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { arch } from "node:os";
import { join } from "node:path";
import { cacheRoot } from "../../src/home.ts";
import { type NodeArtifact, nodeArtifacts } from "../../stacks/aws/artifacts.ts";

export const wheelhouseDir = (): string => join(cacheRoot(), "pypi");

/** This machine's node architecture (the containers boot the host's own). */
export const hostArchitecture = () => (arch() === "arm64" ? ("arm64" as const) : ("x86_64" as const));

/** The python files of Spark `version` for this machine, and where each is (or would be) cached. */
export function wheelhouseFiles(version: string): { artifact: NodeArtifact; path: string }[] {
  return nodeArtifacts(version, { mavenRepo: "", architecture: hostArchitecture() })
    .filter((artifact) => artifact.kind === "python")
    .map((artifact) => ({ artifact, path: join(wheelhouseDir(), artifact.fileName) }));
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

export async function fillWheelhouse(versions: readonly string[], log: (line: string) => void): Promise<void> {
  await mkdir(wheelhouseDir(), { recursive: true });
  for (const { artifact, path } of versions.flatMap(wheelhouseFiles)) {
    if (existsSync(path) && (await sha256Of(path)) === artifact.digest.hex) continue;
    const response = await fetch(artifact.publicUrl);
    if (!response.ok) throw new Error(`${artifact.publicUrl}: HTTP ${response.status}`);
    const partial = `${path}.partial`;
    await writeFile(partial, Buffer.from(await response.arrayBuffer()));
    const actual = await sha256Of(partial);
    if (actual !== artifact.digest.hex) {
      throw new Error(`${artifact.publicUrl}: SHA-256 ${actual}, PyPI publishes ${artifact.digest.hex}`);
    }
    await rename(partial, path);
    log(`  fetched ${artifact.fileName}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const versions = process.argv.slice(2);
  await fillWheelhouse(versions.length > 0 ? versions : ["3.5.3"], (line) => process.stderr.write(`${line}\n`));
  console.log(wheelhouseDir());
}
