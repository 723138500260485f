// The local TTL guard on real processes: after its TTL it stops every other node of the run.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { processAlive } from "../../../src/install/lock.ts";
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
