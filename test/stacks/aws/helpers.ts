// Shared by the AWS stack tests: example props, synthesis to parsed cdk.tf.json, and a walk of
// the references between resources (depends_on and ${...} interpolations alike).

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TerraformStack } from "cdktf";
import { Testing } from "cdktf";
import type { AwsParams, VpcConfig } from "../../../src/targets/aws/params.ts";
import { ensureTerraform } from "../../../src/terraform/binary.ts";
import { type SparkClusterProps, SparkClusterStack } from "../../../stacks/aws/spark-cluster-stack.ts";
import { VpcStack, type VpcStackProps } from "../../../stacks/aws/vpc-stack.ts";

export const params: AwsParams = {
  region: "eu-west-1",
  vpcName: "main",
  baseAmi: "ami-0base000000000000",
  sshUser: "admin",
  sshAllowedCidrs: ["203.0.113.0/24"],
  sshWaitSeconds: 900,
  bootMinutes: 15,
  bakedBootMinutes: 3,
  sshAddress: "public",
  downloads: "bucket",
  buckets: ["burst-results", "burst-data"],
};

export const vpc = {
  vpcId: "vpc-0example",
  subnetIds: ["subnet-0aaa", "subnet-0bbb", "subnet-0ccc"],
  securityGroupId: "sg-0cluster",
  instanceProfileName: "burst-main-node",
  artifactsBucket: "burst-main-artifacts-0example",
};

export const publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHexamplekeyexamplekeyexamplekeyexample burst-run";

export function clusterProps(overrides: Partial<SparkClusterProps> = {}): SparkClusterProps {
  return {
    runId: "20250101-0200-wordcount-ab12",
    name: "wordcount",
    owner: "alice",
    commit: "0123abc",
    expiresAt: "2025-01-01T04:00:00.000Z",
    workers: 4,
    masterInstanceType: "m5.xlarge",
    workerInstanceType: "m5.2xlarge",
    spot: true,
    maxPrice: 0.2,
    spotFallback: true,
    sparkVersion: "3.5.3",
    diskGb: 80,
    ttlMinutes: 120,
    workerCores: 8,
    workerMemory: "28g",
    params,
    vpc,
    sshPublicKey: publicKey,
    callerCidr: "198.51.100.7/32",
    sparkConf: { "spark.sql.shuffle.partitions": "64" },
    tags: { team: "data" },
    ...overrides,
  };
}

export function vpcProps(overrides: Partial<VpcStackProps> = {}, config: Partial<VpcConfig> = {}): VpcStackProps {
  return {
    params,
    vpcConfig: { cidr: "10.42.0.0/16", azCount: 3, privateSubnets: false, ...config },
    localStateDir: "/var/lib/burst/state",
    ...overrides,
  };
}

export type Block = Record<string, unknown>;

/** Synthesized JSON read by path in assertions, which check its shape themselves. */
// biome-ignore lint/suspicious/noExplicitAny: assertions below each access check the shape.
export type Json = any;

export interface Synthesized {
  readonly resource: Record<string, Record<string, Block>>;
  readonly data?: Record<string, Record<string, Block>>;
  readonly locals?: Record<string, string>;
  readonly output: Record<string, { value: unknown }>;
  readonly provider: { aws: { region: string; default_tags: { tags: Record<string, string> }[] }[] };
  readonly terraform: { backend?: Record<string, Block> };
}

export function synthCluster(overrides: Partial<SparkClusterProps> = {}): Synthesized {
  return synth((app) => new SparkClusterStack(app, "cluster", clusterProps(overrides)));
}

export function synthVpc(overrides: Partial<VpcStackProps> = {}, config: Partial<VpcConfig> = {}): Synthesized {
  return synth((app) => new VpcStack(app, "vpc", vpcProps(overrides, config)));
}

function synth(build: (app: ReturnType<typeof Testing.app>) => TerraformStack): Synthesized {
  return JSON.parse(Testing.synth(build(Testing.app()))) as Synthesized;
}

/** Every resource as [type, name, block]. */
export function resources(config: Synthesized): [string, string, Block][] {
  return Object.entries(config.resource).flatMap(([type, byName]) =>
    Object.entries(byName).map(([name, block]): [string, string, Block] => [type, name, block]),
  );
}

/** The blocks of one resource type. */
export function blocks(config: Synthesized, type: string): Block[] {
  return Object.values(config.resource[type] ?? {});
}

export function only(config: Synthesized, type: string): Block {
  const found = blocks(config, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0] as Block;
}

/** Addresses ("aws_x.name", "data.aws_x.name", "local.name") a block refers to, by depends_on or interpolation. */
export function referencesOf(block: unknown): Set<string> {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === "string") {
      // "$${" is an escaped, literal "${": not a reference.
      const live = value.replaceAll("$${", "");
      for (const [, expression = ""] of live.matchAll(/\$\{([^}]*)\}/g)) {
        for (const [address = ""] of expression.matchAll(
          /\b(?:data\.aws_[a-z0-9_]+|aws_[a-z0-9_]+|local)\.[A-Za-z0-9_-]+/g,
        )) {
          found.add(address);
        }
      }
      // depends_on entries are bare addresses.
      if (/^(?:data\.)?aws_[a-z0-9_]+\.[A-Za-z0-9_-]+$/.test(value)) found.add(value);
    } else if (Array.isArray(value)) {
      value.forEach(visit);
    } else if (typeof value === "object" && value !== null) {
      Object.values(value).forEach(visit);
    }
  };
  visit(block);
  return found;
}

/** Every address that `address` needs before it can be created, directly or through others. */
export function transitiveDependencies(config: Synthesized, address: string): Set<string> {
  const blockAt = (at: string): unknown => {
    const [first = "", second = "", third = ""] = at.split(".");
    if (first === "local") return config.locals?.[second];
    if (first === "data") return config.data?.[second]?.[third];
    return config.resource[first]?.[second];
  };
  const seen = new Set<string>();
  const pending = [...referencesOf(blockAt(address))];
  while (pending.length > 0) {
    const next = pending.pop() as string;
    if (seen.has(next)) continue;
    seen.add(next);
    pending.push(...referencesOf(blockAt(next)));
  }
  return seen;
}

/** How the master's private address (a terraform local computed from its subnet) appears in user data. */
export const masterIpReference = /\$\{local\.master_private_ip_[A-Za-z0-9]+\}/g;

/** The user data script a launch template carries, as the node will see it (master IP filled in). */
export function userDataScript(config: Synthesized, role: "master" | "worker", masterIp = "10.42.0.10"): string {
  const template = blocks(config, "aws_launch_template").find((lt) => String(lt.name).endsWith(`-${role}`));
  const local = /^\$\{base64gzip\(local\.([A-Za-z0-9_]+)\)\}$/.exec(String(template?.user_data))?.[1];
  const text = local === undefined ? undefined : config.locals?.[local];
  if (text === undefined) throw new Error(`no user data local for the ${role}`);
  return text.replace(masterIpReference, masterIp).replaceAll("$${", "${").replaceAll("%%{", "%{");
}

/**
 * Terraform expressions evaluated by the real terraform, offline (no provider): a config of
 * `locals` and one output per expression (written as "${...}"), applied in a temp folder.
 * Returns each output's value.
 */
export async function evaluateWithTerraform(
  expressions: Readonly<Record<string, string>>,
  locals: Readonly<Record<string, string>> = {},
): Promise<Record<string, string>> {
  const terraform = (await ensureTerraform(() => {})).binary;
  const dir = mkdtempSync(join(tmpdir(), "burst-evaluate-"));
  try {
    const output = Object.fromEntries(Object.entries(expressions).map(([name, value]) => [name, { value }]));
    writeFileSync(join(dir, "main.tf.json"), JSON.stringify({ locals, output }));
    const env = { ...process.env, TF_CLI_CONFIG_FILE: "", CHECKPOINT_DISABLE: "1" };
    execFileSync(terraform, ["init", "-input=false"], { cwd: dir, env, stdio: "pipe" });
    execFileSync(terraform, ["apply", "-auto-approve", "-input=false"], { cwd: dir, env, stdio: "pipe" });
    const evaluated = JSON.parse(execFileSync(terraform, ["output", "-json"], { cwd: dir, env, encoding: "utf8" }));
    return Object.fromEntries(
      Object.entries(evaluated).map(([name, value]) => [name, String((value as { value: unknown }).value)]),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
