// component: terraform, moto
// burst gc on real runs: each run folder holds a cluster applied with the real terraform (a
// detached process its destroy provisioner stops) and a record whose owner is a real live or
// dead process. gc destroys orphaned and expired clusters from their own state, leaves live and
// kept ones alone, and has the aws target sweep its leftovers (moto_server) with the runs still
// live as known runs.

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  burstTags,
  createNetwork,
  createRunResources,
  flatten,
  inventory,
  type MotoServer,
  startMoto,
} from "../../scripts/servers/moto.ts";
import { resolveCliParams } from "../../src/cli/validate.ts";
import { type GcReport, gc, gcVerdict } from "../../src/fleet/gc.ts";
import { resourcesInState } from "../../src/fleet/status.ts";
import type { BurstEvent } from "../../src/lifecycle/events.ts";
import { type RunRecord, readRecord } from "../../src/lifecycle/run-record.ts";
import { createAwsTarget } from "../../src/targets/aws/target.ts";
import {
  createLocalRun,
  deadPid,
  killLeftoverNodes,
  type LocalRun,
  liveOwner,
  makeHome,
  processRunning,
} from "./local-runs.ts";

const homes: string[] = [];
const owners: { stop: () => void }[] = [];
const home = async () => {
  const dir = await makeHome();
  homes.push(dir);
  return dir;
};
const owner = () => {
  const process = liveOwner();
  owners.push(process);
  return process.pid;
};
after(async () => {
  for (const dir of homes) {
    await killLeftoverNodes(dir);
    await rm(dir, { recursive: true, force: true });
  }
  for (const process of owners) process.stop();
});

/** No AWS configuration in the environment: the aws target has nothing to sweep with. */
// The CLI's parameters, read from an environment with no AWS region (and config/, which has none).
const noAws = { env: {}, params: () => resolveCliParams(undefined, {}) };
const machineParams = () => resolveCliParams(undefined);
const awsSweep = (report: GcReport) => report.leftovers.find((sweep) => sweep.target === "aws");

const collect = () => {
  const events: BurstEvent[] = [];
  return { events, sink: (event: BurstEvent) => events.push(event) };
};

/** Destroyed for real: its process is gone, its state is empty and unlocked, its record says so. */
async function assertDestroyed(run: LocalRun): Promise<void> {
  assert.equal(processRunning(run.nodePid), false, `node process ${run.nodePid} of ${run.record.runId} still runs`);
  assert.equal(await resourcesInState(run.record.stackDir), 0);
  assert.equal(existsSync(join(run.record.stackDir, ".terraform.tfstate.lock.info")), false, "state lock left");
  assert.equal((await readRecord(run.record.runDir))?.destroyed, true);
}

/** Untouched: its process runs, its state holds the cluster, its record is as written. */
async function assertUntouched(run: LocalRun): Promise<void> {
  assert.equal(processRunning(run.nodePid), true, `node process of ${run.record.runId} was stopped`);
  assert.equal(await resourcesInState(run.record.stackDir), 1);
  assert.deepEqual(await readRecord(run.record.runDir), run.record);
}

describe("gcVerdict", () => {
  const now = new Date("2026-11-22T12:00:00Z");
  const base: RunRecord = {
    runId: "r",
    name: "n",
    owner: "alice",
    target: "local",
    specFile: "spark.yml",
    runDir: "/x",
    stackDir: "/x/stack",
    terraformBinary: "terraform",
    startedAt: "2026-11-22T11:00:00Z",
    expiresAt: "2026-11-22T13:00:00Z",
    resultsUri: "",
    pid: 1,
    phase: "run",
    destroyed: false,
  };
  const expired = { ...base, expiresAt: "2026-11-22T11:30:00Z" };
  const cases: [string, RunRecord, boolean, string | undefined, boolean?][] = [
    ["live owner, TTL ahead", base, true, undefined],
    ["dead owner, TTL ahead", base, false, "orphaned"],
    ["dead owner, run ended without destroying", { ...base, outcome: "failed" }, false, "orphaned"],
    ["kept, TTL ahead", { ...base, kept: true, outcome: "succeeded" }, false, undefined],
    ["kept, TTL passed", { ...expired, kept: true, outcome: "succeeded" }, false, "expired"],
    ["dead owner, TTL passed", expired, false, "expired"],
    ["live owner still driving, TTL passed", expired, true, "expired", true],
    ["live pid but the run ended, TTL passed", { ...expired, outcome: "succeeded" }, true, "expired", false],
    ["destroyed", { ...expired, destroyed: true }, false, undefined],
  ];
  for (const [what, record, alive, why, driven] of cases) {
    test(`${what} → ${why ?? "left alone"}${driven ? " (still driven)" : ""}`, () => {
      const verdict = gcVerdict(record, now, alive);
      assert.equal(verdict?.why, why);
      if (verdict) assert.equal(verdict.driven, driven ?? false);
    });
  }
});

describe("gc on this machine", () => {
  test("destroys orphaned and expired clusters, leaves live and kept ones alone", async () => {
    const burstHome = await home();
    const [orphaned, live, keptFresh, keptExpired, crashedLate] = await Promise.all([
      createLocalRun(burstHome, { runId: "run-orphaned", pid: await deadPid(), expiresInMinutes: 60 }),
      createLocalRun(burstHome, { runId: "run-live", pid: owner(), expiresInMinutes: 60 }),
      createLocalRun(burstHome, {
        runId: "run-kept",
        pid: await deadPid(),
        expiresInMinutes: 60,
        kept: true,
        outcome: "succeeded",
      }),
      createLocalRun(burstHome, {
        runId: "run-kept-expired",
        pid: await deadPid(),
        expiresInMinutes: -5,
        kept: true,
        outcome: "succeeded",
      }),
      createLocalRun(burstHome, {
        runId: "run-destroy-failed",
        pid: await deadPid(),
        expiresInMinutes: 60,
        outcome: "failed",
      }),
    ]);
    const { sink, events } = collect();
    const report = await gc({ burstHome, dryRun: false, sink, ...noAws });

    assert.equal(report.exitCode, 0);
    assert.deepEqual(
      report.local.map((r) => [r.runId, r.why, r.action]),
      [
        ["run-destroy-failed", "orphaned", "destroyed"],
        ["run-kept-expired", "expired", "destroyed"],
        ["run-orphaned", "orphaned", "destroyed"],
      ],
    );
    await assertDestroyed(orphaned);
    await assertDestroyed(keptExpired);
    await assertDestroyed(crashedLate);
    await assertUntouched(live);
    await assertUntouched(keptFresh);
    assert.deepEqual(report.leftovers, [{ target: "aws", notSwept: "no AWS region configured" }]);
    assert.ok(events.some((e) => e.type === "info" && e.message === "aws: not swept (no AWS region configured)"));

    const again = await gc({ burstHome, dryRun: false, sink: () => {}, ...noAws });
    assert.deepEqual(again.local, [], "a second gc finds nothing");
  });

  test("dry run reports what it would destroy and destroys nothing", async () => {
    const burstHome = await home();
    const orphaned = await createLocalRun(burstHome, {
      runId: "run-orphaned",
      pid: await deadPid(),
      expiresInMinutes: 60,
    });
    const { sink, events } = collect();
    const report = await gc({ burstHome, dryRun: true, sink, ...noAws });

    assert.deepEqual(
      report.local.map((r) => [r.runId, r.action]),
      [["run-orphaned", "would-destroy"]],
    );
    assert.equal(report.exitCode, 0);
    assert.ok(events.some((e) => e.type === "info" && e.message.startsWith("would destroy run run-orphaned")));
    assert.ok(!events.some((e) => e.type === "phase-start"), "no destroy started");
    await assertUntouched(orphaned);
  });

  test("an expired run still driven by its CLI is left to that CLI, with a warning", async () => {
    const burstHome = await home();
    const driven = await createLocalRun(burstHome, { runId: "run-driven", pid: owner(), expiresInMinutes: -1 });
    const { sink, events } = collect();
    const report = await gc({ burstHome, dryRun: false, sink, ...noAws });

    assert.deepEqual(
      report.local.map((r) => [r.runId, r.why, r.action]),
      [["run-driven", "expired", "skipped"]],
    );
    assert.equal(report.exitCode, 0);
    assert.ok(events.some((e) => e.type === "warning" && /still driving it/.test(e.message)));
    await assertUntouched(driven);
  });

  test("a destroy that fails is reported and makes the exit code 3", async () => {
    const burstHome = await home();
    const broken = await createLocalRun(burstHome, {
      runId: "run-broken",
      pid: await deadPid(),
      expiresInMinutes: 60,
      failingDestroy: true,
    });
    const orphaned = await createLocalRun(burstHome, {
      runId: "run-orphaned",
      pid: await deadPid(),
      expiresInMinutes: 60,
    });
    const { sink, events } = collect();
    const report = await gc({ burstHome, dryRun: false, sink, ...noAws });

    assert.equal(report.exitCode, 3);
    assert.deepEqual(
      report.local.map((r) => [r.runId, r.action]),
      [
        ["run-broken", "failed"],
        ["run-orphaned", "destroyed"],
      ],
    );
    assert.ok(events.some((e) => e.type === "warning" && e.message.startsWith("could not destroy run run-broken")));
    assert.equal((await readRecord(broken.record.runDir))?.destroyed, false, "still recorded as up, for the next gc");
    await assertDestroyed(orphaned);
  });
});

describe("gc with AWS", () => {
  let moto: MotoServer;
  before(async () => {
    moto = await startMoto();
  });
  after(async () => {
    await moto?.stop();
  });

  test("sweeps the resources of runs that are not live here, and those past their TTL", async () => {
    await moto.reset();
    const ec2 = moto.client();
    const network = await createNetwork(ec2);
    const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
    const burstHome = await home();
    // On this machine: a live AWS run, and one whose CLI died (gc destroys its local side first).
    await createLocalRun(burstHome, { runId: "run-live", pid: owner(), expiresInMinutes: 60, target: "aws" });
    await createLocalRun(burstHome, { runId: "run-dead", pid: await deadPid(), expiresInMinutes: 60, target: "aws" });
    const tagged = (runId: string, who = "alice", expiresAt = inAnHour) =>
      createRunResources(ec2, network, burstTags({ runId, expiresAt, owner: who }));
    const live = await tagged("run-live");
    const dead = await tagged("run-dead");
    const unknownMine = await tagged("run-from-a-wiped-home");
    const colleague = await tagged("run-of-bob", "bob");
    const colleagueExpired = await tagged("run-of-bob-expired", "bob", new Date(Date.now() - 60_000).toISOString());
    const timing = {
      pollMs: 50,
      terminateTimeoutMs: 5_000,
      retryFirstDelayMs: 20,
      retryMaxDelayMs: 100,
      retryTimeoutMs: 5_000,
    };

    const targets = [createAwsTarget({ leftovers: { client: ec2, timing } })];
    const dry = await gc({
      burstHome,
      dryRun: true,
      sink: () => {},
      targets,
      orphansOf: "alice",
      params: machineParams,
    });
    const expected = flatten([dead, unknownMine, colleagueExpired]);
    assert.deepEqual(
      awsSweep(dry)
        ?.report?.results.map((r) => `${r.leftover.kind} ${r.leftover.id}`)
        .sort(),
      expected,
    );
    assert.ok(awsSweep(dry)?.report?.results.every((r) => r.action === "would-remove"));

    const before = await inventory(ec2);
    const report = await gc({
      burstHome,
      dryRun: false,
      sink: () => {},
      targets,
      orphansOf: "alice",
      params: machineParams,
    });
    assert.equal(report.exitCode, 0, JSON.stringify(report));
    assert.deepEqual(
      report.local.map((r) => [r.runId, r.action]),
      [["run-dead", "destroyed"]],
    );
    const afterwards = await inventory(ec2);
    const gone = flatten([before.ids]).filter((key) => !flatten([afterwards.ids]).includes(key));
    assert.deepEqual(gone, expected, "the same set the dry run listed, and nothing else");
    for (const id of [...live.instance, ...colleague.instance])
      assert.equal(afterwards.instanceStates.get(id), "running");

    const everyone = await gc({
      burstHome,
      dryRun: false,
      sink: () => {},
      targets,
      orphansOf: "everyone",
      params: machineParams,
    });
    assert.deepEqual(
      awsSweep(everyone)
        ?.report?.results.map((r) => `${r.leftover.kind} ${r.leftover.id}`)
        .sort(),
      flatten([colleague]),
      "with orphansOf everyone, a colleague's unknown run goes too; the live run stays",
    );
  });

  test("an unreachable EC2 API is reported, and the local part still runs", async () => {
    const burstHome = await home();
    const orphaned = await createLocalRun(burstHome, {
      runId: "run-orphaned",
      pid: await deadPid(),
      expiresInMinutes: 60,
    });
    const { EC2Client } = await import("@aws-sdk/client-ec2");
    const { freePort } = await import("../../scripts/servers/ports.ts");
    const ec2 = new EC2Client({
      endpoint: `http://127.0.0.1:${await freePort()}`,
      region: "us-east-1",
      credentials: { accessKeyId: "x", secretAccessKey: "x" },
      maxAttempts: 1,
    });
    const report = await gc({
      burstHome,
      dryRun: false,
      sink: () => {},
      targets: [createAwsTarget({ leftovers: { client: ec2 } })],
      params: machineParams,
    });
    assert.equal(report.exitCode, 3);
    assert.ok(awsSweep(report)?.error);
    assert.deepEqual(
      report.local.map((r) => r.action),
      ["destroyed"],
    );
    await assertDestroyed(orphaned);
  });
});
