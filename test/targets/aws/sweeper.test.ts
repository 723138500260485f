// component: moto
// The AWS sweeper against a real EC2 API (moto_server on loopback): it finds exactly the burst
// resources that are expired or orphaned, removes them in dependency order with termination
// confirmed, and never touches untagged, foreign or VPC-stack resources.

import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import {
  CreateSecurityGroupCommand,
  DeleteKeyPairCommand,
  DeleteLaunchTemplateCommand,
  DescribeFleetsCommand,
  type EC2Client,
  type Tag,
} from "@aws-sdk/client-ec2";
import {
  burstTags,
  createNetwork,
  createRunResources,
  failFirst,
  flatten,
  inventory,
  type MotoServer,
  pageAnswers,
  type RunResources,
  recordCommands,
  startMoto,
} from "../../../scripts/servers/moto.ts";
import type { BurstEvent } from "../../../src/lifecycle/events.ts";
import { findLeftovers, fleetIdTag, type Leftover, removeLeftovers } from "../../../src/targets/aws/sweeper.ts";
import { tagKeys } from "../../../stacks/aws/tags.ts";

const fast = {
  pollMs: 50,
  terminateTimeoutMs: 5_000,
  retryFirstDelayMs: 20,
  retryMaxDelayMs: 100,
  retryTimeoutMs: 5_000,
};
const now = new Date();
const hourAgo = new Date(now.getTime() - 3_600_000).toISOString();
const inAnHour = new Date(now.getTime() + 3_600_000).toISOString();

let moto: MotoServer;
before(async () => {
  moto = await startMoto();
});
after(async () => {
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
});

interface Scenario {
  readonly expired: RunResources;
  readonly live: RunResources;
  readonly orphan: RunResources;
  readonly colleague: RunResources;
  readonly untagged: RunResources;
  readonly foreign: RunResources;
  readonly vpcGroup: string;
  /** Runs the registry says are live. */
  readonly knownRuns: Set<string>;
}

/** Six runs' worth of resources side by side, as in a shared account. */
async function scenario(ec2: EC2Client): Promise<Scenario> {
  const network = await createNetwork(ec2);
  const run = (runId: string, expiresAt: string, owner = "alice") =>
    createRunResources(ec2, network, burstTags({ runId, expiresAt, owner }));
  const expired = await run("run-expired", hourAgo, "carol"); // whoever owns it, it is past its TTL
  const live = await run("run-live", inAnHour);
  const orphan = await run("run-orphan", inAnHour);
  const colleague = await run("run-colleague", inAnHour, "bob");
  const untagged = await createRunResources(ec2, network, undefined);
  const foreign = await createRunResources(ec2, network, [
    { Key: "team", Value: "data" },
    { Key: tagKeys.expiresAt, Value: hourAgo },
  ]);
  // The VPC stack's group: even a stray run id next to burst:vpc must not make it garbage.
  const vpcGroup = await ec2.send(
    new CreateSecurityGroupCommand({
      GroupName: "burst-main-cluster",
      Description: "vpc stack",
      VpcId: network.vpcId,
      TagSpecifications: [
        {
          ResourceType: "security-group",
          Tags: [{ Key: tagKeys.vpc, Value: "main" }, ...burstTags({ runId: "run-expired", expiresAt: hourAgo })],
        },
      ],
    }),
  );
  return {
    expired,
    live,
    orphan,
    colleague,
    untagged,
    foreign,
    vpcGroup: vpcGroup.GroupId ?? "",
    knownRuns: new Set(["run-live"]),
  };
}

/**
 * Makes moto answer as AWS does for instant fleets: DescribeFleets without ids leaves them out,
 * and every instance a fleet launched carries EC2's aws:ec2:fleet-id tag (moto does neither).
 */
function listFleetsAsAws(ec2: EC2Client): { taggedInstances: () => number } {
  const fleetOf = new Map<string, string>();
  let tagged = 0;
  ec2.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const command = String(context.commandName);
      const output = result.output as unknown as Record<string, unknown>;
      if (command === "CreateFleetCommand") {
        const created = output as { FleetId?: string; Instances?: { InstanceIds?: string[] }[] };
        for (const id of (created.Instances ?? []).flatMap((i) => i.InstanceIds ?? [])) {
          fleetOf.set(id, created.FleetId ?? "");
        }
      }
      if (command === "DescribeFleetsCommand" && !(args.input as { FleetIds?: string[] }).FleetIds?.length) {
        output.Fleets = ((output.Fleets ?? []) as { Type?: string }[]).filter((fleet) => fleet.Type !== "instant");
      }
      if (command === "DescribeInstancesCommand") {
        const reservations = (output.Reservations ?? []) as { Instances?: { InstanceId?: string; Tags?: Tag[] }[] }[];
        for (const instance of reservations.flatMap((r) => r.Instances ?? [])) {
          const fleetId = fleetOf.get(instance.InstanceId ?? "");
          if (!fleetId) continue;
          instance.Tags = [...(instance.Tags ?? []), { Key: fleetIdTag, Value: fleetId }];
          tagged++;
        }
      }
      return result;
    },
    { step: "initialize", name: "listFleetsAsAws" },
  );
  return { taggedInstances: () => tagged };
}

const keysOf = (leftovers: readonly Leftover[]) => leftovers.map((l) => `${l.kind} ${l.id}`).sort();
const collect = () => {
  const events: BurstEvent[] = [];
  return { events, sink: (event: BurstEvent) => events.push(event) };
};

describe("findLeftovers", () => {
  test("lists exactly the expired and orphaned burst resources, never untagged, foreign or VPC-stack ones", async () => {
    const ec2 = moto.client();
    const s = await scenario(ec2);
    const leftovers = await findLeftovers({ client: ec2, knownRuns: s.knownRuns, now, orphanOwner: "alice" });
    assert.deepEqual(keysOf(leftovers), flatten([s.expired, s.orphan]));
    for (const leftover of leftovers) {
      assert.equal(leftover.why, leftover.runId === "run-expired" ? "expired" : "orphaned");
    }
    assert.ok(!keysOf(leftovers).includes(`security-group ${s.vpcGroup}`));
  });

  test("counts a colleague's unknown run as orphaned only when no owner is given", async () => {
    const ec2 = moto.client();
    const s = await scenario(ec2);
    const everyone = await findLeftovers({ client: ec2, knownRuns: s.knownRuns, now });
    assert.deepEqual(keysOf(everyone), flatten([s.expired, s.orphan, s.colleague]));
  });

  test("a live run's resources become leftovers once its TTL passes", async () => {
    const ec2 = moto.client();
    const s = await scenario(ec2);
    const later = new Date(now.getTime() + 2 * 3_600_000);
    const leftovers = await findLeftovers({ client: ec2, knownRuns: s.knownRuns, now: later, orphanOwner: "alice" });
    assert.deepEqual(keysOf(leftovers), flatten([s.expired, s.live, s.orphan, s.colleague]));
  });

  test("follows NextToken on every paginated Describe call", async () => {
    const ec2 = moto.client();
    const s = await scenario(ec2);
    const network = await createNetwork(ec2);
    const more: RunResources[] = [];
    for (let i = 0; i < 3; i++) {
      more.push(await createRunResources(ec2, network, burstTags({ runId: `run-more-${i}`, expiresAt: hourAgo }), 3));
    }
    const pages = pageAnswers(ec2, 2);
    const leftovers = await findLeftovers({ client: ec2, knownRuns: s.knownRuns, now, orphanOwner: "alice" });
    assert.deepEqual(keysOf(leftovers), flatten([s.expired, s.orphan, ...more]));
    assert.ok(pages.pagesServed() > 10, `only ${pages.pagesServed()} pages served`);
  });

  test("finds instant fleets, which DescribeFleets lists only by id, through the fleet id their instances carry", async () => {
    const ec2 = moto.client();
    const aws = listFleetsAsAws(ec2);
    const s = await scenario(ec2);
    const unlisted = (await ec2.send(new DescribeFleetsCommand({}))).Fleets ?? [];
    assert.deepEqual(unlisted, [], "like AWS, a listing without ids leaves the instant fleets out");
    const leftovers = await findLeftovers({ client: ec2, knownRuns: s.knownRuns, now, orphanOwner: "alice" });
    assert.ok(aws.taggedInstances() > 0, "the fleets' instances carried aws:ec2:fleet-id");
    assert.deepEqual(keysOf(leftovers), flatten([s.expired, s.orphan]));
    assert.deepEqual(
      leftovers.filter((l) => l.kind === "fleet").map((l) => l.id),
      [...s.expired.fleet, ...s.orphan.fleet],
    );
  });
});

describe("removeLeftovers", () => {
  test("dry run removes nothing and lists the same set", async () => {
    const ec2 = moto.client();
    const s = await scenario(ec2);
    const before = await inventory(ec2);
    const leftovers = await findLeftovers({ client: ec2, knownRuns: s.knownRuns, now, orphanOwner: "alice" });
    const sent = recordCommands(ec2);
    const { sink, events } = collect();
    const report = await removeLeftovers(leftovers, { client: ec2, dryRun: true, sink, timing: fast });

    assert.deepEqual(sent, [], "a dry run sends no request at all");
    assert.deepEqual(
      report.results.map((r) => r.action),
      leftovers.map(() => "would-remove"),
    );
    assert.deepEqual(keysOf(report.results.map((r) => r.leftover)), flatten([s.expired, s.orphan]));
    assert.equal(
      events.filter((e) => e.type === "info" && e.message.startsWith("would remove")).length,
      leftovers.length,
    );
    assert.deepEqual(await inventory(ec2), before);
  });

  test("removes exactly the leftovers; their instances end terminated; everything else survives", async () => {
    const ec2 = moto.client();
    const s = await scenario(ec2);
    const before = await inventory(ec2);
    const leftovers = await findLeftovers({ client: ec2, knownRuns: s.knownRuns, now, orphanOwner: "alice" });
    const { sink } = collect();
    const report = await removeLeftovers(leftovers, { client: ec2, dryRun: false, sink, timing: fast });

    assert.equal(report.failed, 0, JSON.stringify(report.results.filter((r) => r.action === "failed")));
    assert.ok(report.results.every((r) => r.action === "removed"));
    const afterwards = await inventory(ec2);
    const gone = flatten([before.ids]).filter((key) => !flatten([afterwards.ids]).includes(key));
    assert.deepEqual(gone, flatten([s.expired, s.orphan]));
    for (const id of [...s.expired.instance, ...s.orphan.instance]) {
      assert.equal(afterwards.instanceStates.get(id), "terminated", `instance ${id}`);
    }
    for (const id of [...s.live.instance, ...s.colleague.instance, ...s.untagged.instance, ...s.foreign.instance]) {
      assert.equal(afterwards.instanceStates.get(id), "running", `instance ${id}`);
    }
    assert.ok(afterwards.ids["security-group"].includes(s.vpcGroup));
    assert.deepEqual(await findLeftovers({ client: ec2, knownRuns: s.knownRuns, now, orphanOwner: "alice" }), []);
  });

  test("goes in dependency order: terminate, confirm, fleets, addresses, interfaces, groups, templates, keys", async () => {
    const ec2 = moto.client();
    const s = await scenario(ec2);
    const leftovers = await findLeftovers({ client: ec2, knownRuns: s.knownRuns, now, orphanOwner: "alice" });
    const sent = recordCommands(ec2);
    await removeLeftovers(leftovers, { client: ec2, dryRun: false, sink: () => {}, timing: fast });

    const first = (name: string) => sent.indexOf(name);
    const last = (name: string) => sent.lastIndexOf(name);
    const order = [
      "TerminateInstances",
      "DescribeInstances",
      "DeleteFleets",
      "DisassociateAddress",
      "ReleaseAddress",
      "DeleteNetworkInterface",
      "DeleteSecurityGroup",
      "DeleteLaunchTemplate",
      "DeleteKeyPair",
    ];
    for (const name of order) assert.ok(first(name) >= 0, `${name} was never sent: ${sent.join(" ")}`);
    for (let i = 1; i < order.length; i++) {
      const [before, next] = [order[i - 1] ?? "", order[i] ?? ""];
      assert.ok(last(before) < first(next), `${before} must finish before ${next}: ${sent.join(" ")}`);
    }
  });

  test("waits until EC2 reports the instances terminated, polling DescribeInstances", async () => {
    const ec2 = moto.client();
    const s = await scenario(ec2);
    const leftovers = await findLeftovers({ client: ec2, knownRuns: s.knownRuns, now, orphanOwner: "alice" });
    const polls = slowTermination(ec2, 3);
    const sent = recordCommands(ec2);
    const report = await removeLeftovers(leftovers, { client: ec2, dryRun: false, sink: () => {}, timing: fast });

    assert.equal(report.failed, 0);
    assert.equal(polls(), 4, "three polls saw shutting-down, the fourth terminated");
    assert.ok(sent.lastIndexOf("DescribeInstances") < sent.indexOf("DeleteSecurityGroup"));
  });

  test("reports instances that do not terminate in time as failed", async () => {
    const ec2 = moto.client();
    const s = await scenario(ec2);
    const leftovers = await findLeftovers({ client: ec2, knownRuns: s.knownRuns, now, orphanOwner: "alice" });
    slowTermination(ec2, Number.POSITIVE_INFINITY);
    const { sink, events } = collect();
    const report = await removeLeftovers(leftovers, {
      client: ec2,
      dryRun: false,
      sink,
      timing: { ...fast, terminateTimeoutMs: 300 },
    });

    const instances = report.results.filter((r) => r.leftover.kind === "instance");
    assert.ok(instances.length > 0);
    for (const result of instances) {
      assert.equal(result.action, "failed");
      assert.match(result.error ?? "", /still shutting-down after/);
    }
    // Their runs' interfaces and groups are still in use: not attempted, and said so.
    const dependents = report.results.filter((r) => ["network-interface", "security-group"].includes(r.leftover.kind));
    for (const result of dependents) {
      assert.equal(result.action, "failed");
      assert.match(result.error ?? "", /not attempted: instance i-\S+ of its run was not terminated/);
    }
    assert.equal(report.failed, instances.length + dependents.length);
    assert.ok(
      report.results
        .filter((r) => ["launch-template", "key-pair"].includes(r.leftover.kind))
        .every((r) => r.action === "removed"),
    );
    assert.ok(events.some((e) => e.type === "warning" && /could not remove instance/.test(e.message)));
  });

  test("retries a security group that is still in use (DependencyViolation) with backoff", async () => {
    const ec2 = moto.client();
    const s = await scenario(ec2);
    const leftovers = await findLeftovers({ client: ec2, knownRuns: s.knownRuns, now, orphanOwner: "alice" });
    failFirst(ec2, "DeleteSecurityGroup", "DependencyViolation", 3);
    const sent = recordCommands(ec2);
    const report = await removeLeftovers(leftovers, { client: ec2, dryRun: false, sink: () => {}, timing: fast });

    assert.equal(report.failed, 0, JSON.stringify(report.results.filter((r) => r.action === "failed")));
    const groups = leftovers.filter((l) => l.kind === "security-group").length;
    assert.equal(sent.filter((name) => name === "DeleteSecurityGroup").length, groups + 3);
    assert.ok(
      !(await inventory(ec2)).ids["security-group"].some((id) =>
        [...s.expired["security-group"], ...s.orphan["security-group"]].includes(id),
      ),
    );
  });

  test("gives up on a group that stays in use, and reports it", async () => {
    const ec2 = moto.client();
    const s = await scenario(ec2);
    const leftovers = await findLeftovers({ client: ec2, knownRuns: s.knownRuns, now, orphanOwner: "alice" });
    failFirst(ec2, "DeleteSecurityGroup", "DependencyViolation", 1000);
    const report = await removeLeftovers(leftovers, {
      client: ec2,
      dryRun: false,
      sink: () => {},
      timing: { ...fast, retryTimeoutMs: 200 },
    });
    const groups = report.results.filter((r) => r.leftover.kind === "security-group");
    assert.ok(groups.every((r) => r.action === "failed" && /DependencyViolation/.test(r.error ?? "")));
    assert.equal(report.failed, groups.length, "only the groups failed; the rest went on");
  });

  test("resources removed meanwhile count as already gone, not as failures", async () => {
    const ec2 = moto.client();
    const s = await scenario(ec2);
    const leftovers = await findLeftovers({ client: ec2, knownRuns: s.knownRuns, now, orphanOwner: "alice" });
    const keyPair = leftovers.find((l) => l.kind === "key-pair");
    const template = leftovers.find((l) => l.kind === "launch-template");
    assert.ok(keyPair && template);
    await ec2.send(new DeleteKeyPairCommand({ KeyName: keyPair.label }));
    await ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: template.id }));
    const report = await removeLeftovers(leftovers, { client: ec2, dryRun: false, sink: () => {}, timing: fast });
    assert.equal(report.failed, 0, JSON.stringify(report.results.filter((r) => r.action === "failed")));
    assert.equal(report.results.find((r) => r.leftover === keyPair)?.action, "already-gone");
    assert.equal(report.results.find((r) => r.leftover === template)?.action, "already-gone");
  });
});

/**
 * Make DescribeInstances by instance id (the sweeper's termination poll) report "shutting-down"
 * for the first `slowPolls` polls, as EC2 does for a while; returns how many polls were made.
 */
function slowTermination(ec2: EC2Client, slowPolls: number): () => number {
  let polls = 0;
  ec2.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const input = args.input as { Filters?: { Name?: string }[] };
      if (context.commandName !== "DescribeInstancesCommand" || !input.Filters?.some((f) => f.Name === "instance-id")) {
        return result;
      }
      polls++;
      if (polls > slowPolls) return result;
      const output = result.output as { Reservations?: { Instances?: { State?: { Name?: string } }[] }[] };
      for (const instance of (output.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
        if (instance.State?.Name === "terminated") instance.State = { Name: "shutting-down" };
      }
      return result;
    },
    { step: "initialize", name: "slowTermination" },
  );
  return () => polls;
}
