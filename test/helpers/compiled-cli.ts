// Running the compiled CLI (`node scripts/run.mjs <entry>`, what `npm run burst` runs) with every
// module it loads recorded (test/helpers/record-imports.mjs).
import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunResult, run } from "../../src/util/exec.ts";
import { repoRoot } from "./burst.ts";

const launcher = join(repoRoot, "scripts", "run.mjs");
const recorder = join(repoRoot, "test", "helpers", "record-imports.mjs");

/** Runs `node scripts/run.mjs <args>`; returns the result and every module it loaded (repo-relative). */
export async function runCompiled(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
): Promise<{ result: RunResult; loaded: string[] }> {
  const record = join(tmpdir(), `burst-imports-${process.pid}-${Date.now()}.txt`);
  try {
    const result = await run(process.execPath, ["--import", recorder, launcher, ...args], {
      cwd: repoRoot,
      env: {
        NO_COLOR: "1",
        CONSUL_HTTP_ADDR: undefined,
        BURST_RECORD_IMPORTS: record,
        NODE_OPTIONS: undefined,
        ...env,
      },
      timeoutMs: 300_000,
    });
    const loaded = (await readFile(record, "utf8").catch(() => ""))
      .split("\n")
      .filter(Boolean)
      .map((url) => decodeURIComponent(url.replace(`file://${repoRoot}`, "")));
    return { result, loaded: [...new Set(loaded)] };
  } finally {
    await rm(record, { force: true });
  }
}

/** The npm packages among loaded modules: "yaml", "@cdktf/provider-aws". */
export const packagesOf = (loaded: readonly string[]): Set<string> =>
  new Set(loaded.flatMap((path) => path.match(/^node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? []));
