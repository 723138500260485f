import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { CommandError, formatCommand, run, runChecked, start, which } from "../../src/util/exec.ts";

const gone = (pid: number) => {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
};

async function eventually(cond: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return cond();
}

test("run streams complete lines from both streams and captures output", async () => {
  const lines: string[] = [];
  const r = await run("bash", ["-c", "printf 'a\\nb\\r\\n'; printf 'err\\n' >&2; printf 'tail-no-newline'"], {
    onLine: (line, stream) => lines.push(`${stream}:${line}`),
  });
  assert.equal(r.code, 0);
  assert.equal(r.stdout, "a\nb\r\ntail-no-newline");
  assert.equal(r.stderr, "err\n");
  assert.deepEqual(
    lines.filter((l) => l.startsWith("stdout:")),
    ["stdout:a", "stdout:b", "stdout:tail-no-newline"],
  );
  assert.deepEqual(
    lines.filter((l) => l.startsWith("stderr:")),
    ["stderr:err"],
  );
});

test("a non-zero exit resolves with its code; check/runChecked rejects with the stderr tail", async () => {
  const r = await run("bash", ["-c", "echo boom >&2; exit 7"]);
  assert.equal(r.code, 7);
  await assert.rejects(runChecked("bash", ["-c", "echo boom >&2; exit 7"]), (e: unknown) => {
    assert.ok(e instanceof CommandError);
    assert.match(e.message, /exited with code 7:\nboom/);
    assert.equal(e.result?.code, 7);
    return true;
  });
});

test("a missing executable rejects with code ENOENT", async () => {
  await assert.rejects(
    run("definitely-not-a-command-burst"),
    (e: unknown) => e instanceof CommandError && e.code === "ENOENT",
  );
});

test("env merges onto process.env, undefined removes, cwd and stdin apply", async () => {
  process.env.BURST_EXEC_TEST_DROP = "x";
  try {
    const r = await run("bash", ["-c", 'echo "$FOO|${BURST_EXEC_TEST_DROP-unset}|$PWD"; cat'], {
      env: { FOO: "bar", BURST_EXEC_TEST_DROP: undefined },
      cwd: "/tmp",
      input: "from-stdin",
    });
    assert.equal(r.stdout, "bar|unset|/tmp\nfrom-stdin");
  } finally {
    delete process.env.BURST_EXEC_TEST_DROP;
  }
});

test("a timeout kills the whole process group, grandchildren included", async () => {
  let grandchild = 0;
  const r = await run("bash", ["-c", "sleep 30 & echo $!; wait"], {
    timeoutMs: 300,
    onLine: (line) => {
      grandchild = Number(line);
    },
  });
  assert.equal(r.timedOut, true);
  assert.equal(r.code, null);
  assert.ok(grandchild > 0);
  assert.ok(await eventually(() => gone(grandchild)), `grandchild ${grandchild} still alive`);
});

test("aborting the signal kills the process group; a bash ignoring SIGTERM gets SIGKILL", async () => {
  const ac = new AbortController();
  const p = run("bash", ["-c", "trap '' TERM; sleep 30 & wait; sleep 30"], {
    signal: ac.signal,
    killGraceMs: 200,
  });
  setTimeout(() => ac.abort(), 200);
  const r = await p;
  assert.equal(r.aborted, true);
  assert.ok(r.durationMs < 5000, `took ${r.durationMs} ms`);
  const already = new AbortController();
  already.abort();
  assert.equal((await run("sleep", ["30"], { signal: already.signal })).aborted, true);
});

test("start() returns a handle whose stop() ends a long-running server", async () => {
  const s = start("bash", ["-c", "echo ready; exec sleep 60"]);
  assert.ok(s.pid);
  await new Promise((r) => setTimeout(r, 100));
  const r = await s.stop();
  assert.equal(r.signal, "SIGTERM");
  assert.ok(gone(s.pid ?? 0));
});

test("maxCapture keeps the tail of a large output", async () => {
  const r = await run("bash", ["-c", "seq 1 100000"], { maxCapture: 1000 });
  assert.equal(r.stdout.length, 1000);
  assert.ok(r.stdout.endsWith("99999\n100000\n"));
});

test("which finds executables on PATH and checks paths; formatCommand quotes", () => {
  assert.equal(which("bash", "/nonexistent:/bin:/usr/bin")?.endsWith("/bash"), true);
  assert.equal(which("no-such-binary-burst"), undefined);
  const dir = mkdtempSync(join(tmpdir(), "burst-which-"));
  const plain = join(dir, "plain");
  writeFileSync(plain, "", { mode: 0o644 });
  assert.equal(which(plain), undefined, "not executable");
  chmodSync(plain, 0o755);
  assert.equal(which(plain), plain);
  rmSync(dir, { recursive: true, force: true });
  assert.equal(formatCommand("spark-submit", ["--conf", "a=b c", "it's"]), "spark-submit --conf 'a=b c' 'it'\\''s'");
});
