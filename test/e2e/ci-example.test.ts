// examples/ci as a CI runner runs it, on the local target: the GitHub Actions workflow's `run:`
// steps, in order, with CI=true, GITHUB_ACTIONS=true, no TTY and no stdin, the job's env with its
// ${{ }} expressions evaluated as Actions would (vars.BURST_TARGET = local, no Consul), BURST_HOME
// a throwaway one. The `uses:` steps stand for what this machine already has (checkout, Node,
// Java, Go, terraform, the cache); the AWS credentials step does not run on the local target.
// The only change: BURST_CI_OUT points into a temp folder instead of the checkout.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse } from "yaml";
import { type RunResult, run } from "../../src/util/exec.ts";
import { assertNoLeftovers, repoRoot, runDirs, tempBurstHome } from "../helpers/burst.ts";

interface Step {
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
}

const workflow = parse(readFileSync(join(repoRoot, "examples/ci/github-actions.yml"), "utf8")) as {
  jobs: { burst: { env: Record<string, string>; steps: Step[] } };
};
const gitlab = parse(readFileSync(join(repoRoot, "examples/ci/gitlab-ci.yml"), "utf8")) as {
  burst: { script: string[]; retry: { exit_codes: number[] }; artifacts: { when: string; paths: string[] } };
};
const job = workflow.jobs.burst;
const runSteps = job.steps.filter((step): step is Step & { run: string } => step.run !== undefined);

/** What Actions would make of a `${{ a || 'b' }}` expression, for the few contexts the workflow uses. */
function evaluate(text: string, context: Record<string, Record<string, string>>): string {
  return text.replace(/\$\{\{\s*(.+?)\s*\}\}/g, (_, expression: string) => {
    for (const operand of expression.split("||").map((part) => part.trim())) {
      const literal = /^'(.*)'$/.exec(operand);
      const value = literal ? literal[1] : context[operand.split(".")[0] ?? ""]?.[operand.split(".")[1] ?? ""];
      if (value) return value;
    }
    return "";
  });
}

describe("examples/ci on the local target, run as CI runs it", { concurrency: false }, () => {
  let burstHome: string;
  let out: string;
  let env: Record<string, string>;

  before(async () => {
    burstHome = await tempBurstHome();
    out = await mkdtemp(join(tmpdir(), "burst-ci-out-"));
    const context = {
      vars: { BURST_TARGET: "local" },
      secrets: {},
      github: { repository_owner: "burst-tests", ref: "refs/heads/main" },
    };
    env = Object.fromEntries(Object.entries(job.env).map(([key, value]) => [key, evaluate(String(value), context)]));
    env.BURST_CI_OUT = join(out, "burst-out");
  });

  /** One `run:` step as Actions runs it: bash -eo pipefail, stdin /dev/null, output to pipes. */
  function runStep(step: Step & { run: string }, extra: Record<string, string> = {}): Promise<RunResult> {
    return run("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run], {
      cwd: repoRoot,
      env: {
        ...env,
        ...extra,
        CI: "true",
        GITHUB_ACTIONS: "true",
        GITHUB_STEP_SUMMARY: join(out, "step-summary.md"),
        BURST_HOME: burstHome,
        NO_COLOR: undefined,
        CONSUL_HTTP_ADDR: env.CONSUL_HTTP_ADDR,
      },
      timeoutMs: 900_000,
    });
  }

  test("the workflow evaluates to a local burst of the wordcount example", () => {
    assert.equal(env.BURST_TARGET, "local");
    assert.equal(env.BURST_SPEC, "examples/wordcount/spark.yml");
    assert.equal(env.CONSUL_HTTP_ADDR, "", "no Consul: the parameter files are read");
    assert.deepEqual(
      runSteps.map((step) => step.name),
      ["Set up burst", "Run the burst"],
    );
    const credentials = job.steps.find((step) => step.uses?.startsWith("aws-actions/configure-aws-credentials"));
    assert.equal(credentials?.if, "env.BURST_TARGET == 'aws'", "AWS credentials (OIDC) only for the aws target");
  });

  test("the GitLab job runs the same commands, keeps the same artifacts and retries infrastructure failures", () => {
    assert.deepEqual(
      gitlab.burst.script,
      runSteps.map((step) => step.run),
    );
    assert.deepEqual(gitlab.burst.retry.exit_codes, [3]);
    assert.equal(gitlab.burst.artifacts.when, "always");
    assert.deepEqual(gitlab.burst.artifacts.paths, ["burst-out/"]);
  });

  test("its run steps set up burst and run the burst: events, manifest and summary kept, exit 0", async () => {
    for (const step of runSteps) {
      const result = await runStep(step);
      assert.equal(result.code, 0, `step "${step.name}" failed:\n${result.stdout}\n${result.stderr}`);
      if (step.name === "Run the burst") {
        assert.ok(result.stdout.includes("burst: succeeded (exit 0)"), result.stdout);
        assert.ok(!result.stdout.includes("::error"), result.stdout);
      }
    }
    const dir = env.BURST_CI_OUT ?? "";
    const events = (await readFile(join(dir, "events.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const end = events.find((event) => event.type === "run-end");
    assert.equal(end?.outcome, "succeeded");
    assert.ok(events.some((event) => event.type === "job-log" && /^top words: /.test(String(event.line))));
    const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8"));
    assert.equal(manifest.runId, end?.runId);
    assert.equal(manifest.outcome, "succeeded");
    assert.match(await readFile(join(dir, "summary.txt"), "utf8"), new RegExp(`^run ${end?.runId}: succeeded in `));
    assert.match(await readFile(join(out, "step-summary.md"), "utf8"), /### burst: succeeded \(exit 0\)/);
    for (const runDir of await runDirs(burstHome)) await assertNoLeftovers(runDir);
  });

  test("a bad spec fails the job with exit 2, an error annotation and its events, provisioning nothing", async () => {
    const bad = join(out, "spark.yml");
    await writeFile(
      bad,
      "name: ci-bad\ncode: { repo: . }\njob: { type: pyspark, entrypoint: main.py }\ncluster: { workers: two }\n",
    );
    const step = runSteps.find((s) => s.name === "Run the burst");
    assert.ok(step);
    const before = (await runDirs(burstHome)).length;
    const result = await runStep(step, { BURST_SPEC: bad, BURST_CI_OUT: join(out, "bad-out") });
    assert.equal(result.code, 2, `${result.stdout}\n${result.stderr}`);
    assert.ok(
      result.stdout.includes("::error title=burst::bad input: nothing was provisioned (exit 2)"),
      result.stdout,
    );
    const events = (await readFile(join(out, "bad-out", "events.jsonl"), "utf8")).trim().split("\n");
    const end = JSON.parse(events[events.length - 1] ?? "{}");
    assert.equal(end.type, "run-end");
    assert.equal(end.exitCode, 2);
    assert.match(String(end.message), /cluster\.workers: expected integer, found string "two"/);
    assert.ok(!existsSync(join(out, "bad-out", "manifest.json")));
    assert.equal((await runDirs(burstHome)).length, before);
  });

  after(async () => {
    for (const runDir of await runDirs(burstHome)) await assertNoLeftovers(runDir);
    await unlink(join(burstHome, "cache"));
    await rm(burstHome, { recursive: true, force: true });
    await rm(out, { recursive: true, force: true });
  });
});
