// Node bootstrap (EC2 user data), rendered from the real shell files in ./bootstrap/: a header of
// explicit variable assignments, then the parts in order. Every upper-case variable a part reads
// must be given; the header holds exactly those. Plain TS, no CDKTF: tests render and shellcheck it.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { renderLog4j2, renderSparkDefaults, renderSparkEnv, shellQuote } from "../shared/spark-conf.ts";

const bootstrapDir = fileURLToPath(new URL("./bootstrap/", import.meta.url));

export type NodeRole = "master" | "worker";

/** Where things live on a node; the cluster's outputs point at the same places. */
export const nodeLayout = {
  sparkHome: "/opt/spark",
  workDir: "/opt/burst/run",
  masterPort: 7077,
  masterUiPort: 8080,
} as const;

export interface NodeBootstrapInput {
  readonly role: NodeRole;
  readonly sparkVersion: string;
  readonly sparkMirror: string;
  readonly mavenRepo: string;
  /** A baked AMI already has Java 17 and Spark in sparkHome: skip installation. */
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

/** The parts a node of this role runs, in order. */
export function bootstrapParts(role: NodeRole, bakedAmi: boolean): string[] {
  return [
    "ttl-guard.sh",
    "announce-host-key.sh",
    ...(bakedAmi ? [] : ["install-spark.sh"]),
    "configure-spark.sh",
    role === "master" ? "start-master.sh" : "start-worker.sh",
  ];
}

export function renderNodeBootstrap(input: NodeBootstrapInput): string {
  const variables: Record<string, string> = {
    TTL_MINUTES: String(input.ttlMinutes),
    EXPIRES_AT_CALENDAR: systemdCalendar(input.expiresAt),
    SPARK_VERSION: input.sparkVersion,
    SPARK_MIRROR: input.sparkMirror,
    MAVEN_REPO: input.mavenRepo,
    SPARK_HOME: nodeLayout.sparkHome,
    WORK_DIR: nodeLayout.workDir,
    SSH_USER: input.sshUser,
    SPARK_DEFAULTS: renderSparkDefaults({
      s3: { pathStyle: false },
      eventLogDir: `${nodeLayout.workDir}/eventlog`,
      extra: input.sparkConf,
    }),
    SPARK_ENV: renderSparkEnv({ pysparkPython: "python3" }),
    LOG4J2: renderLog4j2(),
    MASTER_HOST: input.masterHost,
    MASTER_PORT: String(nodeLayout.masterPort),
    MASTER_UI_PORT: String(nodeLayout.masterUiPort),
    WORKER_RESOURCES: workerResources(input.workerCores, input.workerMemory),
  };
  return renderScript(`burst ${input.role} bootstrap`, bootstrapParts(input.role, input.bakedAmi), variables);
}

/** Header of the variables the parts read, then the parts (shebang and `set` lines dropped). */
export function renderScript(
  title: string,
  parts: readonly string[],
  variables: Readonly<Record<string, string>>,
): string {
  const bodies = parts.map((part) => ({ part, body: readFileSync(`${bootstrapDir}${part}`, "utf8") }));
  const read = new Set(bodies.flatMap(({ body }) => variablesRead(body)));
  const missing = [...read].filter((name) => variables[name] === undefined);
  if (missing.length > 0) throw new Error(`bootstrap parts read variables nobody gave: ${missing.join(", ")}`);
  const header = [...read].sort().map((name) => assignment(name, variables[name] ?? ""));
  const sections = bodies.map(({ part, body }) => `# ---- ${part} ----\n${stripPreamble(body)}`);
  return [
    "#!/bin/bash",
    `# ${title}, rendered from stacks/aws/bootstrap/ (${parts.join(", ")}).`,
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

function workerResources(cores: number, memory: string): string {
  const flags = [];
  if (cores > 0) flags.push(`--cores ${cores}`);
  if (memory !== "") flags.push(`--memory ${memory}`);
  return flags.join(" ");
}

/** "2025-01-02T03:04:05.000Z" -> "2025-01-02 03:04:05 UTC", a systemd OnCalendar value. */
export function systemdCalendar(iso: string): string {
  const time = new Date(iso);
  if (Number.isNaN(time.getTime())) throw new Error(`not an ISO-8601 time: ${iso}`);
  return `${time.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}
