// runBurst without a cluster: the paths a user meets before anything is provisioned (dry run,
// bad input, a signal before synth), with the real spec loader, git and the in-process synthesis.
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { resolveCliParams } from "../../src/cli/validate.ts";
import type { BurstEvent, Phase } from "../../src/lifecycle/events.ts";
import type { Interrupts } from "../../src/lifecycle/interrupts.ts";
import { type BurstRequest, runBurst } from "../../src/lifecycle/run.ts";
import { makeRepo, writeSpec } from "../helpers/burst.ts";

function interrupts(already?: NodeJS.Signals): Interrupts {
  const controller = new AbortController();
  if (already) controller.abort(new Error(`received ${already}`));
  return { signal: controller.signal, received: () => already, dispose: () => {} };
}

async function request(specPath: string, extra: Partial<BurstRequest> = {}) {
  const events: BurstEvent[] = [];
  const burstHome = await mkdtemp(join(tmpdir(), "burst-run-unit-"));
  const req: BurstRequest = {
    specPath,
    dryRun: false,
    keep: false,
    burstHome,
    version: "test",
    sink: (event) => events.push(event),
    secrets: [],
    resolveParams: () => resolveCliParams("local"),
    interrupts: interrupts(),
    ...extra,
  };
  return { req, events, burstHome };
}

const started = (events: BurstEvent[]) =>
  events.flatMap((event) => (event.type === "phase-start" ? [event.phase] : []));

async function spec(extra = ""): Promise<string> {
  const repo = await makeRepo({ "job.sh": "echo hi\n" });
  return writeSpec(`name: unit
code: { repo: ${repo.dir} }
job: { type: shell, entrypoint: job.sh }
cluster: { workers: 1 }
results: s3://unit/runs/
${extra}`);
}

describe("runBurst before anything is provisioned", () => {
  test("a dry run plans in a scratch folder it removes, and creates no run", async () => {
    const scratchRoot = await mkdtemp(join(tmpdir(), "burst-run-unit-tmp-"));
    const previous = process.env.TMPDIR;
    process.env.TMPDIR = scratchRoot;
    try {
      const { req, events, burstHome } = await request(await spec(), { dryRun: true });
      const result = await runBurst(req);
      assert.deepEqual({ code: result.exitCode, outcome: result.outcome }, { code: 0, outcome: "planned" });
      const plan = events.find((event) => event.type === "plan");
      assert.ok(plan && plan.type === "plan");
      assert.ok(plan.lines.includes("# plan (dry run: nothing is provisioned)"), plan.lines.join("\n"));
      assert.ok(
        plan.lines.some((line) => /^stack: \d+ resources$/.test(line)),
        plan.lines.join("\n"),
      );
      assert.deepEqual(started(events), ["params", "validate"]);
      assert.equal(existsSync(join(burstHome, "runs")), false, "no run folder");
      assert.deepEqual(
        readdirSync(scratchRoot).filter((name) => name.startsWith("burst-plan-")),
        [],
        "the scratch folder is gone",
      );
    } finally {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
    }
  });

  test("bad input stops at validate: exit 2, the run-end says why, no run folder", async () => {
    const { req, events, burstHome } = await request(await spec("cluster2: {}\n"));
    const result = await runBurst(req);
    assert.deepEqual({ code: result.exitCode, outcome: result.outcome }, { code: 2, outcome: "bad-input" });
    const end = events.find((event) => event.type === "run-end");
    assert.ok(end && end.type === "run-end");
    assert.match(String(end.message), /cluster2/);
    assert.deepEqual(started(events), ["params", "validate"]);
    assert.equal(result.runDir, undefined);
    assert.equal(existsSync(join(burstHome, "runs")), false);
  });

  test("a signal received during params ends the run (exit 130) before validate, without a folder", async () => {
    const { req, events } = await request(await spec(), { interrupts: interrupts("SIGTERM") });
    const result = await runBurst(req);
    assert.deepEqual({ code: result.exitCode, outcome: result.outcome }, { code: 130, outcome: "interrupted" });
    assert.deepEqual(started(events), ["params"]);
    assert.equal(result.runDir, undefined);
  });

  test("the seams see each phase while its work runs, and are given as an option", async () => {
    const seen: Phase[] = [];
    const { req } = await request(await spec(), {
      dryRun: true,
      seams: {
        duringPhase: async (phase) => {
          seen.push(phase);
        },
      },
    });
    assert.equal((await runBurst(req)).exitCode, 0);
    assert.deepEqual(seen, ["params", "validate"]);
  });
});
