// kill -9 of the CLI mid-run: nothing can catch it, so the run's record is what lets the fleet
// commands find the cluster it left up. `burst list` shows the run orphaned with its cluster up,
// `burst gc` destroys it (no process, port or state left), and `burst list` then shows it destroyed.
import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  assertNoLeftovers,
  burst,
  runDirs,
  runProcesses,
  shellJobSpec,
  startBurst,
  tempBurstHome,
} from "../helpers/burst.ts";

interface ListRow {
  readonly runId: string;
  readonly outcome: string;
  readonly cluster: string;
}

async function listed(burstHome: string, runId: string): Promise<ListRow | undefined> {
  const result = await burst(["list", "--json"], { burstHome });
  assert.equal(result.code, 0, result.stderr);
  const rows = result.stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ListRow);
  return rows.find((row) => row.runId === runId);
}

describe("kill -9 of the CLI mid-run", () => {
  test("list shows the run orphaned with its cluster up; gc destroys it and leaves nothing", async () => {
    const burstHome = await tempBurstHome();
    const env = { BURST_GC_AWS: "0" };
    const spec = await shellJobSpec("killed", { "job.sh": 'echo "job started"\nsleep 600\n' }, "kill9");
    let killed = false;
    const child = startBurst([spec], {
      burstHome,
      env,
      onLine: (line) => {
        if (!killed && line.includes("job started")) {
          killed = true;
          process.kill(child.pid ?? 0, "SIGKILL");
        }
      },
    });
    const result = await child.done;
    assert.ok(killed, `the job started\n${result.stderr}`);
    assert.equal(result.signal, "SIGKILL");

    const [runDir] = await runDirs(burstHome);
    assert.ok(runDir);
    const runId = runDir.split("/").pop() ?? "";
    const record = JSON.parse(await readFile(join(runDir, "run.json"), "utf8"));
    assert.equal(record.phase, "run");
    assert.equal(record.destroyed, false);
    assert.ok(runProcesses(runDir).length > 0, "the cluster (and the job) are still up");

    const row = await listed(burstHome, runId);
    assert.deepEqual({ outcome: row?.outcome, cluster: row?.cluster }, { outcome: "orphaned", cluster: "up" });
    const status = await burst(["status", runId, "--json"], { burstHome, env });
    assert.equal(status.code, 0, status.stderr);
    assert.equal(JSON.parse(status.stdout).state, "orphaned");

    const gc = await burst(["gc"], { burstHome, env });
    assert.equal(gc.code, 0, gc.stderr);
    assert.match(gc.stderr, new RegExp(`destroyed run ${runId}`));

    await assertNoLeftovers(runDir); // no process of the run (the job included), port or lock
    const state = JSON.parse(
      await readFile(join(runDir, "stack", "stacks", "cluster", "terraform.tfstate"), "utf8"),
    ) as { resources: unknown[] };
    assert.equal(state.resources.length, 0, "the terraform state is empty");
    assert.equal((await listed(burstHome, runId))?.cluster, "destroyed");

    // A second gc finds nothing to do.
    const again = await burst(["gc"], { burstHome, env });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /nothing to collect/);
  });

  test("gc while another burst is live in the same BURST_HOME leaves it alone; the run then succeeds", async () => {
    const burstHome = await tempBurstHome();
    const env = { BURST_GC_AWS: "0" };
    const gate = join(await mkdtemp(join(tmpdir(), "burst-gc-live-")), "proceed");
    const job = `echo "job started"\nwhile [ ! -e ${gate} ]; do sleep 0.2; done\necho "job finished"\n`;
    const spec = await shellJobSpec("live", { "job.sh": job }, "kill9");
    let gc: Awaited<ReturnType<typeof burst>> | undefined;
    let before: number[] = [];
    let stopped: number[] = [];
    const child = startBurst([spec], {
      burstHome,
      env,
      onLine: (line) => {
        if (gc !== undefined || !line.includes("job started")) return;
        void (async () => {
          const [runDir = ""] = await runDirs(burstHome);
          // The job's own `sleep 0.2`, the TTL guard's polling `sleep 2` and the CLI's SSH sessions
          // (each command it runs on the master) come and go; everything else must outlive gc.
          before = runProcesses(runDir)
            .filter((found) => !/^sleep (0\.2|2)$/.test(found.args) && !found.sshSession)
            .map((found) => found.pid);
          gc = await burst(["gc"], { burstHome, env });
          const alive = new Set(runProcesses(runDir).map((found) => found.pid));
          stopped = before.filter((pid) => !alive.has(pid));
          await writeFile(gate, "");
        })();
      },
    });
    const result = await child.done;
    assert.ok(gc, "gc ran while the job ran");
    assert.equal(gc.code, 0, gc.stderr);
    assert.match(gc.stderr, /nothing to collect/);
    assert.ok(before.length > 0, "the run's cluster was up when gc ran");
    assert.deepEqual(stopped, [], "gc stopped none of the run's processes");
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /job finished/);
    const [runDir = ""] = await runDirs(burstHome);
    await assertNoLeftovers(runDir);
  });

  test("status of an unknown run exits 2 and says how to find runs", async () => {
    const burstHome = await tempBurstHome();
    const result = await burst(["status", "20990101-000000-beef"], { burstHome });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /no run "20990101-000000-beef" on this machine/);
    assert.match(result.stderr, /burst -- list/);
  });
});
