// The one moto_server helper (PyPI moto[server]): a real emulator of the AWS APIs (EC2, IAM, S3,
// STS...) on a loopback port the kernel picks. The SDK clients burst builds and the real
// hashicorp/aws provider both talk to it. It boots no machines: an instance's console output is
// one fixed sample text, and the addresses it hands out belong to no machine (never dial them).
// Below the server: the fixtures tests build in it (one run's worth of tagged resources, untagged
// or foreign neighbours that must survive every sweep) and middleware that records, fails or
// pages the EC2 calls a client sends.

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
  EC2Client,
  RunInstancesCommand,
  type Tag,
} from "@aws-sdk/client-ec2";
import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  IAMClient,
} from "@aws-sdk/client-iam";
import { S3Client } from "@aws-sdk/client-s3";
import { type Started, start } from "../../src/util/exec.ts";
import { tagKeys } from "../../stacks/aws/tags.ts";
import { waitForPort } from "./ports.ts";

// The SDK warns once per process that Node 20 support ends; it is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

export interface MotoServer {
  /** http://127.0.0.1:<port> */
  readonly endpoint: string;
  readonly pid: number | undefined;
  /** An EC2 client on this server (test credentials, one attempt per call). */
  client(): EC2Client;
  /** An S3 client on this server, addressing buckets by path as moto expects. */
  s3(): S3Client;
  /** An IAM client on this server. */
  iam(): IAMClient;
  /** Forget every resource (between tests). */
  reset(): Promise<void>;
  /** AWS_ENDPOINT_URL, credentials and region for a child process (burst, terraform) using this server. */
  env(): Record<string, string>;
  /** Kill the server's process group and wait until it is gone. */
  stop(): Promise<void>;
}

export const motoRegion = "eu-west-1";
/** moto accepts any credentials; these are the ones its clients send. */
const motoCredentials = { accessKeyId: "testing", secretAccessKey: "testing" };

/**
 * Starts moto_server on a port the kernel picks (-p 0) and reads the port from its banner: a port
 * chosen beforehand could be taken by another test's server, which we would then talk to instead.
 */
export async function startMoto(): Promise<MotoServer> {
  let announce: (port: number) => void = () => {};
  const announced = new Promise<number>((resolve) => {
    announce = resolve;
  });
  const server: Started = start("moto_server", ["-H", "127.0.0.1", "-p", "0"], {
    maxCapture: 64 * 1024,
    onLine: (line) => {
      const port = /Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(line)?.[1];
      if (port !== undefined) announce(Number(port));
    },
  });
  const exited = server.done.then((result) => {
    throw new Error(
      `moto_server exited: ${`${result.stderr}${result.stdout}`.trim().split("\n").slice(-3).join("\n")}`,
    );
  });
  exited.catch(() => {}); // once started, its exit at stop() is expected
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("moto_server did not announce its port within 30 s")), 30_000);
  });
  try {
    const port = await Promise.race([announced, exited, timeout]).finally(() => clearTimeout(timer));
    await waitForPort(port, "127.0.0.1", 10_000);
    const endpoint = `http://127.0.0.1:${port}`;
    return {
      endpoint,
      pid: server.pid,
      client: () => new EC2Client({ endpoint, region: motoRegion, credentials: motoCredentials, maxAttempts: 1 }),
      s3: () => new S3Client({ endpoint, region: motoRegion, credentials: motoCredentials, forcePathStyle: true }),
      iam: () => new IAMClient({ endpoint, region: motoRegion, credentials: motoCredentials }),
      reset: async () => {
        const response = await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
        if (!response.ok) throw new Error(`moto reset: HTTP ${response.status}`);
      },
      env: () => ({
        AWS_ENDPOINT_URL: endpoint,
        AWS_ACCESS_KEY_ID: "testing",
        AWS_SECRET_ACCESS_KEY: "testing",
        AWS_REGION: motoRegion,
        AWS_EC2_METADATA_DISABLED: "true",
      }),
      stop: async () => {
        await server.stop();
      },
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/** Credentials and region for moto (it accepts any), plus `variables` (undefined unsets); restore() puts them back. */
export function useMotoEnvironment(variables: Record<string, string | undefined>): { restore(): void } {
  const all: Record<string, string | undefined> = {
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    AWS_REGION: motoRegion,
    ...variables,
  };
  const saved = Object.fromEntries(Object.keys(all).map((name) => [name, process.env[name]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(all);
  return { restore: () => apply(saved) };
}

// Fixtures: what a run leaves in EC2, tagged like SparkClusterStack tags it.

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

/** What a VPC deploy would give a cluster stack: a VPC, two subnets in two AZs, a group, a node profile and an image. */
export interface ClusterVpc {
  readonly vpcId: string;
  readonly subnetIds: string[];
  readonly securityGroupId: string;
  readonly instanceProfileName: string;
  readonly imageId: string;
}

/**
 * A hand-made cluster VPC on moto. `role`: the profile holds a role of its name (moto checks the
 * profile a launch names, even in a DryRun); without it the profile is empty.
 */
export async function createClusterVpc(
  moto: MotoServer,
  options: { readonly groupName: string; readonly profileName: string; readonly role: boolean },
): Promise<ClusterVpc> {
  const ec2 = moto.client();
  const iam = moto.iam();
  try {
    const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.42.0.0/16" }))).Vpc?.VpcId ?? "";
    const subnetIds: string[] = [];
    for (const [index, zone] of ["a", "b"].entries()) {
      const subnet = await ec2.send(
        new CreateSubnetCommand({
          VpcId: vpcId,
          CidrBlock: `10.42.${index * 16}.0/20`,
          AvailabilityZone: `${motoRegion}${zone}`,
        }),
      );
      subnetIds.push(subnet.Subnet?.SubnetId ?? "");
    }
    const group = await ec2.send(
      new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: options.groupName, Description: options.groupName }),
    );
    await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: options.profileName }));
    if (options.role) {
      await iam.send(new CreateRoleCommand({ RoleName: options.profileName, AssumeRolePolicyDocument: "{}" }));
      await iam.send(
        new AddRoleToInstanceProfileCommand({
          InstanceProfileName: options.profileName,
          RoleName: options.profileName,
        }),
      );
    }
    const images = await ec2.send(new DescribeImagesCommand({ Filters: [{ Name: "name", Values: ["*xenial*"] }] }));
    return {
      vpcId,
      subnetIds,
      securityGroupId: group.GroupId ?? "",
      instanceProfileName: options.profileName,
      imageId: images.Images?.[0]?.ImageId ?? "",
    };
  } finally {
    ec2.destroy();
    iam.destroy();
  }
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
