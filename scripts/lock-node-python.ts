// `npm run lock:node-python`: writes stacks/aws/artifacts/python.txt, every Python file an AWS node
// installs (pyspark's sdist for each supported Spark version, py4j, the node runtime's packages and
// what they pull in, for CPython 3.11 on x86_64 and aarch64, and the build tool pyspark's sdist needs),
// each with the SHA-256 PyPI publishes. Every file is downloaded and its bytes checked against PyPI's
// digest before it is written down: the index and the file host must agree.
// A maintainer's command (it needs PyPI); nodes and tests only read the file it writes.

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pythonPlatforms, wheelArchitectures } from "../stacks/aws/artifacts.ts";
import { pythonPackages } from "../stacks/shared/node/packages.ts";
import { SPARK_LINES } from "../stacks/shared/spark-versions.ts";

const lockFile = fileURLToPath(new URL("../stacks/aws/artifacts/python.txt", import.meta.url));
const index = "https://pypi.org/simple";
/** pyspark's sdist builds with --no-build-isolation on nodes (no index there): setuptools comes with the venv, wheel from here. */
const buildTools = ["wheel==0.45.1"];

interface IndexFile {
  readonly filename: string;
  readonly url: string;
  readonly hashes: { readonly sha256?: string };
}

async function indexFiles(project: string): Promise<IndexFile[]> {
  const response = await fetch(`${index}/${project}/`, { headers: { Accept: "application/vnd.pypi.simple.v1+json" } });
  if (!response.ok) throw new Error(`${index}/${project}/: HTTP ${response.status}`);
  return ((await response.json()) as { files: IndexFile[] }).files;
}

const projectOf = (fileName: string): string => (fileName.split("-")[0] ?? fileName).toLowerCase().replace(/_/g, "-");

async function published(fileName: string): Promise<IndexFile> {
  const file = (await indexFiles(projectOf(fileName))).find((candidate) => candidate.filename === fileName);
  if (!file?.hashes.sha256) throw new Error(`${fileName}: PyPI's index lists no such file with a SHA-256`);
  return file;
}

const sha256Of = (path: string): string => createHash("sha256").update(readFileSync(path)).digest("hex");

async function checkedDownload(file: IndexFile, dir: string): Promise<string> {
  const path = join(dir, file.filename);
  const response = await fetch(file.url);
  if (!response.ok) throw new Error(`${file.url}: HTTP ${response.status}`);
  writeFileSync(path, Buffer.from(await response.arrayBuffer()));
  return path;
}

/** `pip download` of binary wheels for CPython 3.11 on one architecture: pip resolves, we record. */
function resolveWheels(requirements: readonly string[], arch: string, dir: string): string[] {
  execFileSync(
    "python3",
    [
      "-m",
      "pip",
      "download",
      "--quiet",
      "--disable-pip-version-check",
      "--only-binary=:all:",
      "--python-version",
      "3.11",
      "--implementation",
      "cp",
      "--abi",
      "cp311",
      ...pythonPlatforms(arch).flatMap((platform) => ["--platform", platform]),
      "--dest",
      dir,
      ...requirements,
    ],
    {
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, PIP_FIND_LINKS: "", PIP_CONFIG_FILE: "/dev/null" },
    },
  );
  return readdirSync(dir).filter((name) => name.endsWith(".whl"));
}

/** pyspark's own requirement (py4j==...), read from its sdist's setup.py. */
function pysparkRequires(sdist: string, version: string): string[] {
  const setup = execFileSync("tar", ["-xzOf", sdist, `pyspark-${version}/setup.py`], {
    maxBuffer: 64 << 20,
  }).toString();
  const match = /install_requires=\[([^\]]*)\]/.exec(setup);
  if (!match?.[1]) throw new Error(`pyspark ${version}: no install_requires in its setup.py`);
  return [...match[1].matchAll(/"([^"]+)"/g)].map((m) => m[1] ?? "");
}

interface LockLine {
  readonly versions: string;
  readonly arch: string;
  readonly group: "build" | "node";
  readonly sha256: string;
  readonly url: string;
}

async function main(): Promise<void> {
  const lines: LockLine[] = [];
  const scratch = await mkdtemp(join(tmpdir(), "lock-node-python-"));
  try {
    for (const sparkLine of SPARK_LINES) {
      const requires = new Set<string>();
      for (const version of sparkLine.versions) {
        const sdist = await published(`pyspark-${version}.tar.gz`);
        const path = await checkedDownload(sdist, scratch);
        if (sha256Of(path) !== sdist.hashes.sha256)
          throw new Error(`${sdist.url}: bytes differ from the index's SHA-256`);
        for (const requirement of pysparkRequires(path, version)) requires.add(requirement);
        await rm(path);
        lines.push({
          versions: version,
          arch: "any",
          group: "node",
          sha256: sdist.hashes.sha256 ?? "",
          url: sdist.url,
        });
        console.error(`pyspark ${version}: ${sdist.hashes.sha256}`);
      }
      const requirements = [...requires, ...pythonPackages(sparkLine.versions[0] ?? "")];
      const seen = new Map<string, LockLine>();
      for (const [group, wanted] of [
        ["build", buildTools],
        ["node", requirements],
      ] as const) {
        for (const arch of wheelArchitectures) {
          const dir = await mkdtemp(join(scratch, `${group}-${arch}-`));
          for (const wheel of resolveWheels(wanted, arch, dir)) {
            const file = await published(wheel);
            if (sha256Of(join(dir, wheel)) !== file.hashes.sha256)
              throw new Error(`${wheel}: bytes differ from PyPI's SHA-256`);
            const pure = /-none-any\.whl$/.test(wheel);
            const line: LockLine = {
              versions: `${sparkLine.line}.*`,
              arch: pure ? "any" : arch,
              group,
              sha256: file.hashes.sha256 ?? "",
              url: file.url,
            };
            seen.set(`${group} ${line.arch} ${wheel}`, line);
          }
        }
      }
      const order = (l: LockLine) => `${l.group === "build" ? 0 : 1} ${l.url.split("/").pop()}`;
      lines.push(...[...seen.values()].sort((a, b) => order(a).localeCompare(order(b))));
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const header = [
    "# Every Python file an AWS node installs, written by `npm run lock:node-python` (do not edit by hand):",
    "# pyspark's sdist per Spark version, then per Spark line the wheels of py4j and the node runtime's",
    "# packages (stacks/shared/node/python-packages.txt, stacks/shared/node-python/spark-<line>.txt) with",
    "# what they pull in, for CPython 3.11 (Debian 12's python3), and the build tool pyspark's sdist needs.",
    "# `npm run vpc -- stage` puts them in the artifacts bucket under pypi/; a node checks each against",
    "# its SHA-256 (the one PyPI publishes; the command checked the downloaded bytes against it) and",
    "# pip-installs exactly these files, from no index.",
    "#   <Spark versions>  <arch: any|x86_64|aarch64>  <build|node>  <SHA-256>  <URL on PyPI's file host>",
  ];
  writeFileSync(
    lockFile,
    `${[...header, ...lines.map((l) => `${l.versions}  ${l.arch}  ${l.group}  ${l.sha256}  ${l.url}`)].join("\n")}\n`,
  );
  console.error(`wrote ${lines.length} files to ${lockFile}`);
}

await main();
