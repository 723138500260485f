// The local TTL guard on real processes: after its TTL it stops every other node of the run.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { processAlive } from "../../../src/install/lock.ts";
import { localTarget } from "../../../src/targets/local/target.ts";
import { run } from "../../../src/util/exec.ts";

const scripts = fileURLToPath(new URL("../../../stacks/local/scripts/", import.meta.url));
test("after TTL_SECONDS the guard stops every node of the run, then exits itself", async () => {
  const nodes = await mkdtemp(join(tmpdir(), "burst-ttl-"));
  const worker = join(nodes, "worker-1");
  await mkdir(worker);
  // A stand-in daemon started the way node scripts start theirs: its own session, a pid file.
  const started = await run("bash", [
    "-c",
    `setsid sleep 300 >/dev/null 2>&1 </dev/null & echo $! > ${worker}/worker.pid`,
  ]);
  assert.equal(started.code, 0);
  const daemon = Number(await readFile(join(worker, "worker.pid"), "utf8"));
  assert.ok(processAlive(daemon));

  const guardDir = join(nodes, "ttl-guard");
  const guard = await run("bash", [join(scripts, "start-ttl-guard.sh")], {
    env: { NODE_DIR: guardDir, NODES_DIR: nodes, TTL_SECONDS: "1" },
    check: true,
  });
  assert.equal(guard.code, 0, "the provisioner returns at once");
  const guardPid = Number(await readFile(join(guardDir, "ttl-guard.pid"), "utf8"));

  const deadline = Date.now() + 20_000;
  while ((processAlive(daemon) || processAlive(guardPid)) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
  assert.equal(processAlive(daemon), false, "the node was stopped");
  assert.equal(processAlive(guardPid), false, "the guard exited");
  await writeFile(join(nodes, "done"), "");
});

test("a deadline brought forward (a cluster kept after a failure) stops the nodes then, not at the TTL", async () => {
  const runDir = await mkdtemp(join(tmpdir(), "burst-ttl-"));
  const nodes = join(runDir, "nodes");
  const worker = join(nodes, "worker-1");
  await mkdir(worker, { recursive: true });
  await run("bash", ["-c", `setsid sleep 300 >/dev/null 2>&1 </dev/null & echo $! > ${worker}/worker.pid`], {
    check: true,
  });
  const daemon = Number(await readFile(join(worker, "worker.pid"), "utf8"));
  const guardDir = join(nodes, "ttl-guard");
  await run("bash", [join(scripts, "start-ttl-guard.sh")], {
    env: { NODE_DIR: guardDir, NODES_DIR: nodes, TTL_SECONDS: "600" },
    check: true,
  });
  const guardPid = Number(await readFile(join(guardDir, "ttl-guard.pid"), "utf8"));
  const stack = {
    runId: "20261207-101500-a1b2",
    runDir,
    stackDir: join(runDir, "stack"),
    terraformBinary: "terraform",
  };
  try {
    await new Promise((r) => setTimeout(r, 2_500));
    assert.ok(processAlive(daemon), "the node runs before the deadline");
    // A later deadline never pushes the TTL back.
    await localTarget.endClusterBy?.(stack, new Date(Date.now() + 3_600_000));
    const ttlEnd = Number(await readFile(join(guardDir, "deadline"), "utf8"));
    assert.ok(ttlEnd * 1000 < Date.now() + 601_000, `deadline ${ttlEnd} is still the TTL's`);
    const broughtForward = Date.now() + 1_000;
    await localTarget.endClusterBy?.(stack, new Date(broughtForward));
    const deadline = Date.now() + 20_000;
    while ((processAlive(daemon) || processAlive(guardPid)) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    assert.equal(processAlive(daemon), false, "the node was stopped at the new deadline");
    assert.equal(processAlive(guardPid), false, "the guard exited");
    assert.ok(Date.now() >= broughtForward - 1_000, "not before the deadline");
  } finally {
    for (const pid of [daemon, guardPid]) if (processAlive(pid)) process.kill(-pid, "SIGKILL");
  }
});
