// Config folders and CLI runs for the parameter tests.

import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunResult, run } from "../../src/util/exec.ts";

const repoRoot = join(import.meta.dirname, "..", "..");

export interface ConfigDir {
  readonly path: string;
  write(name: string, yaml: string): Promise<void>;
  remove(): Promise<void>;
}

/** A temp copy of the repository's config/ folder, to edit freely. */
export async function copyOfRepoConfig(): Promise<ConfigDir> {
  const path = await mkdtemp(join(tmpdir(), "burst-config-"));
  await cp(join(repoRoot, "config"), path, { recursive: true });
  return {
    path,
    write: (name, yaml) => writeFile(join(path, name), yaml),
    remove: () => rm(path, { recursive: true, force: true }),
  };
}

/** config/vpc.yml content declaring `count` VPCs (4 keys each). */
export function vpcFile(count: number, id = "0"): string {
  const hex = (n: number) => n.toString(16).padStart(16, id);
  const lines = ["vpc:"];
  for (let i = 0; i < count; i++) {
    lines.push(
      `  v${i}:`,
      `    vpcId: vpc-${hex(i)}0`,
      `    subnetIds: [subnet-${hex(i)}1, subnet-${hex(i)}2]`,
      `    securityGroupId: sg-${hex(i)}3`,
      `    instanceProfileName: profile-${i}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Environment without any Consul or BURST_ variable of the machine running the tests. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of Object.keys(env)) if (/^(CONSUL_|BURST_)/.test(name)) env[name] = undefined;
  return { ...env, ...extra };
}

/** Runs scripts/<script>.ts with exactly the given Consul/BURST environment. */
export function runScript(
  script: "config-push" | "config-show",
  args: readonly string[],
  env: Record<string, string>,
): Promise<RunResult> {
  return run(process.execPath, ["--import", "tsx", join(repoRoot, "scripts", `${script}.ts`), ...args], {
    cwd: repoRoot,
    env: cleanEnv(env),
    timeoutMs: 60_000,
  });
}
