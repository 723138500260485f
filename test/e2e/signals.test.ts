// The paths a run takes when the user (or the machine) stops it other than with one Ctrl-C: a
// second Ctrl-C (says what is still running and how to remove it), a third (quits at once:
// `burst list` shows the run orphaned and `burst gc` removes it), SIGHUP from a closed terminal
// (like SIGTERM), an error nothing catches (the crash guard destroys), and `--keep` followed by
// `burst down`. Each on a real local cluster whose job is running when the fault comes.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  assertNoLeftovers,
  burst,
  eventTexts,
  parseEvents,
  runDirs,
  runEndOf,
  runProcesses,
  shellJobSpec,
  startBurst,
  tempBurstHome,
} from "../helpers/burst.ts";

const sleeper = { "job.sh": 'echo "job started"\nsleep 300\necho "job finished"\n' };
const quick = { "job.sh": 'echo "job started"\necho "job finished"\n' };

const shellSpec = (name: string, files: Record<string, string>) => shellJobSpec(name, files, "signals");

/** The run's record (run.json). */
async function recordOf(runDir: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(runDir, "run.json"), "utf8")) as Record<string, unknown>;
}

/** `burst list --json`'s row for the run. */
async function listed(burstHome: string, runId: string): Promise<Record<string, unknown> | undefined> {
  const result = await burst(["list", "--json"], { burstHome });
  assert.equal(result.code, 0, result.stderr);
  return result.stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .find((row) => row.runId === runId);
}

/** The state file of the run holds no resource. */
async function assertStateEmpty(runDir: string): Promise<void> {
  const state = JSON.parse(await readFile(join(runDir, "stack", "stacks", "cluster", "terraform.tfstate"), "utf8"));
  assert.deepEqual(state.resources ?? [], [], "the terraform state is empty");
}

describe("signal paths beyond the first Ctrl-C", { concurrency: 2 }, () => {
  test("a second Ctrl-C says what is still running and how to remove it; a third quits, list shows the run orphaned, gc removes it", async () => {
    const burstHome = await tempBurstHome();
    const spec = await shellSpec("ctrl-c-thrice", sleeper);
    const sent: string[] = [];
    const signal = (what: string) => {
      sent.push(what);
      process.kill(child.pid ?? 0, "SIGINT");
    };
    // Collect is held open ~3 s, so the second and third Ctrl-C land while the cluster is still up.
    const child = startBurst([spec, "--json"], {
      burstHome,
      env: { BURST_TEST_HOLD_PHASE: "collect", BURST_GC_AWS: "0" },
      onLine: (line, stream) => {
        if (stream === "stdout" && sent.length === 0 && line.includes('"line":"job started"')) signal("first");
        if (stream === "stdout" && sent.length === 1 && line.includes('"phase":"collect"')) signal("second");
        if (stream === "stderr" && sent.length === 2 && line.includes("still tearing down")) signal("third");
      },
    });
    const result = await child.done;
    assert.deepEqual(sent, ["first", "second", "third"], result.stderr);
    assert.equal(result.code, 130, result.stderr);
    const [runDir] = await runDirs(burstHome);
    assert.ok(runDir);
    const runId = runDir.split("/").pop() ?? "";
    // The second Ctrl-C: what is running, how to quit now, how to remove it later.
    assert.match(result.stderr, new RegExp(`still tearing down run ${runId}; press Ctrl-C again to quit now`));
    assert.match(result.stderr, /Still held: the S3 client, the SSH connection to the master, the cluster\./);
    assert.match(result.stderr, new RegExp(`Remove it later with: npm run burst -- down ${runId}`));
    // The third: quits at once, leaving the cluster up.
    assert.match(
      result.stderr,
      new RegExp(`quitting; the cluster may still be running: npm run burst -- down ${runId}`),
    );
    assert.equal(
      parseEvents(result.stdout).some((event) => event.type === "run-end"),
      false,
      "the third Ctrl-C quits before the run ends",
    );
    assert.ok(runProcesses(runDir).length > 0, "the cluster is still up after quitting");
    assert.equal((await recordOf(runDir)).destroyed, false);

    const row = await listed(burstHome, runId);
    assert.deepEqual({ outcome: row?.outcome, cluster: row?.cluster }, { outcome: "orphaned", cluster: "up" });
    const gc = await burst(["gc"], { burstHome, env: { BURST_GC_AWS: "0" } });
    assert.equal(gc.code, 0, gc.stderr);
    assert.match(gc.stderr, new RegExp(`destroyed run ${runId}`));
    await assertNoLeftovers(runDir);
    await assertStateEmpty(runDir);
    assert.equal((await listed(burstHome, runId))?.cluster, "destroyed");
  });

  test("SIGHUP (the terminal closed) mid-job is handled like SIGTERM: exit 130, logs kept, cluster destroyed", async () => {
    const burstHome = await tempBurstHome();
    const spec = await shellSpec("hangup", sleeper);
    let sent = false;
    const child = startBurst([spec, "--json"], {
      burstHome,
      onLine: (line, stream) => {
        if (stream === "stdout" && !sent && line.includes('"line":"job started"')) {
          sent = true;
          process.kill(child.pid ?? 0, "SIGHUP");
        }
      },
    });
    const result = await child.done;
    assert.ok(sent, result.stderr);
    assert.equal(result.code, 130, result.stderr);
    const events = parseEvents(result.stdout);
    const end = runEndOf(events);
    assert.equal(end.outcome, "interrupted");
    assert.match(String(end.message), /interrupted by SIGHUP/);
    const phases = events.filter((event) => event.type === "phase-start").map((event) => String(event.phase));
    assert.deepEqual(phases.slice(phases.indexOf("run")), ["run", "collect", "destroy"]);
    const [runDir] = await runDirs(burstHome);
    assert.ok(runDir);
    assert.match(await readFile(join(runDir, "logs", "job-stdout.log"), "utf8"), /job started/);
    const record = await recordOf(runDir);
    assert.deepEqual(
      { destroyed: record.destroyed, outcome: record.outcome },
      { destroyed: true, outcome: "interrupted" },
    );
    await assertNoLeftovers(runDir);
    await assertStateEmpty(runDir);
  });

  test("an error nothing catches, mid-job, reaches the crash guard: exit 3, the cluster is destroyed", async () => {
    const burstHome = await tempBurstHome();
    const spec = await shellSpec("crash", sleeper);
    const result = await burst([spec, "--json"], { burstHome, env: { BURST_TEST_CRASH_PHASE: "run" } });
    assert.equal(result.code, 3, result.stderr);
    const [runDir] = await runDirs(burstHome);
    assert.ok(runDir);
    const runId = runDir.split("/").pop() ?? "";
    assert.match(result.stderr, /burst crashed: Error: test crash in run \(BURST_TEST_CRASH_PHASE\)/);
    assert.match(result.stderr, new RegExp(`destroying run ${runId} after the crash`));
    assert.match(result.stderr, new RegExp(`run ${runId}: cluster destroyed`));
    assert.equal((await recordOf(runDir)).destroyed, true);
    await assertNoLeftovers(runDir);
    await assertStateEmpty(runDir);
  });

  test("--keep leaves the cluster up after a real run; burst down destroys it and leaves nothing", async () => {
    const burstHome = await tempBurstHome();
    const spec = await shellSpec("kept", quick);
    const result = await burst([spec, "--json", "--keep"], { burstHome });
    assert.equal(result.code, 0, result.stderr);
    const events = parseEvents(result.stdout);
    const [runDir] = await runDirs(burstHome);
    assert.ok(runDir);
    const runId = runDir.split("/").pop() ?? "";
    assert.ok(
      eventTexts(events, "info").includes(`cluster kept (--keep). Destroy it with: npm run burst -- down ${runId}`),
      eventTexts(events, "info").join("\n"),
    );
    assert.ok(!events.some((event) => event.type === "phase-start" && event.phase === "destroy"), "no destroy");
    assert.ok(runProcesses(runDir).length > 0, "the kept cluster is running");
    assert.equal((await listed(burstHome, runId))?.cluster, "kept");

    const down = await burst(["down", runId], { burstHome });
    assert.equal(down.code, 0, down.stderr);
    await assertNoLeftovers(runDir);
    await assertStateEmpty(runDir);
    const record = await recordOf(runDir);
    assert.deepEqual({ destroyed: record.destroyed, kept: record.kept }, { destroyed: true, kept: false });
    assert.equal((await listed(burstHome, runId))?.cluster, "destroyed");
  });
});
