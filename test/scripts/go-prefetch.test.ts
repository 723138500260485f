// scripts/setup/go-prefetch.sh: setup starts versitygw's Go build beside npm ci, holding the
// install lock of src/install/lock.ts, so the real install (src/install/go.ts) waits for it and
// then finds Go's caches warm. Go here is a stand-in script on PATH that records its call and
// waits for a file: these tests are about the lock and the process handling, not about Go (the
// real build runs in every cold setup, CI's included).

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { processAlive, withLock } from "../../src/install/lock.ts";
import { VERSITYGW_MODULE, VERSITYGW_VERSION } from "../../src/targets/local/s3-server.ts";
import { repoRoot } from "../helpers/burst.ts";

const waitUntil = async (what: string, ok: () => boolean, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

describe("setup's versitygw prefetch (scripts/setup/go-prefetch.sh)", () => {
  let dir: string;
  let home: string;
  let bin: string;
  let lock: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "burst-prefetch-"));
    home = join(dir, "home");
    bin = join(home, "cache", "bin");
    lock = join(bin, ".versitygw.lock");
    const fakeBin = join(dir, "path");
    // The stand-in go: records its arguments and GOBIN, then runs until the test releases it.
    const go = join(fakeBin, "go");
    mkdirSync(fakeBin);
    writeFileSync(
      go,
      `#!/bin/bash\necho "$$ $GOBIN $CGO_ENABLED $*" > "${dir}/go.call"\nwhile [ ! -e "${dir}/release" ] && [ -d "${dir}" ]; do sleep 0.05; done\n`,
    );
    chmodSync(go, 0o755);
  });
  // A failed assertion must not leave the stand-in go (and the shell waiting for it) running: the
  // test file would never end.
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A bash that sources lib.sh and go-prefetch.sh, starts the prefetch, then runs `then`. */
  const setupShell = (then: string) => {
    const shell = spawn(
      "bash",
      ["-c", `source scripts/setup/lib.sh test; source scripts/setup/go-prefetch.sh; start_go_prefetch; ${then}`],
      {
        cwd: repoRoot,
        env: { ...process.env, BURST_HOME: home, PATH: `${join(dir, "path")}:/usr/bin:/bin` },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const output = { stdout: "", stderr: "" };
    shell.stdout.on("data", (chunk) => {
      output.stdout += chunk;
    });
    shell.stderr.on("data", (chunk) => {
      output.stderr += chunk;
    });
    const closed = new Promise<void>((resolve) => shell.on("close", () => resolve()));
    return { output, closed };
  };

  it("holds the install lock while go builds the pinned versitygw, and the real install waits for it", async () => {
    const shell = setupShell("wait $GO_PREFETCH_PID");
    await waitUntil("go to start", () => existsSync(join(dir, "go.call")));
    const [, gobin, cgo, ...args] = readFileSync(join(dir, "go.call"), "utf8").trim().split(" ");
    assert.deepEqual(args, ["install", `${VERSITYGW_MODULE}/cmd/versitygw@${VERSITYGW_VERSION}`]);
    assert.equal(cgo, "0");
    assert.ok(gobin?.startsWith(join(bin, ".prefetch-versitygw-")), `a throwaway GOBIN, not the cache's: ${gobin}`);
    const owner = JSON.parse(readFileSync(join(lock, "owner"), "utf8"));
    assert.equal(owner.host, hostname());
    assert.ok(processAlive(owner.pid), "the lock's owner is a live process");
    // The message and go's start race each other on a busy machine.
    await waitUntil("the prefetch's message", () =>
      /building versitygw v[\d.]+ in the background/.test(shell.output.stderr),
    );

    // What goInstall does: it waits while the prefetch holds the lock, then takes it.
    const order: string[] = [];
    const waiting: string[] = [];
    const installed = withLock(lock, { what: "versitygw", log: (line) => waiting.push(line), pollMs: 50 }, async () => {
      order.push("install");
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(order, [], "the install has not started while the prefetch builds");
    assert.match(waiting.join("\n"), /another burst \(pid \d+\) is installing it; waiting/);
    writeFileSync(join(dir, "release"), "");
    await installed;
    assert.deepEqual(order, ["install"]);
    await shell.closed;
    assert.equal(existsSync(gobin ?? ""), false, "the throwaway GOBIN is gone");
    assert.equal(existsSync(lock), false);
  });

  it("is stopped, go with it, when setup ends before the install (stop_go_prefetch), leaving no lock", async () => {
    const shell = setupShell(`while [ ! -e "${dir}/go.call" ]; do sleep 0.05; done; stop_go_prefetch; echo stopped`);
    await shell.closed;
    assert.equal(shell.output.stdout.trim(), "stopped");
    const goPid = Number(readFileSync(join(dir, "go.call"), "utf8").split(" ")[0]);
    await waitUntil("go to end", () => !processAlive(goPid));
    assert.equal(existsSync(lock), false, "the lock is removed");
  });

  it("does nothing when versitygw is installed, or another install holds the lock", async () => {
    for (const prepare of [() => writeFileSync(join(bin, "versitygw"), "", { mode: 0o755 }), () => mkdirSync(lock)]) {
      rmSync(home, { recursive: true, force: true });
      mkdirSync(bin, { recursive: true });
      prepare();
      const shell = setupShell('echo "pid=[$GO_PREFETCH_PID]"');
      await shell.closed;
      assert.equal(shell.output.stdout.trim(), "pid=[]");
      assert.equal(existsSync(join(dir, "go.call")), false, "go was not started");
    }
  });
});
