// The fault matrix on the local target: a signal in every phase, and the faults a real run meets
// (a failing or hanging job, a dropped SSH connection, the S3 server gone at collect time, Consul
// unreachable, an apply that fails halfway, a bad ref or entrypoint). Everything is real: the
// CLI, terraform, Spark, sshd and the S3 server. Each case checks the exit code, that the
// message names the cause, that nothing of the run is left running or locked, that burst left no
// scratch files, and that the logs were kept wherever they could be.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { type Phase, phases } from "../../src/lifecycle/events.ts";
import { run } from "../../src/util/exec.ts";
import {
  assertNoLeftovers,
  makeRepo,
  parseEvents,
  runDirs,
  startBurst,
  tempBurstHome,
  writeSpec,
} from "../helpers/burst.ts";

type BurstEvent = Record<string, unknown>;

/** A job that says it started, sleeps $SLEEP seconds (default 1), then says it finished. */
const sleeper = 'echo "job started"\nsleep "${SLEEP:-1}"\necho "job finished"\n';

interface Outcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly events: BurstEvent[];
  readonly home: string;
  readonly runDir?: string;
  readonly tmp: string;
}

interface CaseOptions {
  /** Files of the job's repository. */
  readonly files?: Record<string, string>;
  /** The spec, given the repository folder. */
  readonly spec?: (repo: string) => string;
  readonly env?: Record<string, string | undefined>;
  /** Called with each --json event as it arrives, the CLI's pid (to signal it) and its BURST_HOME. */
  readonly onEvent?: (event: BurstEvent, pid: number, home: string) => void;
  /** Prepare the BURST_HOME before the run. */
  readonly prepareHome?: (home: string) => Promise<void>;
}

const shellSpec =
  (name: string, extra = "") =>
  (repo: string) =>
    `name: ${name}
code: { repo: ${repo} }
job: { type: shell, entrypoint: job.sh${extra} }
cluster: { workers: 0 }
results: s3://faults/runs/
`;

/** One real `burst <spec> --json` in a BURST_HOME and a TMPDIR of its own. */
async function runCase(options: CaseOptions = {}): Promise<Outcome> {
  const home = await tempBurstHome();
  await options.prepareHome?.(home);
  const tmp = await mkdtemp(join(tmpdir(), "burst-faults-tmp-"));
  const repo = await makeRepo(options.files ?? { "job.sh": sleeper });
  const spec = await writeSpec((options.spec ?? shellSpec("fault"))(repo.dir));
  const child = startBurst([spec, "--json"], {
    burstHome: home,
    env: { TMPDIR: tmp, ...options.env },
    onLine: (line, stream) => {
      if (stream !== "stdout" || !options.onEvent) return;
      let event: BurstEvent;
      try {
        event = JSON.parse(line) as BurstEvent;
      } catch {
        return;
      }
      options.onEvent(event, child.pid ?? 0, home);
    },
  });
  const result = await child.done;
  const [runDir] = await runDirs(home);
  return {
    code: result.code,
    stdout: result.stdout,
    stderr: result.stderr,
    events: parseEvents(result.stdout),
    home,
    runDir,
    tmp,
  };
}

const runEnd = (outcome: Outcome): BurstEvent => {
  const end = outcome.events.find((event) => event.type === "run-end");
  assert.ok(end, `no run-end event; stderr:\n${outcome.stderr}`);
  return end;
};

const phasesStarted = (outcome: Outcome): string[] =>
  outcome.events.filter((event) => event.type === "phase-start").map((event) => String(event.phase));

const warnings = (outcome: Outcome): string[] =>
  outcome.events.filter((event) => event.type === "warning").map((event) => String(event.message));

const jobLines = (outcome: Outcome): string[] =>
  outcome.events.filter((event) => event.type === "job-log").map((event) => String(event.line));

/** The exit code, run-end event and stderr tail, for assertion messages. */
const explain = (outcome: Outcome): string =>
  `exit ${outcome.code}; run-end ${JSON.stringify(outcome.events.find((e) => e.type === "run-end"))}\nstderr:\n${outcome.stderr.slice(-3000)}`;

/**
 * The guarantees every case shares: no process, port or state lock of the run, nothing left in
 * the terraform state, no scratch left by burst in the run folder or in TMPDIR.
 */
async function assertCleanedUp(outcome: Outcome): Promise<void> {
  const tmpLeft = (await readdir(outcome.tmp)).filter((name) => name.startsWith("burst-"));
  assert.deepEqual(tmpLeft, [], "burst left scratch folders in TMPDIR");
  const { runDir } = outcome;
  if (!runDir) return;
  await assertNoLeftovers(runDir);
  const record = JSON.parse(await readFile(join(runDir, "run.json"), "utf8"));
  assert.equal(record.destroyed, true, "run.json says the cluster is destroyed");
  assert.ok(record.outcome, "run.json records the outcome");
  // Apply writes the state; without apply there is none, and nothing to be empty.
  const state = join(runDir, "stack", "stacks", "cluster", "terraform.tfstate");
  const applied = phasesStarted(outcome).includes("apply");
  assert.equal(existsSync(state), applied, applied ? "apply ran: its state is kept" : "no apply: no state");
  if (applied) {
    const resources = (JSON.parse(await readFile(state, "utf8")).resources ?? []) as unknown[];
    assert.equal(resources.length, 0, "the terraform state is empty");
  }
  assert.equal(existsSync(join(runDir, "code", "code.git")), false, "the scratch bare repo is removed");
  assert.equal(existsSync(join(runDir, "run.json.tmp")), false, "no half-written record");
}

/** Files under the run's results prefix in the local S3 server's data folder (plain files). */
async function uploaded(outcome: Outcome, name: string): Promise<string[]> {
  if (!outcome.runDir) return [];
  const runId = outcome.runDir.split("/").pop() ?? "";
  const root = join(outcome.home, "local", "s3", "faults", "runs", name, runId);
  if (!existsSync(root)) return [];
  const files: string[] = [];
  const walk = async (dir: string, prefix: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) await walk(join(dir, entry.name), `${prefix}${entry.name}/`);
      else files.push(`${prefix}${entry.name}`);
    }
  };
  await walk(root, "");
  return files.sort();
}

const localLog = (outcome: Outcome, file: string): string =>
  outcome.runDir && existsSync(join(outcome.runDir, "logs", file))
    ? readFileSync(join(outcome.runDir, "logs", file), "utf8")
    : "";

// ---- signals in every phase ------------------------------------------------------------------

type SignalPhase = Phase;

/**
 * How the signal arrives. Mid-apply and mid-job the test sends it from outside on what the run
 * prints. In the other phases the run signals itself through a test seam (BURST_TEST_SIGNAL_DURING,
 * test/helpers/seamed-cli.ts) once the phase's work has begun, so it lands while that work is in
 * progress, however short the phase is.
 */
function trigger(phase: SignalPhase): { fromInside: boolean; fire: (event: BurstEvent) => boolean } {
  switch (phase) {
    case "apply":
      // Mid-apply: terraform is creating the nodes.
      return {
        fromInside: false,
        fire: (e) => e.type === "terraform" && (e.event as BurstEvent).type === "resource-start",
      };
    case "run":
      return { fromInside: false, fire: (e) => e.type === "job-log" && e.line === "job started" };
    default:
      return { fromInside: true, fire: (e) => e.type === "phase-start" && e.phase === phase };
  }
}

/** The phases that may start after a signal in `phase`: only the teardown ones. */
const after: Record<SignalPhase, string[]> = {
  params: [],
  validate: [],
  synth: [],
  apply: ["destroy"],
  "wait-ready": ["destroy"],
  stage: ["destroy"],
  clone: ["destroy"],
  run: ["collect", "destroy"],
  collect: ["destroy"],
  destroy: [],
};

async function interruptDuring(phase: SignalPhase, signal: "SIGINT" | "SIGTERM"): Promise<void> {
  const { fromInside, fire } = trigger(phase);
  let signalled = false;
  const outcome = await runCase({
    spec: shellSpec(`sig-${phase}`, phase === "run" ? ", env: { SLEEP: '120' }" : ""),
    env: fromInside ? { BURST_TEST_SIGNAL_DURING: `${phase}:${signal}` } : {},
    onEvent: (event, pid) => {
      if (!signalled && fire(event)) {
        signalled = true;
        if (!fromInside) process.kill(pid, signal);
      }
    },
  });
  const what = `${signal} during ${phase}`;
  assert.ok(signalled, `${what}: the phase was reached\n${explain(outcome)}`);
  if (fromInside) {
    assert.match(outcome.stderr, new RegExp(`test seam: ${signal} sent during ${phase}`), `${what}: sent mid-work`);
    // The phase's own work saw the signal or finished first; either way the phase ended after it.
    const ended = outcome.events.find((e) => e.type === "phase-end" && e.phase === phase);
    assert.ok(ended, `${what}: ${phase} ended (it was in progress when the signal came)\n${explain(outcome)}`);
  }
  assert.equal(outcome.code, 130, `${what}\n${explain(outcome)}`);
  const end = runEnd(outcome);
  assert.equal(end.outcome, "interrupted");
  assert.match(String(end.message), new RegExp(`interrupted by ${signal}`), `${what}: the message names the signal`);
  const started = phasesStarted(outcome);
  const at = started.indexOf(phase);
  assert.ok(at >= 0, `${what}: ${phase} started (${started.join(", ")})`);
  assert.deepEqual(started.slice(at + 1), after[phase], `${what}: only teardown follows (${started.join(", ")})`);
  if (phase === "params" || phase === "validate") {
    // Before synth a run has no id, no folder and nothing to destroy.
    assert.equal(outcome.runDir, undefined, `${what}: no run folder`);
    await assertCleanedUp(outcome);
    return;
  }
  assert.ok(outcome.runDir, `${what}: the run has a folder`);
  const record = JSON.parse(await readFile(join(outcome.runDir, "run.json"), "utf8"));
  assert.equal(record.outcome, "interrupted");
  await assertCleanedUp(outcome);

  // Logs kept wherever they could be: streamed locally once the job ran, uploaded once collected.
  if (phase === "run" || phase === "collect" || phase === "destroy") {
    assert.match(
      localLog(outcome, "job-stdout.log"),
      /job started/,
      `${what}: job log in the run folder\n${explain(outcome)}`,
    );
    const files = await uploaded(outcome, `sig-${phase}`);
    assert.ok(files.includes("manifest.json"), `${what}: manifest uploaded (${files.join(", ")})`);
    assert.ok(files.includes("logs/job/attempt-1/stdout.log"), `${what}: job log uploaded (${files.join(", ")})`);
  }
  if (phase === "apply") {
    assert.ok(
      warnings(outcome).some((w) => w === `${signal}: letting apply finish, then destroying`),
      `${what}: the user is told apply finishes first\n${warnings(outcome).join("\n")}`,
    );
    assert.ok(existsSync(join(outcome.runDir, "terraform.log")), `${what}: terraform's log is kept`);
  }
}

describe("fault matrix: SIGINT and SIGTERM in every phase", { concurrency: false }, () => {
  for (const phase of phases) {
    test(`${phase}: SIGINT and SIGTERM exit 130 and leave nothing behind`, async () => {
      // The two signals run side by side: separate homes, separate clusters.
      await Promise.all([interruptDuring(phase, "SIGINT"), interruptDuring(phase, "SIGTERM")]);
    });
  }
});

// ---- faults ----------------------------------------------------------------------------------

/** A loopback port nothing listens on (bound, read, released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** Pids of the sshd per-connection processes serving the run's master (children of its sshd). */
async function sshdSessions(runDir: string): Promise<number[]> {
  const sshdPid = (await readFile(join(runDir, "nodes", "master-sshd", "sshd.pid"), "utf8")).trim();
  const ps = await run("ps", ["-o", "pid=,args=", "--ppid", sshdPid]);
  return ps.stdout
    .split("\n")
    .map((line) => line.trim().match(/^(\d+)\s+(.*)$/))
    .filter((match): match is RegExpMatchArray => match !== null && match[2]?.startsWith("sshd:") === true)
    .map((match) => Number(match[1]));
}

describe("fault matrix: faults", { concurrency: 2 }, () => {
  test("a job that exits non-zero: exit 1, its logs kept locally and in S3, cluster destroyed", async () => {
    const outcome = await runCase({
      files: { "job.sh": 'echo "about to fail"\necho "boom: no such table" >&2\nexit 3\n' },
      spec: shellSpec("job-fails"),
    });
    assert.equal(outcome.code, 1, explain(outcome));
    assert.match(String(runEnd(outcome).message), /the job exited with code 3/);
    // The failure digest: the script's last stderr lines, in run-end and in the manifest.
    const digest = {
      kind: "exit",
      summary: "exited with code 3: boom: no such table",
      lastLines: ["boom: no such table"],
    };
    assert.deepEqual(runEnd(outcome).digest, digest);
    assert.equal(runEnd(outcome).failedStep, "job");
    const manifest = JSON.parse(readFileSync(join(outcome.runDir ?? "", "results", "manifest.json"), "utf8"));
    assert.deepEqual(manifest.failure, { step: "job", ...digest });
    // The real cost, from the cluster's lifetime (apply to destroy): nothing billed on this machine.
    const record = JSON.parse(readFileSync(join(outcome.runDir ?? "", "run.json"), "utf8"));
    assert.equal(record.actualCost?.totalUsd, 0, JSON.stringify(record.actualCost));
    const lived = Date.parse(record.actualCost.nodes[0].endedAt) - Date.parse(record.actualCost.nodes[0].launchedAt);
    assert.ok(lived > 0 && lived < Date.parse(record.endedAt) - Date.parse(record.startedAt), `lived ${lived} ms`);
    assert.deepEqual(
      manifest.actualCost,
      record.actualCost,
      "the local manifest has the actual cost beside the estimate",
    );
    assert.equal(manifest.costEstimateUsd, 0);
    assert.equal(runEnd(outcome).actualCostUsd, 0);
    assert.match(localLog(outcome, "job-stdout.log"), /about to fail/);
    assert.match(localLog(outcome, "job-stderr.log"), /boom: no such table/);
    const files = await uploaded(outcome, "job-fails");
    assert.ok(files.includes("logs/job/attempt-1/stderr.log"), files.join(", "));
    assert.ok(files.includes("manifest.json"));
    await assertCleanedUp(outcome);
  });

  test("a job that hangs past its timeout is stopped: exit 1, the message says so, nothing left running", async () => {
    const outcome = await runCase({
      files: { "job.sh": 'echo "hanging"\nsleep 3600\necho "never printed"\n' },
      spec: shellSpec("job-hangs", ", timeoutMinutes: 1"),
      env: { BURST_TEST_TIMEOUT_SECONDS: "4" },
    });
    assert.equal(outcome.code, 1, explain(outcome));
    assert.match(String(runEnd(outcome).message), /ran longer than timeoutMinutes \(1\) and was stopped/);
    assert.deepEqual(runEnd(outcome).digest, {
      kind: "timeout",
      summary: "stopped after timeoutMinutes (1)",
      lastLines: ["hanging"],
    });
    assert.ok(jobLines(outcome).includes("hanging"));
    assert.ok(!jobLines(outcome).includes("never printed"));
    const files = await uploaded(outcome, "job-hangs");
    assert.ok(files.includes("logs/job/attempt-1/stdout.log"), files.join(", "));
    const manifest = JSON.parse(readFileSync(join(outcome.runDir ?? "", "results", "manifest.json"), "utf8")) as {
      steps: { attempts: { timedOut: boolean }[] }[];
    };
    assert.equal(manifest.steps[0]?.attempts[0]?.timedOut, true);
    await assertCleanedUp(outcome);
  });

  test("a job that runs past timeoutMinutes: 1, with no seam, is stopped after one minute: exit 1, attempt marked timed out", async () => {
    // The production branch (timeoutMinutes × 60 s), which every other timeout case shortens through the seam.
    const outcome = await runCase({
      files: { "job.sh": 'echo "hanging"\nsleep 3600\necho "never printed"\n' },
      spec: shellSpec("job-minute", ", timeoutMinutes: 1"),
    });
    assert.equal(outcome.code, 1, explain(outcome));
    assert.match(String(runEnd(outcome).message), /ran longer than timeoutMinutes \(1\) and was stopped/);
    assert.ok(!jobLines(outcome).includes("never printed"));
    const manifest = JSON.parse(readFileSync(join(outcome.runDir ?? "", "results", "manifest.json"), "utf8")) as {
      steps: { attempts: { timedOut: boolean; seconds: number }[] }[];
    };
    const attempt = manifest.steps[0]?.attempts[0];
    assert.equal(attempt?.timedOut, true);
    // Not before the minute, and stopped soon after it rather than left to its hour of sleep.
    assert.ok(attempt && attempt.seconds >= 60 && attempt.seconds < 120, `the attempt lasted ${attempt?.seconds} s`);
    await assertCleanedUp(outcome);
  });

  test("SIGINT while wait-ready is still waiting for a master that does not answer: the wait stops, destroy, exit 130", async () => {
    // The master's daemon is stopped (SIGSTOP) the moment apply ends, so wait-ready's poll of the
    // master cannot succeed: the signal lands in a wait in progress, not after it ended on its own.
    let stopped: number | undefined;
    let signalledAt: number | undefined;
    const outcome = await runCase({
      spec: shellSpec("wait-ready-sigint"),
      onEvent: (event, pid, home) => {
        if (event.type === "phase-end" && event.phase === "apply" && stopped === undefined) {
          void runDirs(home).then(async ([runDir]) => {
            const master = Number((await readFile(join(runDir ?? "", "nodes", "master", "master.pid"), "utf8")).trim());
            process.kill(-master, "SIGSTOP");
            stopped = master;
          });
        }
        if (event.type === "phase-start" && event.phase === "wait-ready") {
          setTimeout(() => {
            signalledAt = Date.now();
            process.kill(pid, "SIGINT");
          }, 3000);
        }
      },
    });
    assert.ok(stopped, `the master was stopped before wait-ready polled it\n${explain(outcome)}`);
    assert.ok(signalledAt, "the CLI was signalled during wait-ready");
    assert.equal(outcome.code, 130, explain(outcome));
    assert.match(String(runEnd(outcome).message), /interrupted by SIGINT/);
    const ended = outcome.events.find((event) => event.type === "phase-end" && event.phase === "wait-ready");
    assert.ok(ended && ended.ok === false, `wait-ready ended unfinished\n${explain(outcome)}`);
    // Still waiting when the signal came, and stopped soon after it: one poll (curl --max-time 5) at most.
    const endedAt = Date.parse(String(ended.ts));
    assert.ok(
      endedAt >= signalledAt && endedAt - signalledAt < 10_000,
      `wait-ready ended ${endedAt - signalledAt} ms after SIGINT`,
    );
    const started = phasesStarted(outcome);
    assert.deepEqual(started.slice(started.indexOf("wait-ready") + 1), ["destroy"], started.join(", "));
    await assertCleanedUp(outcome);
  });

  test("the SSH connection drops mid-job: the run reconnects, succeeds, and every log line arrives once", async () => {
    const gate = await mkdtemp(join(tmpdir(), "burst-faults-gate-"));
    const proceed = join(gate, "proceed");
    const job = [
      'for i in 1 2 3 4 5; do echo "before-$i"; done',
      'echo "waiting for the drop"',
      // The connection drops while half a line is out: it must still arrive as one line.
      "printf 'half a line, '",
      `while [ ! -e ${proceed} ]; do sleep 0.2; done`,
      "echo 'the other half'",
      'for i in 1 2 3 4 5; do echo "after-$i"; done',
    ].join("\n");
    let dropping = false;
    let dropped: number[] = [];
    let dropError: unknown;
    const outcome = await runCase({
      files: { "job.sh": `${job}\n` },
      spec: shellSpec("ssh-drop"),
      onEvent: (event, _pid, home) => {
        if (event.type !== "job-log" || event.line !== "waiting for the drop" || dropping) return;
        dropping = true;
        void (async () => {
          const [runDir] = await runDirs(home);
          await new Promise((resolve) => setTimeout(resolve, 700)); // the half line reaches the CLI
          dropped = await sshdSessions(runDir ?? "");
          for (const pid of dropped) process.kill(pid, "SIGKILL");
          // Let the CLI notice the drop before the job goes on.
          await new Promise((resolve) => setTimeout(resolve, 1500));
          await writeFile(proceed, "");
        })().catch((error: unknown) => {
          dropError = error;
          return writeFile(proceed, "");
        });
      },
    });
    assert.equal(dropError, undefined, String(dropError));
    assert.ok(dropped.length > 0, "an sshd session process was killed");
    assert.equal(outcome.code, 0, explain(outcome));
    assert.ok(
      warnings(outcome).some((w) => /SSH connection to the master dropped; reconnecting/.test(w)),
      `a reconnect warning\n${warnings(outcome).join("\n")}`,
    );
    const lines = jobLines(outcome);
    const expected = [
      ...[1, 2, 3, 4, 5].map((i) => `before-${i}`),
      "waiting for the drop",
      "half a line, the other half",
      ...[1, 2, 3, 4, 5].map((i) => `after-${i}`),
    ];
    assert.deepEqual(lines, expected, "every line once, in order, after the reconnect too");
    assert.equal(localLog(outcome, "job-stdout.log"), `${expected.join("\n")}\n`);
    const runId = outcome.runDir?.split("/").pop() ?? "";
    const s3Log = join(
      outcome.home,
      "local",
      "s3",
      "faults",
      "runs",
      "ssh-drop",
      runId,
      "logs/job/attempt-1/stdout.log",
    );
    assert.equal(readFileSync(s3Log, "utf8"), `${expected.join("\n")}\n`, "the uploaded log is complete");
    await assertCleanedUp(outcome);
  });

  test("the S3 server is down at collect: exit 3, upload retried, logs kept locally and the user told where", async () => {
    let killed = false;
    const outcome = await runCase({
      // The job runs 3 s and needs no S3: the server goes down while it runs, before collect uploads.
      spec: shellSpec("s3-down", ", env: { SLEEP: '3' }"),
      onEvent: (event, _pid, home) => {
        if (killed || event.type !== "job-log" || event.line !== "job started") return;
        killed = true;
        void runDirs(home).then(async ([runDir]) => {
          const pid = Number((await readFile(join(runDir ?? "", "nodes", "s3", "s3.pid"), "utf8")).trim());
          process.kill(pid, "SIGKILL");
        });
      },
    });
    assert.ok(killed);
    assert.equal(outcome.code, 3, explain(outcome));
    const message = String(runEnd(outcome).message);
    const resultsDir = join(outcome.runDir ?? "", "results");
    assert.match(message, /results were not uploaded to s3:\/\/faults\/runs\/s3-down\//);
    assert.ok(message.includes(`they are kept in ${resultsDir}`), message);
    assert.ok(
      warnings(outcome).filter((w) => /^S3: .*retry \d/.test(w)).length >= 2,
      `upload retried\n${warnings(outcome).join("\n")}`,
    );
    assert.ok(existsSync(join(resultsDir, "manifest.json")));
    assert.match(readFileSync(join(resultsDir, "logs", "job", "attempt-1", "stdout.log"), "utf8"), /job finished/);
    assert.match(localLog(outcome, "job-stdout.log"), /job finished/);
    await assertCleanedUp(outcome);
  });

  test("Consul unreachable: exit 3 within seconds, nothing provisioned", async () => {
    const port = await closedPort();
    const began = Date.now();
    const outcome = await runCase({ env: { CONSUL_HTTP_ADDR: `http://127.0.0.1:${port}` } });
    const seconds = (Date.now() - began) / 1000;
    assert.equal(outcome.code, 3, explain(outcome));
    assert.match(String(runEnd(outcome).message), new RegExp(`cannot reach Consul at .*127\\.0\\.0\\.1:${port}`));
    assert.ok(seconds < 30, `took ${seconds}s`);
    assert.equal(outcome.runDir, undefined, "no run folder");
    assert.deepEqual(phasesStarted(outcome), ["params"]);
    await assertCleanedUp(outcome);
  });

  test("an apply that fails halfway (the S3 node cannot start): exit 3, the nodes that did start are destroyed", async () => {
    const outcome = await runCase({
      spec: shellSpec("apply-fails"),
      // The S3 server's data folder is a plain file: its node fails, the others start.
      prepareHome: async (home) => {
        await mkdir(join(home, "local"), { recursive: true });
        await writeFile(join(home, "local", "s3"), "not a folder\n");
      },
    });
    assert.equal(outcome.code, 3, explain(outcome));
    const message = String(runEnd(outcome).message);
    assert.match(message, /terraform apply failed/);
    assert.match(message, /terraform_data\.s3/, "the message names the failed node");
    const created = outcome.events
      .filter((e) => e.type === "terraform" && (e.event as BurstEvent).type === "resource-done")
      .map((e) => String((e.event as BurstEvent).address));
    assert.ok(
      created.some((address) => /master/.test(address)),
      `some nodes were created (${created.join(", ")})`,
    );
    assert.deepEqual(phasesStarted(outcome).slice(-2), ["apply", "destroy"]);
    assert.ok(existsSync(join(outcome.runDir ?? "", "terraform.log")), "terraform's log is kept");
    await assertCleanedUp(outcome);
  });

  test("a git ref that does not exist: exit 2 before anything is provisioned", async () => {
    const outcome = await runCase({
      spec: (repo) => `name: bad-ref
code: { repo: ${repo}, ref: no-such-branch }
job: { type: shell, entrypoint: job.sh }
cluster: { workers: 0 }
results: s3://faults/runs/
`,
    });
    assert.equal(outcome.code, 2, explain(outcome));
    assert.match(String(runEnd(outcome).message), /code\.ref: ref "no-such-branch" is not a branch, tag or commit/);
    assert.equal(outcome.runDir, undefined, "no run folder");
    await assertCleanedUp(outcome);
  });

  test("an entrypoint that does not exist: exit 2 before anything is provisioned", async () => {
    const missing = await runCase({
      spec: (repo) => `name: bad-entrypoint
code: { repo: ${repo} }
job: { type: shell, entrypoint: missing.sh }
cluster: { workers: 0 }
results: s3://faults/runs/
`,
    });
    assert.equal(missing.code, 2, explain(missing));
    assert.match(String(runEnd(missing).message), /job\.entrypoint: missing\.sh does not exist in/);
    assert.equal(missing.runDir, undefined, "no run folder");
    await assertCleanedUp(missing);
  });
});
