// The AWS sweeper: the last line of defence behind lifecycle destroy and the nodes' own TTL.
// It finds EC2 resources tagged burst:run-id whose burst:expires-at has passed, or whose run is
// not live on this machine, and removes them in dependency order. It only ever sees resources
// that carry a run id (VPC-stack resources carry burst:vpc and none), and it checks the tags
// itself instead of trusting the API's filters, so untagged and foreign resources are never
// touched.

import {
  DeleteFleetsCommand,
  DeleteKeyPairCommand,
  DeleteLaunchTemplateCommand,
  DeleteNetworkInterfaceCommand,
  DeleteSecurityGroupCommand,
  DescribeAddressesCommand,
  DescribeFleetsCommand,
  DescribeKeyPairsCommand,
  DisassociateAddressCommand,
  EC2Client,
  type Filter,
  type FleetData,
  paginateDescribeFleets,
  paginateDescribeInstances,
  paginateDescribeLaunchTemplates,
  paginateDescribeNetworkInterfaces,
  paginateDescribeSecurityGroups,
  ReleaseAddressCommand,
  type Tag,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { tagKeys } from "../../../stacks/aws/tags.ts";
import { relativeTo } from "../../fleet/format.ts";
import type { EventSink } from "../../lifecycle/events.ts";
import { chunks, mapLimit, sleep } from "../../util/concurrency.ts";
import { lastErrorAsIs, retry } from "../../util/retry.ts";
import type { LeftoverContext, LeftoverSweeper } from "../contract.ts";

/** What the sweeper removes, in the order it removes them (each kind may depend on the next). */
export const leftoverKinds = [
  "instance",
  "fleet",
  "elastic-ip",
  "network-interface",
  "security-group",
  "launch-template",
  "key-pair",
] as const;
export type LeftoverKind = (typeof leftoverKinds)[number];

/** One EC2 resource a run left behind. */
export interface Leftover {
  readonly kind: LeftoverKind;
  /** Instance, fleet, allocation, interface, group, template or key pair id. */
  readonly id: string;
  /** What people call it: key or group or template name, public IP, instance state. */
  readonly label?: string;
  readonly runId: string;
  readonly name?: string;
  readonly owner?: string;
  readonly expiresAt?: string;
  /** expired: burst:expires-at has passed; orphaned: its run is not live here. */
  readonly why: "expired" | "orphaned";
  /** Elastic IPs: the association to undo before release, and the interface/instance it points at. */
  readonly associationId?: string;
  readonly associatedWith?: readonly string[];
}

export interface FindLeftoversOptions {
  readonly client: EC2Client;
  /** Runs the registry says are live: their unexpired resources are left alone. */
  readonly knownRuns: ReadonlySet<string>;
  readonly now: Date;
  /**
   * When set, an unexpired resource of an unknown run counts as orphaned only if its
   * burst:owner is this owner: the registry only knows this machine's runs, and a colleague's
   * live cluster is unknown here. Expired resources count whoever owns them.
   */
  readonly orphanOwner?: string;
  /** Page size for the paginated Describe calls (default: the API's). */
  readonly pageSize?: number;
}

const runTagFilter: Filter = { Name: "tag-key", Values: [tagKeys.runId] };
/** EC2's own tag on every instance an EC2 Fleet launched. */
export const fleetIdTag = "aws:ec2:fleet-id";
const liveInstanceStates = ["pending", "running", "shutting-down", "stopping", "stopped"];

/** Every burst-tagged EC2 resource that is expired or orphaned, in removal order. */
export async function findLeftovers(options: FindLeftoversOptions): Promise<Leftover[]> {
  const { client, pageSize } = options;
  const judge = (kind: LeftoverKind, id: string | undefined, tags: Tag[] | undefined, extra: Partial<Leftover> = {}) =>
    id ? classify(kind, id, tags, options, extra) : undefined;
  const found: (Leftover | undefined)[] = [];
  const fleetsOfInstances = new Set<string>();

  for await (const page of paginateDescribeInstances(
    { client, pageSize },
    { Filters: [runTagFilter, { Name: "instance-state-name", Values: liveInstanceStates }] },
  )) {
    for (const instance of (page.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? [])) {
      if (instance.State?.Name === "terminated") continue;
      found.push(judge("instance", instance.InstanceId, instance.Tags, { label: instance.State?.Name }));
      const fleetId = instance.Tags?.find((tag) => tag.Key === fleetIdTag)?.Value;
      if (fleetId) fleetsOfInstances.add(fleetId);
    }
  }
  // DescribeFleets documents no tag filters: list them all and check the tags here. Without ids it
  // omits instant fleets (burst's workers), so those are asked for by the id their instances carry.
  const listed = new Set<string>();
  const judgeFleet = (fleet: FleetData) => {
    if (!fleet.FleetId || listed.has(fleet.FleetId)) return;
    listed.add(fleet.FleetId);
    if (fleet.FleetState?.startsWith("deleted")) return;
    found.push(judge("fleet", fleet.FleetId, fleet.Tags, { label: fleet.Type }));
  };
  for await (const page of paginateDescribeFleets({ client, pageSize }, {})) {
    for (const fleet of page.Fleets ?? []) judgeFleet(fleet);
  }
  for (const fleetId of [...fleetsOfInstances].filter((id) => !listed.has(id))) {
    for (const fleet of await describeFleet(client, fleetId)) judgeFleet(fleet);
  }
  const addresses = await client.send(new DescribeAddressesCommand({ Filters: [runTagFilter] }));
  for (const address of addresses.Addresses ?? []) {
    found.push(
      judge("elastic-ip", address.AllocationId, address.Tags, {
        label: address.PublicIp,
        associationId: address.AssociationId || undefined,
        associatedWith: [address.NetworkInterfaceId, address.InstanceId].filter((id): id is string => !!id),
      }),
    );
  }
  for await (const page of paginateDescribeNetworkInterfaces({ client, pageSize }, { Filters: [runTagFilter] })) {
    for (const eni of page.NetworkInterfaces ?? []) {
      found.push(judge("network-interface", eni.NetworkInterfaceId, eni.TagSet, { label: eni.PrivateIpAddress }));
    }
  }
  for await (const page of paginateDescribeSecurityGroups({ client, pageSize }, { Filters: [runTagFilter] })) {
    for (const group of page.SecurityGroups ?? []) {
      found.push(judge("security-group", group.GroupId, group.Tags, { label: group.GroupName }));
    }
  }
  for await (const page of paginateDescribeLaunchTemplates({ client, pageSize }, { Filters: [runTagFilter] })) {
    for (const template of page.LaunchTemplates ?? []) {
      found.push(
        judge("launch-template", template.LaunchTemplateId, template.Tags, { label: template.LaunchTemplateName }),
      );
    }
  }
  // DescribeKeyPairs is not paginated: one call returns them all.
  const keyPairs = await client.send(new DescribeKeyPairsCommand({ Filters: [runTagFilter] }));
  for (const keyPair of keyPairs.KeyPairs ?? []) {
    found.push(judge("key-pair", keyPair.KeyPairId ?? keyPair.KeyName, keyPair.Tags, { label: keyPair.KeyName }));
  }
  return found.filter((leftover): leftover is Leftover => leftover !== undefined);
}

function classify(
  kind: LeftoverKind,
  id: string,
  tags: Tag[] | undefined,
  options: FindLeftoversOptions,
  extra: Partial<Leftover>,
): Leftover | undefined {
  const tag = new Map((tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
  const runId = tag.get(tagKeys.runId);
  // No run id means not ours; burst:vpc means long-lived, whatever else it carries.
  if (!runId || tag.has(tagKeys.vpc)) return undefined;
  const expiresAt = tag.get(tagKeys.expiresAt);
  const owner = tag.get(tagKeys.owner);
  const expiry = Date.parse(expiresAt ?? "");
  let why: Leftover["why"] | undefined;
  if (Number.isFinite(expiry) && expiry <= options.now.getTime()) why = "expired";
  else if (!options.knownRuns.has(runId) && (options.orphanOwner === undefined || owner === options.orphanOwner)) {
    why = "orphaned";
  }
  if (!why) return undefined;
  return { ...extra, kind, id, runId, name: tag.get(tagKeys.name), owner, expiresAt, why };
}

/** How long the sweeper waits for AWS; tests shorten these. */
export interface SweepTiming {
  /** Between DescribeInstances polls while instances terminate. */
  readonly pollMs: number;
  /** Give up waiting for termination after this long. */
  readonly terminateTimeoutMs: number;
  /** Backoff for deletions that wait on others (DependencyViolation, interface in use). */
  readonly retryFirstDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly retryTimeoutMs: number;
}

export const defaultSweepTiming: SweepTiming = {
  pollMs: 5_000,
  terminateTimeoutMs: 15 * 60_000,
  retryFirstDelayMs: 2_000,
  retryMaxDelayMs: 30_000,
  retryTimeoutMs: 10 * 60_000,
};

export interface RemoveLeftoversOptions {
  readonly client: EC2Client;
  /** List what would be removed; call nothing that changes AWS. */
  readonly dryRun: boolean;
  readonly sink: EventSink;
  readonly timing?: Partial<SweepTiming>;
  /** Deletions of one kind in flight at once. Default 8. */
  readonly concurrency?: number;
  /** For messages ("expired 3 h ago"). Default: the current time. */
  readonly now?: Date;
}

export type SweepAction = "removed" | "would-remove" | "already-gone" | "failed";

export interface SweepResult {
  readonly leftover: Leftover;
  readonly action: SweepAction;
  readonly error?: string;
}

export interface SweepReport {
  /** One per leftover, in removal order. */
  readonly results: readonly SweepResult[];
  readonly failed: number;
}

/**
 * Remove `leftovers` (from findLeftovers) in dependency order: terminate instances and wait
 * until EC2 reports them terminated, delete fleets, release Elastic IPs, delete interfaces,
 * security groups, launch templates, key pairs. A failure is reported and the sweep goes on.
 */
export async function removeLeftovers(
  leftovers: readonly Leftover[],
  options: RemoveLeftoversOptions,
): Promise<SweepReport> {
  const timing = { ...defaultSweepTiming, ...options.timing };
  const now = options.now ?? new Date();
  const ordered = [...leftovers].sort((a, b) => leftoverKinds.indexOf(a.kind) - leftoverKinds.indexOf(b.kind));
  const results = new Map<Leftover, SweepResult>();
  const record = (leftover: Leftover, action: SweepAction, error?: string) => {
    results.set(leftover, { leftover, action, error });
    const what = describeLeftover(leftover, now);
    if (action === "failed") options.sink({ type: "warning", message: `could not remove ${what}: ${error}` });
    else if (action === "would-remove") options.sink({ type: "info", message: `would remove ${what}` });
    else if (action === "already-gone") options.sink({ type: "info", message: `already gone: ${what}` });
    else options.sink({ type: "info", message: `removed ${what}` });
  };
  if (options.dryRun) {
    for (const leftover of ordered) record(leftover, "would-remove");
    return report(ordered, results);
  }

  const ec2 = options.client;
  const of = (kind: LeftoverKind) => ordered.filter((leftover) => leftover.kind === kind);
  const each = (kind: LeftoverKind, action: (leftover: Leftover) => Promise<SweepAction>) =>
    mapLimit(of(kind), options.concurrency ?? 8, async (leftover) => {
      try {
        record(leftover, await action(leftover));
      } catch (error) {
        record(
          leftover,
          isNotFound(error) ? "already-gone" : "failed",
          isNotFound(error) ? undefined : errorText(error),
        );
      }
    });
  const retrying = <T>(action: () => Promise<T>, retryOn: readonly string[]) => withBackoff(action, retryOn, timing);

  // A run whose instance did not terminate keeps its interfaces and groups in use: trying them
  // would only wait out the retry timeout.
  const blocked = new Map<string, string>();
  for (const [leftover, outcome] of await terminateInstances(ec2, of("instance"), timing)) {
    record(leftover, outcome.action, outcome.error);
    if (outcome.action === "failed")
      blocked.set(leftover.runId, `instance ${leftover.id} of its run was not terminated`);
  }
  const unblocked = (action: (leftover: Leftover) => Promise<SweepAction>) => async (leftover: Leftover) => {
    const reason = blocked.get(leftover.runId);
    if (reason) throw new Error(`not attempted: ${reason}`);
    return action(leftover);
  };
  await each("fleet", async (fleet) => {
    // Instant fleets can only be deleted with their instances; those are terminated already.
    let failure: unknown;
    try {
      const response = await ec2.send(new DeleteFleetsCommand({ FleetIds: [fleet.id], TerminateInstances: true }));
      const unsuccessful = response.UnsuccessfulFleetDeletions?.[0]?.Error;
      if (!unsuccessful) return "removed";
      if (unsuccessful.Code === "fleetIdDoesNotExist") return "already-gone";
      failure = new Error(`${unsuccessful.Code}: ${unsuccessful.Message}`);
    } catch (error) {
      failure = error;
    }
    // Some EC2 implementations (moto) delete a fleet whose instances are gone yet answer with an
    // error: the fleet's own state says whether it is deleted.
    if (await fleetDeleted(ec2, fleet.id)) return "removed";
    throw failure;
  });
  const removable = new Set(ordered.map((leftover) => leftover.id));
  await each("elastic-ip", async (address) => {
    if (address.associationId) {
      // Only undo an association to something we are removing anyway: never unplug a foreign host.
      const targets = address.associatedWith ?? [];
      if (!targets.some((id) => removable.has(id))) {
        throw new Error(`associated with ${targets.join(", ") || "an unknown resource"}, which is not a leftover`);
      }
      await ec2
        .send(new DisassociateAddressCommand({ AssociationId: address.associationId }))
        .catch((error: unknown) => {
          if (!isNotFound(error)) throw error;
        });
    }
    await retrying(() => ec2.send(new ReleaseAddressCommand({ AllocationId: address.id })), ["InvalidIPAddress.InUse"]);
    return "removed";
  });
  await each(
    "network-interface",
    unblocked(async (eni) => {
      // An interface detaches some seconds after its instance terminates.
      await retrying(
        () => ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eni.id })),
        ["InvalidNetworkInterface.InUse"],
      );
      return "removed";
    }),
  );
  await each(
    "security-group",
    unblocked(async (group) => {
      // Groups stay in use until every interface in them is gone.
      await retrying(() => ec2.send(new DeleteSecurityGroupCommand({ GroupId: group.id })), ["DependencyViolation"]);
      return "removed";
    }),
  );
  await each("launch-template", async (template) => {
    await ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: template.id }));
    return "removed";
  });
  await each("key-pair", async (keyPair) => {
    // By name, which is unique per region and which every EC2 implementation honours; the answer
    // names the key it deleted, and deleting a missing key "succeeds" without one.
    const response = await ec2.send(new DeleteKeyPairCommand({ KeyName: keyPair.label ?? keyPair.id }));
    return response.KeyPairId === undefined && keyPair.id.startsWith("key-") ? "already-gone" : "removed";
  });
  return report(ordered, results);
}

/** findLeftovers, then removeLeftovers. */
export async function sweep(options: FindLeftoversOptions & Omit<RemoveLeftoversOptions, "now">): Promise<SweepReport> {
  const leftovers = await findLeftovers(options);
  if (leftovers.length === 0) options.sink({ type: "info", message: "aws: no leftovers" });
  return removeLeftovers(leftovers, options);
}

/** "security-group sg-0a1b (burst-…) of run 20261122-030101-a1b2 [alice]: expired 2 h ago". */
export function describeLeftover(leftover: Leftover, now: Date): string {
  const label = leftover.label ? ` (${leftover.label})` : "";
  const owner = leftover.owner ? ` [${leftover.owner}]` : "";
  const why =
    leftover.why === "expired"
      ? `expired ${relativeTo(leftover.expiresAt ?? "", now)}`
      : "orphaned: its run is not live on this machine";
  return `${leftover.kind} ${leftover.id}${label} of run ${leftover.runId}${owner}: ${why}`;
}

function report(ordered: readonly Leftover[], results: ReadonlyMap<Leftover, SweepResult>): SweepReport {
  const list = ordered.map(
    (leftover): SweepResult => results.get(leftover) ?? { leftover, action: "failed", error: "not attempted" },
  );
  return { results: list, failed: list.filter((result) => result.action === "failed").length };
}

interface InstanceOutcome {
  readonly action: SweepAction;
  readonly error?: string;
}

/** Terminate, then poll DescribeInstances until EC2 says terminated: accepted is not done. */
async function terminateInstances(
  ec2: EC2Client,
  instances: readonly Leftover[],
  timing: SweepTiming,
): Promise<Map<Leftover, InstanceOutcome>> {
  const outcomes = new Map<Leftover, InstanceOutcome>();
  const waiting: Leftover[] = [];
  for (const batch of chunks(instances, 100)) {
    try {
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: batch.map((instance) => instance.id) }));
      waiting.push(...batch);
    } catch {
      // One bad id (gone, protected) fails the whole call: go one by one to tell which.
      for (const instance of batch) {
        try {
          await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instance.id] }));
          waiting.push(instance);
        } catch (error) {
          outcomes.set(
            instance,
            isNotFound(error) ? { action: "already-gone" } : { action: "failed", error: errorText(error) },
          );
        }
      }
    }
  }
  const deadline = Date.now() + timing.terminateTimeoutMs;
  let pending = waiting;
  let states = new Map<string, string>();
  while (pending.length > 0) {
    states = await instanceStates(
      ec2,
      pending.map((instance) => instance.id),
    );
    const still: Leftover[] = [];
    for (const instance of pending) {
      const state = states.get(instance.id);
      // Terminated instances drop out of DescribeInstances after a while: absent is terminated too.
      if (state === undefined || state === "terminated") outcomes.set(instance, { action: "removed" });
      else still.push(instance);
    }
    pending = still;
    if (pending.length === 0 || Date.now() >= deadline) break;
    await sleep(timing.pollMs);
  }
  for (const instance of pending) {
    const seconds = Math.round(timing.terminateTimeoutMs / 1000);
    outcomes.set(instance, { action: "failed", error: `still ${states.get(instance.id)} after ${seconds} s` });
  }
  return outcomes;
}

/** One fleet by id; none when EC2 no longer knows it. */
async function describeFleet(ec2: EC2Client, fleetId: string): Promise<FleetData[]> {
  try {
    return (await ec2.send(new DescribeFleetsCommand({ FleetIds: [fleetId] }))).Fleets ?? [];
  } catch (error) {
    if (isNotFound(error)) return [];
    throw error;
  }
}

async function fleetDeleted(ec2: EC2Client, fleetId: string): Promise<boolean> {
  try {
    const response = await ec2.send(new DescribeFleetsCommand({ FleetIds: [fleetId] }));
    const state = response.Fleets?.[0]?.FleetState;
    return state === undefined || state.startsWith("deleted");
  } catch {
    return false;
  }
}

async function instanceStates(ec2: EC2Client, ids: readonly string[]): Promise<Map<string, string>> {
  const states = new Map<string, string>();
  // A filter (unlike InstanceIds) does not fail on ids EC2 has forgotten, and paginates.
  for (const batch of chunks(ids, 100)) {
    for await (const page of paginateDescribeInstances(
      { client: ec2 },
      { Filters: [{ Name: "instance-id", Values: batch }] },
    )) {
      for (const instance of (page.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? [])) {
        if (instance.InstanceId) states.set(instance.InstanceId, instance.State?.Name ?? "unknown");
      }
    }
  }
  return states;
}

function withBackoff<T>(action: () => Promise<T>, retryOn: readonly string[], timing: SweepTiming): Promise<T> {
  return retry(action, {
    what: "remove a leftover",
    timeoutMs: timing.retryTimeoutMs,
    firstDelayMs: timing.retryFirstDelayMs,
    maxDelayMs: timing.retryMaxDelayMs,
    retryable: (error) => retryOn.includes(errorCode(error)),
    // The caller reports AWS's own error for the leftover.
    giveUp: lastErrorAsIs,
  });
}

function errorCode(error: unknown): string {
  if (typeof error !== "object" || error === null) return "";
  const { name, Code } = error as { name?: unknown; Code?: unknown };
  return typeof Code === "string" ? Code : typeof name === "string" ? name : "";
}

function isNotFound(error: unknown): boolean {
  return /NotFound(Exception)?$/.test(errorCode(error));
}

function errorText(error: unknown): string {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return code && code !== "Error" && !message.startsWith(code) ? `${code}: ${message}` : message;
}

export interface AwsLeftoverOptions {
  /** The EC2 API to sweep (a test's moto); default: a client for the configured region, made by open(). */
  readonly client?: EC2Client;
  readonly timing?: Partial<SweepTiming>;
}

/** The aws target's answer to `burst gc`: EC2 resources tagged with a run no live record here accounts for. */
export function awsLeftovers(options: AwsLeftoverOptions = {}): LeftoverSweeper {
  return {
    async open(context) {
      const given = options.client;
      const region = given ? undefined : await sweepRegion(context);
      if (!given && !region) return { notSwept: "no AWS region configured" };
      const client = given ?? new EC2Client({ region });
      return {
        sweep: (request) => sweep({ ...request, client, timing: options.timing }),
        // A client gc made is gc's to close; a given one stays its owner's.
        close: () => {
          if (!given) client.destroy();
        },
      };
    },
  };
}

/**
 * The region to sweep: BURST_AWS_REGION, AWS_REGION, or burst/aws/region from the parameters;
 * none when BURST_GC_AWS=0, or when no AWS credentials are configured at all (the region alone
 * is in config/, so every machine has one).
 */
async function sweepRegion({ env, params }: LeftoverContext): Promise<string | undefined> {
  if (env.BURST_GC_AWS === "0") return undefined;
  const fromEnv = env.BURST_AWS_REGION || env.AWS_REGION;
  if (fromEnv) return fromEnv;
  if (!env.AWS_ACCESS_KEY_ID && !env.AWS_PROFILE && !env.AWS_ENDPOINT_URL_EC2 && !env.AWS_ENDPOINT_URL)
    return undefined;
  return (await params()).aws.region;
}
