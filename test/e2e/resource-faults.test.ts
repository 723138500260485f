// Resource faults on the local target: BURST_HOME on a small tmpfs that fills while collect copies
// the job's outputs. The error says so, the logs that fit are kept, and destroy still runs and
// leaves nothing. (The test mounts the tmpfs itself, as root, and unmounts it afterwards.)
// And an S3 server that answers 503 SlowDown or not at all: the CLI reaches the run's real S3
// server through a loopback proxy the seamed test entry puts in front of it (BURST_TEST_S3_FAULT).
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

  /** A run whose S3 goes through the faulty proxy; the warnings it printed and how long it took. */
  async function s3FaultRun(name: string, fault: string) {
    const burstHome = await mkdtemp(join(tmpdir(), "burst-home-"));
    await symlink(join(process.env.BURST_HOME || join(homedir(), ".burst"), "cache"), join(burstHome, "cache"));
    const spec = await shellJobSpec(name, { "job.sh": 'echo "job started"\necho "job finished"\n' }, "s3faults");
    const began = Date.now();
    const result = await startBurst([spec, "--json"], { burstHome, env: { BURST_TEST_S3_FAULT: fault } }).done;
    const events = parseEvents(result.stdout);
    const warnings = events.filter((event) => event.type === "warning").map((event) => String(event.message));
    const [runDir = ""] = await runDirs(burstHome);
    return { result, events, warnings, runDir, seconds: (Date.now() - began) / 1000 };
  }

  test("S3 answers 503 SlowDown to everything: bounded retries, then exit 3 naming what failed; destroy runs", async () => {
    const { result, events, warnings, runDir, seconds } = await s3FaultRun("s3-503", "503");
    assert.equal(result.code, 3, result.stderr.slice(-3000));
    const message = String(runEndOf(events).message);
    assert.match(message, /create bucket s3faults/, message);
    assert.match(message, /SlowDown|reduce your request rate/, message);
    const retries = warnings.filter((w) => /^S3: .*retry \d+ in/.test(w));
    assert.equal(retries.length, 4, `four retries after the first try, then it gives up\n${warnings.join("\n")}`);
    assert.ok(seconds < 120, `bounded: ${seconds}s`);
    const phases = events.filter((event) => event.type === "phase-start").map((event) => String(event.phase));
    assert.deepEqual(phases.slice(-2), ["stage", "destroy"], phases.join(", "));
    assert.match(result.stderr, /test seam: S3 proxy \(503\) failed \d+ requests, forwarded 0/);
    assert.equal(JSON.parse(await readFile(join(runDir, "run.json"), "utf8")).destroyed, true);
    await assertNoLeftovers(runDir);
  });

  test("S3 answers 503 to the first 4 requests (the SDK's own retry included), then recovers: the run succeeds, the retries shown", async () => {
    const { result, events, warnings, runDir } = await s3FaultRun("s3-503-then-ok", "503x4");
    assert.equal(result.code, 0, result.stderr.slice(-3000));
    assert.equal(runEndOf(events).outcome, "succeeded");
    assert.ok(
      warnings.some((w) => /^S3: .*retry 1 in/.test(w)),
      `the retry is shown\n${warnings.join("\n")}`,
    );
    assert.match(result.stderr, /test seam: S3 proxy \(503x4\) failed 4 requests, forwarded [1-9]\d*/);
    assert.ok(
      events.some((event) => event.type === "results"),
      "results were uploaded through the recovered server",
    );
    await assertNoLeftovers(runDir);
  });

  test("S3 stops answering: each request gives up after its timeout, bounded retries, then exit 3; destroy runs", async () => {
    const { result, events, warnings, runDir, seconds } = await s3FaultRun("s3-silent", "slow");
    assert.equal(result.code, 3, result.stderr.slice(-3000));
    const message = String(runEndOf(events).message);
    assert.match(message, /create bucket s3faults/, message);
    assert.equal(warnings.filter((w) => /^S3: .*retry \d+ in/.test(w)).length, 4, warnings.join("\n"));
    assert.ok(seconds < 150, `a silent server does not hang the run: ${seconds}s`);
    assert.equal(JSON.parse(await readFile(join(runDir, "run.json"), "utf8")).destroyed, true);
    await assertNoLeftovers(runDir);
  });

  test("Ctrl-C while S3 is silent during stage: the request is abandoned at once, exit 130, destroy runs", async () => {
    const burstHome = await mkdtemp(join(tmpdir(), "burst-home-"));
    await symlink(join(process.env.BURST_HOME || join(homedir(), ".burst"), "cache"), join(burstHome, "cache"));
    const spec = await shellJobSpec("s3-silent-ctrl-c", { "job.sh": 'echo "never run"\n' }, "s3faults");
    let sent = false;
    const child = startBurst([spec, "--json"], {
      burstHome,
      env: { BURST_TEST_S3_FAULT: "slow" },
      onLine: (line, stream) => {
        if (stream === "stdout" && !sent && line.includes('"phase-start"') && line.includes('"stage"')) {
          sent = true;
          // Mid-request: the proxy holds it; without the signal reaching the request, stage would retry for ~30 s.
          setTimeout(() => process.kill(child.pid ?? 0, "SIGINT"), 300);
        }
      },
    });
    const result = await child.done;
    assert.ok(sent, "stage started");
    assert.equal(result.code, 130, result.stderr.slice(-3000));
    const events = parseEvents(result.stdout);
    const warnings = events.filter((event) => event.type === "warning").map((event) => String(event.message));
    assert.equal(
      warnings.filter((w) => /^S3: .*retry \d+ in/.test(w)).length,
      0,
      `no retry after the Ctrl-C\n${warnings.join("\n")}`,
    );
    const phases = events.filter((event) => event.type === "phase-start").map((event) => String(event.phase));
    assert.deepEqual(phases.slice(-2), ["stage", "destroy"], phases.join(", "));
    const [runDir = ""] = await runDirs(burstHome);
    assert.equal(JSON.parse(await readFile(join(runDir, "run.json"), "utf8")).destroyed, true);
    await assertNoLeftovers(runDir);
  });
});
