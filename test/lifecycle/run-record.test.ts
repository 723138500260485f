// A run's record (run.json): what `burst list`, `status`, `down` and `gc` read to find a run's cluster.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { BurstError } from "../../src/errors.ts";
import {
  listRecords,
  newRunId,
  ownerAlive,
  type RunRecord,
  readRecord,
  runsRoot,
  writeRecord,
} from "../../src/lifecycle/run-record.ts";

const recordIn = (home: string, runId: string, changes: Partial<RunRecord> = {}): RunRecord => {
  const runDir = join(runsRoot(home), runId);
  return {
    runId,
    name: "wordcount",
    owner: "alice",
    target: "local",
    specFile: "/work/spark.yml",
    runDir,
    stackDir: join(runDir, "stack"),
    terraformBinary: "terraform",
    startedAt: "2026-11-22T03:01:01.000Z",
    expiresAt: "2026-11-22T05:01:01.000Z",
    resultsUri: `s3://burst-results/wordcount/${runId}/`,
    pid: process.pid,
    phase: "apply",
    destroyed: false,
    ...changes,
  };
};

describe("newRunId", () => {
  test("is the UTC time to the second, then four hex digits: sortable and readable", () => {
    const id = newRunId(new Date("2026-11-22T03:01:01.987Z"));
    assert.match(id, /^20261122-030101-[0-9a-f]{4}$/);
  });

  test("two ids made in the same second differ", () => {
    const now = new Date();
    const ids = new Set(Array.from({ length: 20 }, () => newRunId(now)));
    assert.ok(ids.size > 1, "the random suffix tells runs of the same second apart");
  });

  test("sorts in the order runs started", () => {
    const earlier = newRunId(new Date("2026-11-22T03:01:01Z"));
    const later = newRunId(new Date("2026-11-22T10:00:00Z"));
    assert.ok(earlier < later);
  });
});

describe("run records on disk", () => {
  let home: string;
  before(async () => {
    home = await mkdtemp(join(tmpdir(), "burst-run-record-"));
  });
  after(async () => {
    await rm(home, { recursive: true, force: true });
  });

  test("a written record reads back as written, in a run folder only its owner can enter", async () => {
    const record = recordIn(home, "20261122-030101-aaaa", {
      placement: { availabilityZone: "eu-west-1a", subnetId: "subnet-0abc" },
    });
    await writeRecord(record);
    assert.deepEqual(await readRecord(record.runDir), record);
    assert.equal((await stat(record.runDir)).mode & 0o777, 0o700);
    assert.deepEqual(await readdir(record.runDir), ["run.json"], "no temp file is left beside run.json");
  });

  test("rewriting a record replaces it whole (phase by phase)", async () => {
    const record = recordIn(home, "20261122-030101-bbbb");
    await writeRecord(record);
    await writeRecord({ ...record, phase: "destroy", destroyed: true, outcome: "succeeded" });
    const read = await readRecord(record.runDir);
    assert.equal(read?.phase, "destroy");
    assert.equal(read?.destroyed, true);
    assert.equal(read?.outcome, "succeeded");
  });

  test("a folder without run.json has no record", async () => {
    const dir = join(home, "elsewhere");
    await mkdir(dir, { recursive: true });
    assert.equal(await readRecord(dir), undefined);
  });

  test("a damaged run.json is an infrastructure error naming the file, with a hint", async () => {
    const dir = join(home, "damaged");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "run.json"), '{"runId": "half');
    const error = await readRecord(dir).then(
      () => assert.fail("a damaged record must not read as a record"),
      (caught: unknown) => caught as BurstError,
    );
    assert.ok(error instanceof BurstError);
    assert.equal(error.exitCode, 3);
    assert.match(error.message, new RegExp(`^${join(dir, "run.json")} is not valid JSON`));
    assert.match(error.hint ?? "", /restore it or remove the run folder/);
  });

  test("listRecords lists every readable run, oldest first, skipping damaged ones", async () => {
    const listHome = await mkdtemp(join(tmpdir(), "burst-run-list-"));
    try {
      assert.deepEqual(await listRecords(listHome), [], "no runs folder: no runs");
      await writeRecord(recordIn(listHome, "20261123-000000-cccc"));
      await writeRecord(recordIn(listHome, "20261122-000000-dddd"));
      await mkdir(join(runsRoot(listHome), "20261124-000000-eeee"), { recursive: true });
      await writeFile(join(runsRoot(listHome), "20261124-000000-eeee", "run.json"), "not json");
      await mkdir(join(runsRoot(listHome), "20261125-000000-ffff"), { recursive: true });
      const ids = (await listRecords(listHome)).map((record) => record.runId);
      assert.deepEqual(ids, ["20261122-000000-dddd", "20261123-000000-cccc"]);
    } finally {
      await rm(listHome, { recursive: true, force: true });
    }
  });

  test("the runs folder is <BURST_HOME>/runs", () => {
    assert.equal(runsRoot("/home/alice/.burst"), "/home/alice/.burst/runs");
  });
});

describe("ownerAlive", () => {
  test("is true for the CLI process that is running (this one)", () => {
    assert.equal(ownerAlive(recordIn("/tmp", "x", { pid: process.pid })), true);
  });

  test("is false once the owner has exited: its cluster is an orphan", () => {
    const exited = spawnSync("true");
    assert.ok(exited.pid);
    assert.equal(ownerAlive(recordIn("/tmp", "x", { pid: exited.pid })), false);
  });
});

test("a record is plain JSON a person can read", async () => {
  const home = await mkdtemp(join(tmpdir(), "burst-run-json-"));
  try {
    const record = recordIn(home, "20261122-030101-abcd");
    await writeRecord(record);
    const text = await readFile(join(record.runDir, "run.json"), "utf8");
    assert.match(text, /^\{\n {2}"runId": "20261122-030101-abcd",\n/);
    assert.ok(text.endsWith("}\n"));
    assert.ok(existsSync(record.runDir));
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
