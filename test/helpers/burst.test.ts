// assertNoLeftovers (test/helpers/burst.ts) on planted runs: real processes and a real listening
// port, marked with the run folder the way a run's daemons are. Daemons and ports fail at once,
// with no grace; sshd's per-connection processes get a bounded grace and fail when they outlive
// it; what was running when the CLI exited fails even when it is gone by the time of the check.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, describe, test } from "node:test";
import { freePort } from "../../scripts/servers/ports.ts";
import { assertNoLeftovers, recordLeftoversAtExit, runProcesses, sshSessionGraceMs } from "./burst.ts";
import { waitFor } from "./wait.ts";

const scratch = mkdtempSync(join(tmpdir(), "burst-leftovers-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

/** A run folder with a destroyed record and a stack naming three ports, as burst leaves one. */
async function plantedRun(): Promise<{ home: string; runDir: string; ports: number[] }> {
  const home = mkdtempSync(join(scratch, "home-"));
  const runDir = join(home, "runs", "20261207-000000-abcd");
  const stackDir = join(runDir, "stack", "stacks", "cluster");
  mkdirSync(stackDir, { recursive: true });
  writeFileSync(join(runDir, "run.json"), JSON.stringify({ destroyed: true }));
  const ports = [await freePort(), await freePort(), await freePort()];
  const [s3, ssh, master] = ports;
  // As the local stack names them, in its nodes' environments.
  writeFileSync(
    join(stackDir, "cdk.tf.json"),
    `{"S3_PORT": "${s3}", "SSH_PORT": "${ssh}", "MASTER_PORT": "${master}"}`,
  );
  return { home, runDir, ports };
}

/** A process of the run (its working folder in the run folder), titled `argv0` when given. */
function started(runDir: string, command: string, argv0?: string): ChildProcess {
  const child = spawn("bash", ["-c", command], { cwd: runDir, stdio: "ignore", ...(argv0 ? { argv0 } : {}) });
  children.push(child);
  return child;
}

const timed = async (work: () => Promise<unknown>): Promise<number> => {
  const began = Date.now();
  await work();
  return Date.now() - began;
};

describe("assertNoLeftovers", () => {
  test("a run with nothing left passes", async () => {
    const { runDir } = await plantedRun();
    await assertNoLeftovers(runDir);
  });

  test("a daemon still running fails at once, without a grace", async () => {
    const { runDir } = await plantedRun();
    started(runDir, "exec sleep 30");
    await waitFor("the planted daemon", () => runProcesses(runDir).length === 1, 5_000, 50);
    const elapsed = await timed(() =>
      assert.rejects(assertNoLeftovers(runDir), /processes of .* were still running when checked[\s\S]*sleep 30/),
    );
    assert.ok(elapsed < sshSessionGraceMs / 2, `failed after ${elapsed} ms: no grace`);
  });

  test("a port of the run's stack still listening fails at once", async () => {
    const { runDir, ports } = await plantedRun();
    const listener = spawn(
      "python3",
      [
        "-c",
        `import socket, time\ns = socket.socket()\ns.bind(("127.0.0.1", ${ports[1]}))\ns.listen()\nprint("up", flush=True)\ntime.sleep(30)`,
      ],
      { cwd: scratch, stdio: ["ignore", "pipe", "ignore"] },
    );
    children.push(listener);
    await new Promise((resolve) => listener.stdout?.once("data", resolve));
    const elapsed = await timed(() =>
      assert.rejects(
        assertNoLeftovers(runDir),
        new RegExp(`ports of .* were still listening when checked[\\s\\S]*${ports[1]}`),
      ),
    );
    assert.ok(elapsed < sshSessionGraceMs / 2, `failed after ${elapsed} ms: no grace`);
  });

  test("sshd session processes that end within the grace pass; the check waited for them", async () => {
    const { runDir } = await plantedRun();
    const release = join(runDir, "..", "release");
    // A session whose command runs until the test releases it, a moment into the check.
    started(runDir, `while [ ! -e ${release} ]; do sleep 0.05; done & wait`, "sshd: alice@notty");
    await waitFor("the planted session", () => runProcesses(runDir).length >= 2, 5_000, 50);
    assert.ok(
      runProcesses(runDir).every((found) => found.sshSession),
      "the session and its command are sshd's",
    );
    const elapsed = await timed(() => {
      setTimeout(() => writeFileSync(release, ""), 300);
      return assertNoLeftovers(runDir, { sshSessionGraceMs: 10_000 });
    });
    assert.deepEqual(runProcesses(runDir), [], "the session ended");
    assert.ok(elapsed >= 290 && elapsed < 10_000, `waited ${elapsed} ms`);
  });

  test("sshd session processes that outlive the grace fail", async () => {
    const { runDir } = await plantedRun();
    started(runDir, "sleep 30 & wait", "sshd: alice@notty");
    await waitFor("the planted session", () => runProcesses(runDir).length >= 1, 5_000, 50);
    await assert.rejects(
      assertNoLeftovers(runDir, { sshSessionGraceMs: 500 }),
      /sshd session processes of .* outlived the 500 ms grace[\s\S]*sleep 30/,
    );
  });

  test("what ran when the CLI exited fails, even once it has ended by the check", async () => {
    const { home, runDir } = await plantedRun();
    const cliStarted = Date.now() - 1_000;
    const daemon = started(runDir, "exec sleep 30");
    await waitFor("the planted daemon", () => runProcesses(runDir).length === 1, 5_000, 50);
    recordLeftoversAtExit(home, cliStarted);
    daemon.kill("SIGKILL");
    await waitFor("the daemon to end", () => runProcesses(runDir).length === 0, 5_000, 50);
    await assert.rejects(assertNoLeftovers(runDir), /processes of .* were still running when the CLI exited/);
  });
});
