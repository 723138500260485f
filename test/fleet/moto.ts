// The fixtures the fleet tests build in a real moto_server (scripts/servers/moto.ts): one run's worth
// of tagged resources, and untagged or foreign neighbours that must survive every sweep.

import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  CreateFleetCommand,
  CreateKeyPairCommand,
  CreateLaunchTemplateCommand,
  CreateNetworkInterfaceCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeAddressesCommand,
  DescribeFleetsCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeKeyPairsCommand,
  DescribeLaunchTemplatesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  type EC2Client,
  RunInstancesCommand,
  type Tag,
} from "@aws-sdk/client-ec2";
import { tagKeys } from "../../stacks/aws/tags.ts";

export { type MotoServer as Moto, startMoto } from "../../scripts/servers/moto.ts";

export interface RunTags {
  readonly runId: string;
  readonly expiresAt: string;
  readonly owner?: string;
}

export const burstTags = (run: RunTags): Tag[] => [
  { Key: tagKeys.runId, Value: run.runId },
  { Key: tagKeys.name, Value: "wordcount" },
  { Key: tagKeys.owner, Value: run.owner ?? "alice" },
  { Key: tagKeys.commit, Value: "0123456789abcdef" },
  { Key: tagKeys.expiresAt, Value: run.expiresAt },
];

export interface Network {
  readonly vpcId: string;
  readonly subnetId: string;
  readonly imageId: string;
}

export async function createNetwork(ec2: EC2Client): Promise<Network> {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: "10.42.0.0/16" }));
  const vpcId = vpc.Vpc?.VpcId ?? "";
  const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: "10.42.0.0/20" }));
  const images = await ec2.send(new DescribeImagesCommand({}));
  return { vpcId, subnetId: subnet.Subnet?.SubnetId ?? "", imageId: images.Images?.[0]?.ImageId ?? "" };
}

/** Ids of one run's resources, by kind (the kinds the sweeper reports). */
export type RunResources = Record<
  "instance" | "fleet" | "elastic-ip" | "network-interface" | "security-group" | "launch-template" | "key-pair",
  string[]
>;

let counter = 0;

/**
 * What SparkClusterStack makes for one run, tagged like it: a security group, a key pair, the
 * master's interface with an Elastic IP, the master instance, and a launch template whose
 * instant fleet launches `workers` tagged workers. `tags` undefined makes them all untagged.
 */
export async function createRunResources(
  ec2: EC2Client,
  network: Network,
  tags: Tag[] | undefined,
  workers = 1,
): Promise<RunResources> {
  const n = ++counter;
  const spec = (ResourceType: string) => (tags ? [{ ResourceType, Tags: tags }] : undefined) as never;
  const group = await ec2.send(
    new CreateSecurityGroupCommand({
      GroupName: `burst-test-${n}`,
      Description: "run group",
      VpcId: network.vpcId,
      TagSpecifications: spec("security-group"),
    }),
  );
  const groupId = group.GroupId ?? "";
  const keyPair = await ec2.send(
    new CreateKeyPairCommand({ KeyName: `burst-key-${n}`, TagSpecifications: spec("key-pair") }),
  );
  const eni = await ec2.send(
    new CreateNetworkInterfaceCommand({
      SubnetId: network.subnetId,
      Groups: [groupId],
      TagSpecifications: spec("network-interface"),
    }),
  );
  const eniId = eni.NetworkInterface?.NetworkInterfaceId ?? "";
  const address = await ec2.send(new AllocateAddressCommand({ Domain: "vpc", TagSpecifications: spec("elastic-ip") }));
  await ec2.send(new AssociateAddressCommand({ AllocationId: address.AllocationId, NetworkInterfaceId: eniId }));
  const master = await ec2.send(
    new RunInstancesCommand({
      ImageId: network.imageId,
      InstanceType: "m5.xlarge",
      MinCount: 1,
      MaxCount: 1,
      SubnetId: network.subnetId,
      SecurityGroupIds: [groupId],
      KeyName: keyPair.KeyName,
      TagSpecifications: spec("instance"),
    }),
  );
  const template = await ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: `burst-workers-${n}`,
      LaunchTemplateData: {
        ImageId: network.imageId,
        InstanceType: "m5.xlarge",
        SecurityGroupIds: [groupId],
        TagSpecifications: tags ? [{ ResourceType: "instance", Tags: tags }] : undefined,
      },
      TagSpecifications: spec("launch-template"),
    }),
  );
  const fleet = await ec2.send(
    new CreateFleetCommand({
      Type: "instant",
      LaunchTemplateConfigs: [
        {
          LaunchTemplateSpecification: {
            LaunchTemplateId: template.LaunchTemplate?.LaunchTemplateId,
            Version: "$Latest",
          },
          Overrides: [{ SubnetId: network.subnetId }],
        },
      ],
      TargetCapacitySpecification: { TotalTargetCapacity: workers, DefaultTargetCapacityType: "on-demand" },
      TagSpecifications: spec("fleet"),
    }),
  );
  return {
    instance: [
      ...(master.Instances ?? []).map((i) => i.InstanceId ?? ""),
      ...(fleet.Instances ?? []).flatMap((i) => i.InstanceIds ?? []),
    ],
    fleet: [fleet.FleetId ?? ""],
    "elastic-ip": [address.AllocationId ?? ""],
    "network-interface": [eniId],
    "security-group": [groupId],
    "launch-template": [template.LaunchTemplate?.LaunchTemplateId ?? ""],
    "key-pair": [keyPair.KeyPairId ?? ""],
  };
}

/** Every resource moto holds now, by kind: instances with their state, fleets not deleted. */
export async function inventory(ec2: EC2Client): Promise<{ ids: RunResources; instanceStates: Map<string, string> }> {
  const instances = await ec2.send(new DescribeInstancesCommand({}));
  const instanceStates = new Map<string, string>();
  for (const instance of (instances.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
    instanceStates.set(instance.InstanceId ?? "", instance.State?.Name ?? "");
  }
  const fleets = await ec2.send(new DescribeFleetsCommand({}));
  const addresses = await ec2.send(new DescribeAddressesCommand({}));
  const enis = await ec2.send(new DescribeNetworkInterfacesCommand({}));
  const groups = await ec2.send(new DescribeSecurityGroupsCommand({}));
  const templates = await ec2.send(new DescribeLaunchTemplatesCommand({}));
  const keyPairs = await ec2.send(new DescribeKeyPairsCommand({}));
  return {
    instanceStates,
    ids: {
      instance: [...instanceStates].filter(([, state]) => state !== "terminated").map(([id]) => id),
      fleet: (fleets.Fleets ?? []).filter((f) => !f.FleetState?.startsWith("deleted")).map((f) => f.FleetId ?? ""),
      "elastic-ip": (addresses.Addresses ?? []).map((a) => a.AllocationId ?? ""),
      "network-interface": (enis.NetworkInterfaces ?? []).map((e) => e.NetworkInterfaceId ?? ""),
      "security-group": (groups.SecurityGroups ?? []).map((g) => g.GroupId ?? ""),
      "launch-template": (templates.LaunchTemplates ?? []).map((t) => t.LaunchTemplateId ?? ""),
      "key-pair": (keyPairs.KeyPairs ?? []).map((k) => k.KeyPairId ?? ""),
    },
  };
}

/** "kind id" strings, sorted: sets of resources compare as plain arrays. */
export function flatten(resources: readonly Partial<RunResources>[]): string[] {
  return resources
    .flatMap((r) => Object.entries(r).flatMap(([kind, ids]) => (ids ?? []).map((id) => `${kind} ${id}`)))
    .sort();
}

/** Every EC2 command the client sends, by name ("TerminateInstances"), in order. */
export function recordCommands(ec2: EC2Client): string[] {
  const sent: string[] = [];
  ec2.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push(String(context.commandName).replace(/Command$/, ""));
      return next(args);
    },
    { step: "initialize", name: "recordCommands", priority: "high" },
  );
  return sent;
}

/** Make `command` fail with an AWS error `code` for its first `times` calls (the API is real otherwise). */
export function failFirst(ec2: EC2Client, command: string, code: string, times: number): void {
  let left = times;
  ec2.middlewareStack.add(
    (next, context) => async (args) => {
      if (String(context.commandName) === `${command}Command` && left > 0) {
        left--;
        throw Object.assign(new Error(`${code} (injected by the test)`), { name: code, $fault: "client" });
      }
      return next(args);
    },
    { step: "initialize", name: `failFirst${command}` },
  );
}

/**
 * moto answers every Describe in one page whatever MaxResults says; this splits its answers into
 * pages of `size` behind NextTokens, so the test proves the sweeper follows them.
 */
export function pageAnswers(ec2: EC2Client, size: number): { pagesServed: () => number } {
  const lists: Record<string, string> = {
    DescribeInstancesCommand: "Reservations",
    DescribeSecurityGroupsCommand: "SecurityGroups",
    DescribeNetworkInterfacesCommand: "NetworkInterfaces",
    DescribeLaunchTemplatesCommand: "LaunchTemplates",
    DescribeFleetsCommand: "Fleets",
  };
  const held = new Map<string, unknown[]>();
  let served = 0;
  let tokens = 0;
  ec2.middlewareStack.add(
    (next, context) => async (args) => {
      const field = lists[String(context.commandName)];
      if (!field) return next(args);
      const input = args.input as { NextToken?: string; MaxResults?: number };
      let items: unknown[];
      let output: Record<string, unknown>;
      let response: unknown;
      const token = input.NextToken;
      if (token !== undefined) {
        items = held.get(token) ?? [];
        held.delete(token);
        output = { $metadata: {} };
      } else {
        const result = await next({ ...args, input: { ...input, MaxResults: undefined } });
        output = result.output as unknown as Record<string, unknown>;
        response = result.response;
        items = (output[field] as unknown[] | undefined) ?? [];
      }
      served++;
      const rest = items.slice(size);
      const next_ = rest.length > 0 ? `page-${++tokens}` : undefined;
      if (next_) held.set(next_, rest);
      return { output: { ...output, [field]: items.slice(0, size), NextToken: next_ }, response } as never;
    },
    { step: "initialize", name: "pageAnswers" },
  );
  return { pagesServed: () => served };
}
