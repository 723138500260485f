// The terraform binary every target applies its stacks with: terraform, or OpenTofu (found on
// PATH or in the burst cache, else built there once with `go install`).

import { existsSync } from "node:fs";
import { join } from "node:path";
import { infraError } from "../errors.ts";
import { cacheRoot } from "../home.ts";
import type { Log } from "../install/command.ts";
import { goInstall } from "../install/go.ts";
import { describeFailure, type RunResult, run, which } from "../util/exec.ts";

export const OPENTOFU_MODULE = "github.com/opentofu/opentofu";
export const OPENTOFU_VERSION = "v1.6.3";

export interface TerraformRuntime {
  readonly binary: string;
  readonly name: "terraform" | "tofu";
  readonly version: string;
}

async function identifyTerraform(binary: string): Promise<TerraformRuntime> {
  let r: RunResult;
  try {
    r = await run(binary, ["version"], {
      env: { CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" },
      timeoutMs: 60_000,
    });
  } catch (e) {
    throw infraError(`${binary} version: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const m = /^(Terraform|OpenTofu) v(\S+)/m.exec(r.stdout);
  if (r.code !== 0 || !m?.[2])
    throw infraError(`${binary} is not terraform or OpenTofu: ${describeFailure(`${binary} version`, r)}`);
  return {
    binary,
    name: m[1] === "OpenTofu" ? "tofu" : "terraform",
    version: m[2],
  };
}

/**
 * TERRAFORM_BINARY_NAME (a name on PATH or a path) when set; else terraform on PATH; else tofu on
 * PATH or in the cache; else OpenTofu built with `go install` into the cache.
 */
export async function ensureTerraform(log: Log): Promise<TerraformRuntime> {
  const chosen = process.env.TERRAFORM_BINARY_NAME;
  if (chosen) {
    const p = which(chosen);
    if (!p) {
      throw infraError(
        `TERRAFORM_BINARY_NAME=${chosen} is not ${chosen.includes("/") ? "an executable file" : "on PATH"}`,
        {
          hint: "install it, or unset TERRAFORM_BINARY_NAME to let burst use terraform/tofu from PATH or build OpenTofu",
        },
      );
    }
    return identifyTerraform(p);
  }
  const found = which("terraform") ?? which("tofu");
  if (found) return identifyTerraform(found);
  const cached = join(cacheRoot(), "bin", "tofu");
  if (existsSync(cached)) return identifyTerraform(cached);
  log("terraform: neither terraform nor tofu is on PATH; building OpenTofu");
  const binary = await goInstall(`${OPENTOFU_MODULE}/cmd/tofu`, OPENTOFU_MODULE, OPENTOFU_VERSION, "tofu", log);
  return identifyTerraform(binary);
}
