import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type LogStream, RemoteJob } from "../../src/job/remote-job.ts";
import type { RemoteNode } from "../../src/remote/ssh.ts";

/**
 * The master's shell, run on this machine: the same commands RemoteJob sends over SSH, with a
 * switch that refuses the first log tails as an SSH channel that does not open would.
 */
class LocalShell {
  readonly isConnected = true;
  refusedTails = 0;
  constructor(private tailsToRefuse: number) {}

  async exec(command: string, options: { onStdout?: (chunk: Buffer) => void; stdin?: string } = {}) {
    if (command.includes("follow-log.sh") && this.tailsToRefuse > 0) {
      this.tailsToRefuse--;
      this.refusedTails++;
      throw new Error("(SSH) Channel open failure: open failed");
    }
    return await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const stdin = options.stdin === undefined ? "ignore" : "pipe";
      const child = spawn("bash", ["-c", command], { stdio: [stdin, "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout?.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        options.onStdout?.(chunk);
      });
      child.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout, stderr }));
      child.stdin?.on("error", () => {}); // a command that does not read its input
      child.stdin?.end(options.stdin);
    });
  }

  async check(command: string, what: string): Promise<string> {
    const result = await this.exec(command);
    if (result.code !== 0) throw new Error(`${what}: ${result.stderr}`);
    return result.stdout;
  }

  async putFile(local: string, remote: string): Promise<void> {
    await copyFile(local, remote);
  }
}

describe("RemoteJob.follow", () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), "burst-remote-job-"));
    await mkdir(join(work, "job", "code"), { recursive: true });
    await writeFile(join(work, "env.sh"), "");
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  for (const refused of [0, 2]) {
    test(`delivers every line of a short job when ${refused} log tails fail to open`, async () => {
      const shell = new LocalShell(refused);
      const job = new RemoteJob(shell as unknown as RemoteNode, work, "");
      const script = 'echo "job started"; printf "half a line"; echo oops >&2; exit 3';
      await job.launch({ argv: ["bash", "-c", script], env: {} }, `refused-${refused}/attempt-1`);
      const lines: [LogStream, string][] = [];
      const outcome = await job.follow({
        onLine: (stream, line) => lines.push([stream, line]),
        timeoutMs: 0,
        // A refused tail while the job still runs is taken for a dropped link: resume.
        reconnect: async () => {},
      });
      assert.equal(shell.refusedTails, refused);
      assert.equal(outcome.exitCode, 3);
      assert.deepEqual(
        lines.filter(([stream]) => stream === "stdout").map(([, line]) => line),
        ["job started", "half a line"],
      );
      assert.deepEqual(
        lines.filter(([stream]) => stream === "stderr").map(([, line]) => line),
        ["oops"],
      );
    });
  }
  test("streams a running job's lines as they come and returns its exit code when it ends", async () => {
    const shell = new LocalShell(0);
    const job = new RemoteJob(shell as unknown as RemoteNode, work, "");
    // Each line waits until the test has seen the one before: they can only arrive as they come,
    // whatever the machine's load.
    const seenFirst = join(work, "seen-first");
    const seenSecond = join(work, "seen-second");
    const script =
      `echo first; until [ -e ${seenFirst} ]; do sleep 0.05; done; echo second >&2; ` +
      `until [ -e ${seenSecond} ]; do sleep 0.05; done; echo third; exit 7`;
    await job.launch({ argv: ["bash", "-c", script], env: {} }, "running/attempt-1");
    const seen: string[] = [];
    const outcome = await job.follow({
      onLine: (stream, line) => {
        seen.push(`${stream}:${line}`);
        if (line === "first") writeFileSync(seenFirst, "");
        if (line === "second") writeFileSync(seenSecond, "");
      },
      timeoutMs: 0,
      reconnect: async () => assert.fail("the connection never dropped"),
    });
    assert.deepEqual(seen, ["stdout:first", "stderr:second", "stdout:third"]);
    assert.deepEqual(outcome, { exitCode: 7, timedOut: false, interrupted: false, reconnects: 0 });
  });

  test("the pid launch reports is the job runner's own (the process group stop() signals)", async () => {
    const shell = new LocalShell(0);
    const job = new RemoteJob(shell as unknown as RemoteNode, work, "");
    await job.launch({ argv: ["true"], env: {} }, "pid/attempt-1");
    await job.follow({ onLine: () => {}, timeoutMs: 0, reconnect: async () => {} });
    const written = (await readFile(join(work, "job", "attempts", "pid", "attempt-1", "pid"), "utf8")).trim();
    assert.equal(String((job as unknown as { pid: number }).pid), written);
  });

  test("a process the job leaves running does not hold the end back", { timeout: 20_000 }, async () => {
    const shell = new LocalShell(0);
    const job = new RemoteJob(shell as unknown as RemoteNode, work, "");
    const script = "sleep 60 </dev/null >/dev/null 2>&1 & echo left-a-daemon";
    await job.launch({ argv: ["bash", "-c", script], env: {} }, "daemon/attempt-1");
    try {
      const lines: string[] = [];
      const outcome = await job.follow({
        onLine: (_, line) => lines.push(line),
        timeoutMs: 0,
        reconnect: async () => {},
      });
      assert.deepEqual(lines, ["left-a-daemon"]);
      assert.equal(outcome.exitCode, 0);
    } finally {
      await job.stop(); // the leftover sleep is in the job's process group
    }
  });

  test("a runner killed with SIGKILL ends the follow, with no exit code", { timeout: 20_000 }, async () => {
    const shell = new LocalShell(0);
    const job = new RemoteJob(shell as unknown as RemoteNode, work, "");
    await job.launch({ argv: ["bash", "-c", "echo up; exec sleep 60"], env: {} }, "killed/attempt-1");
    const pid = (job as unknown as { pid: number }).pid;
    const outcome = await job.follow({
      onLine: (_, line) => {
        if (line === "up") process.kill(-pid, "SIGKILL");
      },
      timeoutMs: 0,
      reconnect: async () => {},
    });
    assert.equal(outcome.exitCode, null);
  });
});
