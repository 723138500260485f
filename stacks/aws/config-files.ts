// Reads the AWS parameters straight from config/aws.yml. A stand-in until the Consul-backed
// params store (src/params) resolves them with precedence and provenance: only this function
// changes when it lands. Plain TS, no CDKTF.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import { badInput } from "../../src/errors.ts";
import type { AwsParams, VpcConfig } from "../../src/params/types.ts";

export interface AwsConfig {
  readonly aws: AwsParams;
  readonly vpcConfig: VpcConfig;
}

export async function readAwsConfigFiles(configDir: string): Promise<AwsConfig> {
  const file = join(configDir, "aws.yml");
  const text = await readFile(file, "utf8").catch((cause: unknown) => {
    throw badInput(`cannot read ${file}`, { cause, hint: "run from the repository root, or pass --config <dir>" });
  });
  const doc = (parse(text) ?? {}) as Record<string, unknown>;
  const section = (name: string) => {
    const value = doc[name];
    if (typeof value !== "object" || value === null)
      throw badInput(`missing section "${name}:"`, { location: { file } });
    return value as Record<string, unknown>;
  };
  const aws = section("aws");
  const vpc = section("vpc-config");
  const field = <T>(values: Record<string, unknown>, key: string, type: string, prefix: string): T => {
    const value = values[key];
    const ok =
      type === "string[]" ? Array.isArray(value) && value.every((v) => typeof v === "string") : typeof value === type;
    if (!ok) throw badInput(`expected ${type}`, { location: { file }, keyPath: `${prefix}.${key}` });
    return value as T;
  };
  const optional = (key: string) => {
    const value = aws[key];
    return typeof value === "string" && value !== "" ? value : undefined;
  };
  return {
    aws: {
      region: field(aws, "region", "string", "aws"),
      vpcName: field(aws, "vpcName", "string", "aws"),
      baseAmi: field(aws, "baseAmi", "string", "aws"),
      bakedAmi: optional("bakedAmi"),
      sshUser: field(aws, "sshUser", "string", "aws"),
      sshAllowedCidrs: field(aws, "sshAllowedCidrs", "string[]", "aws"),
      sparkMirror: field(aws, "sparkMirror", "string", "aws"),
      buckets: field(aws, "buckets", "string[]", "aws"),
      stateBucket: optional("stateBucket"),
      stateLockTable: optional("stateLockTable"),
    },
    vpcConfig: {
      cidr: field(vpc, "cidr", "string", "vpc-config"),
      azCount: field(vpc, "azCount", "number", "vpc-config"),
      privateSubnets: field(vpc, "privateSubnets", "boolean", "vpc-config"),
    },
  };
}
