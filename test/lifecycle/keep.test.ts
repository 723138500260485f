// --keep-on-failure: how long a failed run's cluster is kept, and how its end is set on the nodes.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { BurstError, ExitCode } from "../../src/errors.ts";
import { keepFailedCluster, parseKeepDuration } from "../../src/lifecycle/keep.ts";
import type { RunRecord } from "../../src/lifecycle/run-record.ts";

describe("--keep-on-failure's duration", () => {
  test("is 30 minutes when the flag has no value, else hours, minutes and seconds as written", () => {
    assert.equal(parseKeepDuration(""), 30 * 60_000);
    assert.equal(parseKeepDuration("90s"), 90_000);
    assert.equal(parseKeepDuration("2h"), 2 * 3_600_000);
    assert.equal(parseKeepDuration("1h30m"), 90 * 60_000);
  });

  test("anything else is bad input (exit 2) that shows what is expected", () => {
    for (const text of ["30", "soon", "0m", "1d", "m"]) {
      assert.throws(
        () => parseKeepDuration(text),
        (error: unknown) =>
          error instanceof BurstError &&
          error.exitCode === ExitCode.badInput &&
          error.message.includes("30m, 90s, 2h or 1h30m") &&
          error.message.includes(`"${text}"`),
        text,
      );
    }
  });
});

describe("keeping a failed local run's cluster", () => {
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  /** A local run record whose TTL guard (stacks/local/scripts/start-ttl-guard.sh) ends it at `ttlEnd`. */
  async function keptRun(now: Date, ttlEnd: Date): Promise<{ record: RunRecord; deadlineFile: string }> {
    const runDir = await mkdtemp(join(tmpdir(), "burst-keep-"));
    dirs.push(runDir);
    const guardDir = join(runDir, "nodes", "ttl-guard");
    await mkdir(guardDir, { recursive: true });
    const deadlineFile = join(guardDir, "deadline");
    await writeFile(deadlineFile, `${Math.floor(ttlEnd.getTime() / 1000)}\n`);
    const record: RunRecord = {
      runId: "20261207-080000-abcd",
      name: "kept",
      owner: "me",
      target: "local",
      specFile: "spark.yml",
      runDir,
      stackDir: join(runDir, "stack"),
      terraformBinary: "terraform",
      startedAt: now.toISOString(),
      expiresAt: ttlEnd.toISOString(),
      resultsUri: "s3://results/kept/",
      pid: process.pid,
      phase: "run",
      destroyed: false,
    };
    return { record, deadlineFile };
  }

  test("brings the nodes' TTL guard forward to the keep deadline and says how to look at the cluster and end it", async () => {
    const now = new Date("2026-12-07T08:00:00Z");
    const { record, deadlineFile } = await keptRun(now, new Date("2026-12-07T09:00:00Z"));
    const kept = await keepFailedCluster(record, 10 * 60_000, now);
    assert.equal(kept.record.kept, true);
    assert.equal(kept.record.expiresAt, "2026-12-07T08:10:00.000Z");
    assert.equal((await readFile(deadlineFile, "utf8")).trim(), String(Date.parse("2026-12-07T08:10:00Z") / 1000));
    const text = kept.lines.join("\n");
    assert.match(text, /cluster kept after the failure until 2026-12-07T08:10:00.000Z; its TTL guard ends it then/);
    assert.ok(text.includes("npm run burst -- ssh 20261207-080000-abcd"));
    assert.ok(text.includes("npm run burst -- ui 20261207-080000-abcd"));
    assert.ok(text.includes("npm run burst -- down 20261207-080000-abcd"));
  });

  test("never past the cluster's TTL: a longer keep ends at the TTL, and says so", async () => {
    const now = new Date("2026-12-07T08:00:00Z");
    const ttlEnd = new Date("2026-12-07T08:05:00Z");
    const { record, deadlineFile } = await keptRun(now, ttlEnd);
    const kept = await keepFailedCluster(record, 30 * 60_000, now);
    assert.equal(kept.record.expiresAt, ttlEnd.toISOString());
    assert.equal((await readFile(deadlineFile, "utf8")).trim(), String(ttlEnd.getTime() / 1000));
    assert.match(kept.lines[0] ?? "", /until 2026-12-07T08:05:00.000Z \(capped by the cluster's TTL\)/);
  });
});
