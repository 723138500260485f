// Node bootstrap (EC2 user data), rendered from real shell files: the host-key announcement, the
// node role every target runs (stacks/shared/node/role.sh), the AWS platform layer under it, and
// the entry point. A header of explicit variable assignments comes first: every upper-case
// variable a part reads must be given, and the header holds exactly those. Plain TS, no CDKTF:
// tests render and shellcheck it.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { shellQuote } from "../../src/util/shell.ts";
import { readPackageList } from "../shared/node/packages.ts";
import { renderLog4j2, renderSparkDefaults, renderSparkEnv } from "../shared/spark-conf.ts";

const stacksDir = fileURLToPath(new URL("../", import.meta.url));

export type NodeRole = "master" | "worker";

/** Where things live on a node; the cluster's outputs point at the same places. */
export const nodeLayout = {
  sparkHome: "/opt/spark",
  workDir: "/opt/burst/run",
  /** Markers (bootstrap.ready / bootstrap.failed) and bootstrap.log. */
  stateDir: "/var/lib/burst",
  /** Where the CLI writes the run's Spark authentication secret over SSH (root, 0600). */
  sparkAuthSecretFile: "/var/lib/burst/spark-auth.secret",
  /** The venv drivers and executors run Python from (PYSPARK_PYTHON). */
  pythonVenv: "/opt/burst/python",
  masterPort: 7077,
  masterUiPort: 8080,
} as const;

/** Debian packages a base-image node installs (the container test's root pre-installs the same file). */
export function debianPackages(): string[] {
  return readPackageList(new URL("./bootstrap/debian-packages.txt", import.meta.url));
}

/** How long a worker waits for the master's port: the master installs Spark meanwhile. */
const masterWaitSeconds = 1200;
/** How long a node waits for the CLI to deliver the auth secret (it does so once the node's host key shows). */
const secretWaitSeconds = 1200;

/** A node's downloads: the artifacts bucket's objects, or PyPI's and Maven Central's files (aws/downloads). */
export interface NodeDownloads {
  /** pyspark's sdist and the wheels of artifacts/python.txt for the node's architecture, build tools first. */
  readonly python: readonly { readonly url: string; readonly sha256: string; readonly group: "build" | "node" }[];
  readonly jars: readonly { readonly url: string; readonly sha512: string }[];
}

export interface NodeBootstrapInput {
  readonly role: NodeRole;
  readonly sparkVersion: string;
  /** The run's region: s3a signs for it (fs.s3a.endpoint.region). */
  readonly region: string;
  /** aws/s3Endpoint: the S3 endpoint s3a uses, addressed by path; absent: AWS's regional one. */
  readonly s3Endpoint?: string;
  /** Where pyspark, the node's Python packages and the jars come from, and the digest each must have. */
  readonly downloads: NodeDownloads;
  /** A baked AMI already has Java 17, the venv and Spark in sparkHome (the role then skips installation). */
  readonly bakedAmi: boolean;
  readonly ttlMinutes: number;
  /** ISO-8601; the on-disk timer fires then even across reboots. */
  readonly expiresAt: string;
  /** The master's private address (literal IP, or a terraform reference the stack splices in). */
  readonly masterHost: string;
  readonly sshUser: string;
  readonly workerCores: number;
  readonly workerMemory: string;
  /** Extra spark-defaults settings from parameters. */
  readonly sparkConf: Readonly<Record<string, string>>;
}

/** The parts of every node's user data, in order, relative to stacks/. */
export const bootstrapParts = [
  "aws/bootstrap/announce-host-key.sh",
  "shared/node/role.sh",
  "aws/bootstrap/platform.sh",
  "aws/bootstrap/main.sh",
] as const;

export function renderNodeBootstrap(input: NodeBootstrapInput): string {
  return renderScript(`burst ${input.role} bootstrap`, bootstrapParts, nodeVariables(input));
}

/** The parts of an image builder's user data: the role (in its bake mode) on the AWS platform. */
export const bakeParts = ["shared/node/role.sh", "aws/bootstrap/platform.sh", "aws/bootstrap/bake.sh"] as const;

/** What a builder's boot needs: where the install steps download from, and when it stops itself. */
export interface BakeBootstrapInput {
  readonly sparkVersion: string;
  readonly region: string;
  readonly s3Endpoint?: string;
  readonly downloads: NodeDownloads;
  readonly sshUser: string;
  /** The builder powers itself off this long after boot, whatever happens to the CLI. */
  readonly ttlMinutes: number;
}

/** An image builder's user data: the same role and platform as a node's boot, run in bake mode. */
export function renderBakeBootstrap(input: BakeBootstrapInput): string {
  // A run's settings (master, worker sizing, conf) are read by parts of the role bake mode never runs.
  const variables = nodeVariables({
    ...input,
    role: "worker",
    bakedAmi: false,
    expiresAt: new Date(0).toISOString(),
    masterHost: "127.0.0.1",
    workerCores: 0,
    workerMemory: "",
    sparkConf: {},
  });
  return renderScript("burst image builder", bakeParts, { ...variables, NODE_ROLE: "builder", NODE_NAME: "builder" });
}

/** The files whose content decides what a baked image holds and how its nodes boot. */
export const roleFiles = [
  ...new Set([...bootstrapParts, ...bakeParts]),
  "aws/bootstrap/debian-packages.txt",
  "shared/node/python-packages.txt",
  "aws/artifacts/python.txt",
  "aws/artifacts/jars.txt",
] as const;

/**
 * The node role's content hash (16 hex digits of SHA-256 over roleFiles, names and contents): a
 * baked image carries it as a tag; a burst whose role hashes otherwise boots from the base image.
 */
export function nodeRoleHash(): string {
  const hash = createHash("sha256");
  for (const file of roleFiles) hash.update(`${file}\0${readFileSync(`${stacksDir}${file}`, "utf8")}\0`);
  return hash.digest("hex").slice(0, 16);
}

function nodeVariables(input: NodeBootstrapInput): Record<string, string> {
  const pythonExec = `${nodeLayout.pythonVenv}/bin/python`;
  return {
    NODE_ROLE: input.role,
    NODE_NAME: input.role,
    STATE_DIR: nodeLayout.stateDir,
    NODE_PACKAGES: debianPackages().join(" "),
    PYTHON_VENV: nodeLayout.pythonVenv,
    PYTHON_FILES: input.downloads.python.map((file) => `${file.sha256} ${file.group} ${file.url}`).join("\n"),
    PYSPARK_PYTHON: pythonExec,
    TTL_MINUTES: String(input.ttlMinutes),
    EXPIRES_AT_CALENDAR: systemdCalendar(input.expiresAt),
    SPARK_VERSION: input.sparkVersion,
    SPARK_JARS: input.downloads.jars.map((jar) => `${jar.sha512} ${jar.url}`).join("\n"),
    SPARK_HOME: nodeLayout.sparkHome,
    SPARK_CONF_DIR: `${nodeLayout.sparkHome}/conf`,
    SPARK_LOCAL_IP: "",
    WORK_DIR: nodeLayout.workDir,
    SSH_USER: input.sshUser,
    SPOT_WATCH_SCRIPT: readFileSync(`${stacksDir}shared/node/spot-watch.sh`, "utf8"),
    SPARK_DEFAULTS: renderSparkDefaults({
      s3:
        input.s3Endpoint === undefined
          ? { pathStyle: false, region: input.region }
          : { endpoint: input.s3Endpoint, pathStyle: true, region: input.region },
      eventLogDir: `${nodeLayout.workDir}/eventlog`,
      extra: input.sparkConf,
    }),
    SPARK_ENV: renderSparkEnv({ pysparkPython: pythonExec }),
    LOG4J2: renderLog4j2(),
    MASTER_HOST: input.masterHost,
    MASTER_PORT: String(nodeLayout.masterPort),
    MASTER_UI_PORT: String(nodeLayout.masterUiPort),
    MASTER_WAIT_SECONDS: String(masterWaitSeconds),
    WORKER_HOST: "",
    WORKER_PORT: "",
    WORKER_UI_PORT: "",
    WORKER_CORES: String(input.workerCores),
    WORKER_MEMORY: input.workerMemory,
    WORKER_DIR: "/var/lib/spark/work",
    SPARK_AUTH_SECRET_FILE: nodeLayout.sparkAuthSecretFile,
    SECRET_WAIT_SECONDS: String(secretWaitSeconds),
  };
}

/** Header of the variables the parts read, then the parts (shebang and `set` lines dropped). */
export function renderScript(
  title: string,
  parts: readonly string[],
  variables: Readonly<Record<string, string>>,
): string {
  const bodies = parts.map((part) => ({ part, body: readFileSync(`${stacksDir}${part}`, "utf8") }));
  const read = new Set(bodies.flatMap(({ body }) => variablesRead(body)));
  const missing = [...read].filter((name) => variables[name] === undefined);
  if (missing.length > 0) throw new Error(`bootstrap parts read variables nobody gave: ${missing.join(", ")}`);
  const header = [...read].sort().map((name) => assignment(name, variables[name] ?? ""));
  const sections = bodies.map(({ part, body }) => `# ---- ${part} ----\n${stripPreamble(body)}`);
  return [
    "#!/bin/bash",
    `# ${title}, rendered from stacks/ (${parts.join(", ")}).`,
    "set -euo pipefail",
    ...header,
    "",
    sections.join("\n"),
  ].join("\n");
}

/** Upper-case variables a part reads and does not assign itself. */
export function variablesRead(script: string): string[] {
  const assigned = new Set([...script.matchAll(/^\s*(?:export\s+)?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
  const read = [...script.matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)].map((m) => m[1] ?? "");
  return [...new Set(read)].filter((name) => !assigned.has(name));
}

function assignment(name: string, value: string): string {
  // A "$" or backtick in a value is data (say a Java option), single-quoted on purpose.
  const literal = /[$`]/.test(value) ? "# shellcheck disable=SC2016\n" : "";
  return `${literal}${name}=${shellQuote(value)}`;
}

function stripPreamble(body: string): string {
  return body
    .split("\n")
    .filter((line) => !line.startsWith("#!") && line !== "set -euo pipefail")
    .join("\n");
}

/** "2025-01-02T03:04:05.000Z" -> "2025-01-02 03:04:05 UTC", a systemd OnCalendar value. */
export function systemdCalendar(iso: string): string {
  const time = new Date(iso);
  if (Number.isNaN(time.getTime())) throw new Error(`not an ISO-8601 time: ${iso}`);
  return `${time.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}
