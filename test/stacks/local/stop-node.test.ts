// stop-node.sh on real processes: a daemon that has exited but not yet been reaped (a zombie:
// its parent, init on a VM, reaps it later) holds no port or file, so stop-node does not wait for
// the reaping. Locally that wait was most of destroy's time (docs/benchmarks.md).
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { run } from "../../../src/util/exec.ts";

const scripts = fileURLToPath(new URL("../../../stacks/local/scripts/", import.meta.url));
const state = (pid: number): string | undefined => {
  const file = `/proc/${pid}/stat`;
  return existsSync(file) ? readFileSync(file, "utf8").split(") ")[1]?.[0] : undefined;
};
/** Alive and not a zombie: sleeping, or running (R) at the moment a busy machine is asked. */
const running = (pid: number): boolean => ["S", "R", "D"].includes(state(pid) ?? "");

test("stop-node stops the node's daemons and does not wait for an exited one to be reaped", async () => {
  const node = await mkdtemp(join(tmpdir(), "burst-stop-node-"));
  // The daemon runs in its own session under a parent that never reaps it (`exec sleep`), as a
  // detached daemon does under a slow-reaping init.
  const started = await run("bash", [
    "-c",
    `setsid bash -c 'sleep 300 & echo $! > ${node}/daemon.pid; exec sleep 300' >/dev/null 2>&1 </dev/null &
     for _ in $(seq 50); do [ -s ${node}/daemon.pid ] && break; sleep 0.1; done`,
  ]);
  assert.equal(started.code, 0, started.stderr);
  const daemon = Number(await readFile(join(node, "daemon.pid"), "utf8"));
  assert.ok(running(daemon), `the daemon runs (state ${state(daemon)})`);
  // Its parent never reaps it: before the fix, stop-node waited 15 s, then 5 s more, for a zombie.
  const stopped = await run("bash", [join(scripts, "stop-node.sh")], {
    env: { ...process.env, NODE_DIR: node },
    timeoutMs: 10_000,
  });
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.equal(state(daemon), "Z", "the daemon has exited (a zombie until its parent reaps it)");
  assert.equal(existsSync(join(node, "daemon.pid")), false, "its pid file is removed");
  // The never-reaping parent goes too (then init reaps both).
  const parent = Number(readFileSync(`/proc/${daemon}/stat`, "utf8").split(") ")[1]?.split(" ")[1]);
  process.kill(parent, "SIGKILL");
});

test("stop-node stops what left the job's group but carries its sshd's marker, and nothing else", async () => {
  const node = await mkdtemp(join(tmpdir(), "burst-stop-node-"));
  // As a job's `setsid some-daemon &` would: its own session, no pid file, the sshd's marker.
  const start = (marker: string, pidFile: string) =>
    run("bash", [
      "-c",
      `BURST_SSHD_NODE='${marker}' setsid sleep 300 >/dev/null 2>&1 </dev/null & echo $! > ${pidFile}`,
    ]);
  await start(node, `${node}-stray`);
  await start(`${node}-other`, `${node}-unrelated`);
  const stray = Number(readFileSync(`${node}-stray`, "utf8"));
  const unrelated = Number(readFileSync(`${node}-unrelated`, "utf8"));
  try {
    assert.ok(running(stray), `the stray runs (state ${state(stray)})`);
    const stopped = await run("bash", [join(scripts, "stop-node.sh")], {
      env: { ...process.env, NODE_DIR: node },
      timeoutMs: 10_000,
    });
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.ok(state(stray) === undefined || state(stray) === "Z", "the process that left the job's group is stopped");
    assert.ok(running(unrelated), "a process with another node's marker is left alone");
  } finally {
    for (const pid of [stray, unrelated]) if (running(pid)) process.kill(pid, "SIGKILL");
  }
});

test("stop-node stops a daemon's descendants in other sessions and what appears while it stops them", async () => {
  const node = await mkdtemp(join(tmpdir(), "burst-stop-node-"));
  // The daemon forks into a new session, as sshd does per connection, a command that carries no
  // marker yet (sshd's child before it execs the user's shell). Another marked process, when
  // stopped, starts a new marked one: what a session's shell forks at the moment it is stopped.
  const started = await run("bash", [
    "-c",
    `setsid bash -c 'setsid bash -c "sleep 300 & echo \\$! > ${node}/grandchild; wait" & wait' >/dev/null 2>&1 </dev/null &
     echo $! > ${node}/daemon.pid
     BURST_SSHD_NODE='${node}' setsid bash -c 'trap "setsid sleep 300 & echo \\$! > ${node}/late; exit" TERM; while :; do sleep 0.1; done' >/dev/null 2>&1 </dev/null &
     echo $! > ${node}-dying
     for _ in $(seq 50); do [ -s ${node}/grandchild ] && break; sleep 0.1; done`,
  ]);
  assert.equal(started.code, 0, started.stderr);
  const grandchild = Number(readFileSync(join(node, "grandchild"), "utf8"));
  const dying = Number(readFileSync(`${node}-dying`, "utf8"));
  const late = () => (existsSync(join(node, "late")) ? Number(readFileSync(join(node, "late"), "utf8")) : undefined);
  try {
    assert.ok(running(grandchild), `the daemon's descendant in its own session runs (state ${state(grandchild)})`);
    assert.ok(running(dying), `the marked process runs (state ${state(dying)})`);
    const stopped = await run("bash", [join(scripts, "stop-node.sh")], {
      env: { ...process.env, NODE_DIR: node },
      timeoutMs: 20_000,
    });
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.ok(!running(grandchild), "the descendant in another session is stopped");
    assert.ok(!running(dying), "the marked process is stopped");
    const spawned = late();
    assert.ok(spawned !== undefined, "the marked process started another while being stopped");
    assert.ok(!running(spawned), "what it started while being stopped is stopped too");
  } finally {
    for (const pid of [grandchild, dying, late() ?? 0]) if (pid > 0 && running(pid)) process.kill(pid, "SIGKILL");
  }
});
