// CLI start-up: `burst --help` and `burst validate <example>` as `npm run burst` runs them (the
// compiled CLI behind scripts/run.mjs, no TypeScript loader) against a bare `node -e 0`. Each
// round runs all three back to back, in a rotating order, and yields one ratio per command:
// a busy moment on the shared machine then skews one round's pair, not one side of every pair.

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { run } from "../../src/util/exec.ts";
import { type Sample, sample } from "./stats.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const launcher = join(repoRoot, "scripts", "run.mjs");
export const validatedSpec = "examples/wordcount/spark.yml";

export interface StartupResult {
  readonly nodeMs: Sample;
  readonly helpMs: Sample;
  readonly validateMs: Sample;
  /** Per round: burst --help / node -e 0 of the same round. */
  readonly helpRatio: Sample;
  /** Per round: burst validate / node -e 0 of the same round. */
  readonly validateRatio: Sample;
}

const commands = {
  node: ["-e", "0"],
  help: [launcher, "burst", "--help"],
  validate: [launcher, "burst", "validate", validatedSpec],
} as const;
type Command = keyof typeof commands;

async function timed(command: Command): Promise<number> {
  const began = performance.now();
  // No Consul: validate reads config/*.yml, as on a machine without one.
  const result = await run(process.execPath, [...commands[command]], {
    cwd: repoRoot,
    env: { NO_COLOR: "1", CONSUL_HTTP_ADDR: undefined },
    timeoutMs: 120_000,
  });
  const ms = performance.now() - began;
  if (result.code !== 0)
    throw new Error(`node ${commands[command].join(" ")} exited with ${result.code}: ${result.stderr}`);
  return ms;
}

export async function measureStartup(rounds: number): Promise<StartupResult> {
  // Unmeasured: compiles dist/ if a source changed, and warms the file cache.
  for (const command of Object.keys(commands) as Command[]) await timed(command);
  const times: Record<Command, number[]> = { node: [], help: [], validate: [] };
  const order: Command[] = ["node", "help", "validate"];
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < order.length; i++) {
      const command = order[(round + i) % order.length] as Command;
      times[command].push(await timed(command));
    }
  }
  const perRound = (command: Command) => times[command].map((ms, round) => ms / (times.node[round] ?? Number.NaN));
  return {
    nodeMs: sample(times.node),
    helpMs: sample(times.help),
    validateMs: sample(times.validate),
    helpRatio: sample(perRound("help")),
    validateRatio: sample(perRound("validate")),
  };
}
