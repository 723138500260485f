// Resource faults on the local target: BURST_HOME on a small tmpfs that fills while collect copies
// the job's outputs. The error says so, the logs that fit are kept, and destroy still runs and
// leaves nothing. (The test mounts the tmpfs itself, as root, and unmounts it afterwards.)
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { run } from "../../src/util/exec.ts";
import { assertNoLeftovers, parseEvents, runDirs, runEndOf, shellJobSpec, startBurst } from "../helpers/burst.ts";

describe("resource faults", () => {
  const mounts: string[] = [];
  after(async () => {
    for (const mount of mounts) {
      await run("umount", ["--lazy", mount]); // lazy: a failed case may still hold files open
      await rm(mount, { recursive: true, force: true });
    }
  });

  test("BURST_HOME fills during collect: exit 3 saying so, the logs that fit kept, destroy still runs", async () => {
    const mount = await mkdtemp(join(tmpdir(), "burst-tmpfs-"));
    const mounted = await run("mount", ["-t", "tmpfs", "-o", "size=48m", "tmpfs", mount]);
    assert.equal(mounted.code, 0, `mounting a tmpfs needs root: ${mounted.stderr}`);
    mounts.push(mount);
    const burstHome = join(mount, "home");
    await mkdir(burstHome);
    await symlink(join(process.env.BURST_HOME || join(homedir(), ".burst"), "cache"), join(burstHome, "cache"));
    // 30 MiB of output fits on the master's disk (the same tmpfs) but not twice: collect's copy fills it.
    const spec = await shellJobSpec(
      "disk-full",
      { "job.sh": 'echo "job started"\nmkdir -p big\nhead -c 30M /dev/zero > big/blob\necho "job finished"\n' },
      "resources",
    );
    await writeFile(spec, `${readFileSync(spec, "utf8")}outputs: [big]\n`);
    const child = startBurst([spec, "--json"], { burstHome });
    const result = await child.done;
    assert.equal(result.code, 3, result.stderr.slice(-3000));
    const events = parseEvents(result.stdout);
    const message = String(runEndOf(events).message);
    assert.match(message, /no space left on the disk holding .* while collecting the job's outputs/);
    const [runDir = ""] = await runDirs(burstHome);
    assert.match(message, new RegExp(`the logs that fit are kept in ${join(runDir, "results", "logs")}`));
    assert.match(
      readFileSync(join(runDir, "results", "logs", "job", "attempt-1", "stdout.log"), "utf8"),
      /job finished/,
      "the job's log was collected before the outputs",
    );
    assert.equal(existsSync(join(runDir, "results", "outputs")), false, "the partial outputs are removed");
    const phases = events.filter((event) => event.type === "phase-start").map((event) => String(event.phase));
    assert.deepEqual(phases.slice(-2), ["collect", "destroy"]);
    const record = JSON.parse(await readFile(join(runDir, "run.json"), "utf8"));
    assert.equal(record.destroyed, true, "destroy ran and its state was written");
    await assertNoLeftovers(runDir);
  });
});
