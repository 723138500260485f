// CLI start-up: `burst --help` (Node + tsx + the CLI's imports) against a bare `node -e 0`, with
// tsx on an empty file in between to tell the TypeScript loader from the CLI's own imports.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { run } from "../../src/util/exec.ts";
import { type Sample, sample } from "./stats.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

export interface StartupResult {
  readonly helpMs: Sample;
  readonly nodeMs: Sample;
  /** node --import tsx on an empty .ts file: the loader's share. */
  readonly tsxMs: Sample;
  /** burst --help median / node -e 0 median. */
  readonly ratio: number;
}

export async function measureStartup(repetitions: number): Promise<StartupResult> {
  const scratch = await mkdtemp(join(tmpdir(), "burst-bench-startup-"));
  const empty = join(scratch, "empty.ts");
  await writeFile(empty, "export {};\n");
  const help: number[] = [];
  const bare: number[] = [];
  const tsx: number[] = [];
  const timed = async (args: string[], into: number[]) => {
    const began = performance.now();
    const result = await run(process.execPath, args, { cwd: repoRoot, env: { NO_COLOR: "1" }, timeoutMs: 60_000 });
    into.push(performance.now() - began);
    if (result.code !== 0) throw new Error(`node ${args.join(" ")} exited with ${result.code}: ${result.stderr}`);
  };
  try {
    // Alternate, so a busy moment on the machine hits every command alike.
    for (let round = 0; round < repetitions; round++) {
      await timed(["--import", "tsx", join(repoRoot, "scripts", "burst.ts"), "--help"], help);
      await timed(["-e", "0"], bare);
      await timed(["--import", "tsx", empty], tsx);
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const helpMs = sample(help);
  const nodeMs = sample(bare);
  return { helpMs, nodeMs, tsxMs: sample(tsx), ratio: helpMs.median / nodeMs.median };
}
