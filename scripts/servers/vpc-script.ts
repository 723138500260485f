// `npm run vpc -- <args>` as its own process, for what deploys or bakes against an emulated AWS
// (the twin, the aws e2e tests, the baked-image bench): the repository's config/, run in a folder
// of the caller's, where vpc.ts writes cdktf.out/ (never the checkout).

import { join } from "node:path";
import { type RunOptions, type RunResult, run } from "../../src/util/exec.ts";

const repoRoot = join(import.meta.dirname, "..", "..");

export function runVpcScript(
  args: readonly string[],
  options: RunOptions & { readonly cwd: string },
): Promise<RunResult> {
  return run(
    process.execPath,
    [
      "--import",
      import.meta.resolve("tsx"),
      join(repoRoot, "scripts", "vpc.ts"),
      ...args,
      "--config",
      join(repoRoot, "config"),
    ],
    options,
  );
}
