import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bootstrapState, consolePollMs, waitForBootstrap } from "../../src/lifecycle/node-bootstrap.ts";
import { awsBootHints } from "../../src/targets/aws/boot-hints.ts";

const booting =
  "[  OK  ] Started ssh.service\nburst-host-key: ssh-ed25519 AAAA\nburst-step: worker ttl-guard\nburst-step: worker install-spark\n";
const failed = `${booting}burst-log: worker burst: could not download http://m/spark-3.5.3.tgz\nburst-failed: worker install-spark (exit 1)\n`;

describe("bootstrapState: what a node's console says", () => {
  it("follows the steps, ignoring other lines and colour codes", () => {
    assert.deepEqual(bootstrapState(""), { kind: "booting", step: undefined });
    assert.deepEqual(bootstrapState(`\x1b[0;32m${booting}`), { kind: "booting", step: "install-spark" });
    assert.deepEqual(bootstrapState(`${booting}burst-ready: worker\n`), { kind: "ready" });
  });

  it("reads a failure with its step and the log tail the node printed", () => {
    assert.deepEqual(bootstrapState(failed), {
      kind: "failed",
      step: "install-spark (exit 1)",
      logTail: ["burst: could not download http://m/spark-3.5.3.tgz"],
    });
  });
});

describe("waitForBootstrap", () => {
  const consoleOf = (node: string, texts: string[]) => {
    let at = 0;
    return { node, read: async () => texts[Math.min(at++, texts.length - 1)] ?? "" };
  };

  it("returns once every node is ready, reporting each new step once", async () => {
    const progress: string[] = [];
    await waitForBootstrap(
      [
        consoleOf("master", [booting, booting, `${booting}burst-ready: master`]),
        consoleOf("worker-1", ["", `${booting}burst-ready: w`]),
      ],
      { timeoutMs: 5000, pollMs: 1, onProgress: (node, step) => progress.push(`${node}: ${step}`) },
    );
    assert.deepEqual(progress, ["master: install-spark"]);
  });

  it("fails at once when a node reports failed, naming it with its log tail", async () => {
    await assert.rejects(
      waitForBootstrap([consoleOf("master", [booting]), consoleOf("worker-1 (i-0abc)", [failed])], {
        timeoutMs: 60_000,
        pollMs: 1,
        hints: awsBootHints,
      }),
      (error: Error & { exitCode?: number }) => {
        assert.match(error.message, /^node worker-1 \(i-0abc\) failed its bootstrap at step install-spark \(exit 1\)/);
        assert.match(error.message, /\n {2}burst: could not download http:\/\/m\/spark-3\.5\.3\.tgz$/);
        assert.match((error as Error & { hint?: string }).hint ?? "", /stage it first \(npm run vpc -- stage\)/);
        return true;
      },
    );
  });

  it("points a checksum mismatch at the pin and at staging", async () => {
    const mismatch = `${booting}burst-log: worker burst: checksum mismatch for http://b/pypi/pyspark-3.5.3.tar.gz: its sha256 is 01, the pinned one ab\nburst-failed: worker install-spark (exit 1)\n`;
    await assert.rejects(
      waitForBootstrap([consoleOf("worker", [mismatch])], { timeoutMs: 60_000, pollMs: 1, hints: awsBootHints }),
      (error: Error & { hint?: string }) => {
        assert.match(error.message, /burst: checksum mismatch for http:\/\/b\/pypi\/pyspark-3\.5\.3\.tar\.gz/);
        assert.match(error.hint ?? "", /not the one stacks\/aws\/artifacts\/ pins .*npm run vpc -- stage/);
        return true;
      },
    );
  });

  it("times out naming the step each late node is at", async () => {
    await assert.rejects(
      waitForBootstrap([consoleOf("master", [booting]), consoleOf("worker-1", [""])], { timeoutMs: 5, pollMs: 1 }),
      /did not finish booting within 0 s: master at install-spark, worker-1 at boot/,
    );
  });

  it("stops waiting as soon as the run is interrupted, not at the next poll", async () => {
    const interrupt = new AbortController();
    setTimeout(() => interrupt.abort(), 50);
    const began = Date.now();
    await assert.rejects(
      waitForBootstrap([consoleOf("master", [booting])], {
        timeoutMs: 600_000,
        pollMs: 60_000,
        signal: interrupt.signal,
      }),
      /interrupted while the nodes were booting/,
    );
    assert.ok(Date.now() - began < 5_000, `took ${Date.now() - began} ms`);
  });
});

describe("consolePollMs: how often the consoles are read", () => {
  it("every second up to 4 nodes, then about 4 reads a second, never slower than every 5 s", () => {
    assert.equal(consolePollMs(1), 1000);
    assert.equal(consolePollMs(3), 1000);
    assert.equal(consolePollMs(4), 1000);
    assert.equal(consolePollMs(12), 3000);
    assert.equal(consolePollMs(20), 5000);
    assert.equal(consolePollMs(101), 5000);
    for (const nodes of [1, 3, 8, 20]) assert.ok(nodes / (consolePollMs(nodes) / 1000) <= 4, `${nodes} nodes`);
  });
});
