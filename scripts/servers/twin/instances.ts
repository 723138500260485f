// The AWS twin's machines: every instance moto says is pending or running becomes a Debian 12
// system container, booted by cloud-init with that instance's own user data and key, at its own
// private address, on a bridge for the subnet moto placed it in. The loop keeps the two in step:
// an instance moto terminates loses its container; a container that powers itself off (the TTL
// guard; the launch templates' shutdown behaviour is "terminate") terminates its instance. An
// instance launched without a template whose shutdown behaviour is "stop" (an image builder) has
// a disk on the host: powered off it is stopped, and CreateImage keeps a copy of its changes, which
// instances of that image boot from (over the same Debian root).

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DescribeFleetsCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeKeyPairsCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeSubnetsCommand,
  type EC2Client,
  type Instance,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { GetInstanceProfileCommand, type IAMClient } from "@aws-sdk/client-iam";
import { type BridgeNetwork, NodeContainer } from "../node-container.ts";
import { ec2HostName } from "./dns.ts";
import type { Imds, InstanceIdentity, RoleCredentials } from "./imds.ts";

export interface TwinMachine {
  readonly instanceId: string;
  readonly privateIp: string;
  readonly container: NodeContainer;
  /** Why it ended, once it has: "terminated by moto" or "powered off (terminated in moto)". */
  ended?: string;
  /** Its shutdown behaviour is "stop": powered off, it is stopped and its disk kept. */
  readonly keepsDisk: boolean;
  /** The image layers it booted from (a baked image's), topmost first. */
  readonly layers: readonly string[];
}

export interface MachinesOptions {
  readonly ec2: EC2Client;
  readonly iam: IAMClient;
  /** moto's endpoint, for STS (AssumeRole gives the role's temporary credentials). */
  readonly moto: string;
  readonly imds: Imds;
  readonly root: string;
  readonly region: string;
  readonly accountId: string;
  /** The bridge for a subnet's CIDR (the twin makes them when it deploys the VPC). */
  readonly bridgeFor: (cidr: string) => BridgeNetwork;
  /** A pip.conf every node gets (the site's package index). */
  readonly pipConfig?: string;
  /** The resolv.conf every node gets (the VPC's resolver, as EC2's DHCP options give it). */
  readonly resolvConf?: string;
  readonly log: (line: string) => void;
  readonly pollMs?: number;
}

export class Machines {
  readonly all = new Map<string, TwinMachine>();
  private readonly starting = new Set<string>();
  private readonly namespaces = new Map<string, { bridge: BridgeNetwork; name: string }>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private ticking: Promise<void> = Promise.resolve();
  private readonly failures: string[] = [];
  /** Images made with CreateImage: their layers over the Debian root, topmost first. */
  private readonly images = new Map<string, readonly string[]>();
  private imagesDir: string | undefined;

  constructor(private readonly options: MachinesOptions) {}

  /** CreateImage of a stopped machine: a copy of its disk's changes becomes the image's top layer. */
  async saveImage(instanceId: string, imageId: string): Promise<void> {
    const machine = this.all.get(instanceId);
    const disk = machine?.container.diskLayer;
    if (machine === undefined || disk === undefined || machine.container.running) {
      const why =
        machine === undefined
          ? "it never booted here"
          : disk === undefined
            ? "it has no disk of its own (shutdown behaviour terminate)"
            : "it is still running (the twin images stopped instances only)";
      this.failures.push(`CreateImage ${imageId} of ${instanceId}: ${why}`);
      this.options.log(`twin: cannot make image ${imageId} of ${instanceId}: ${why}`);
      return;
    }
    this.imagesDir ??= mkdtempSync(join(tmpdir(), "burst-twin-images-"));
    const layer = join(this.imagesDir, imageId);
    execFileSync("cp", ["-a", disk, layer]);
    this.images.set(imageId, [layer, ...machine.layers]);
    this.options.log(`twin: image ${imageId} made of ${instanceId}'s disk (${layer})`);
  }

  start(): void {
    const loop = () => {
      if (this.stopped) return;
      this.ticking = this.tick()
        .catch((error: Error) => this.options.log(`twin: instance loop: ${error.message}`))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(loop, this.options.pollMs ?? 1000);
        });
    };
    loop();
  }

  /** Boot errors so far (a machine that could not be made is a twin failure, not a burst one). */
  get bootFailures(): readonly string[] {
    return this.failures;
  }

  running(): TwinMachine[] {
    return [...this.all.values()].filter((machine) => machine.container.running);
  }

  byId(instanceId: string): TwinMachine | undefined {
    return this.all.get(instanceId);
  }

  /** Resolves once no container runs whose instance moto has ended, and no boot is under way. */
  async settled(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.ticking;
      const live = await this.liveInstanceIds();
      const orphans = this.running().filter((machine) => !live.has(machine.instanceId));
      if (orphans.length === 0 && this.starting.size === 0) return;
      if (Date.now() > deadline) {
        throw new Error(`twin: containers still running for ended instances: ${orphans.map((m) => m.instanceId)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    await Promise.all([...this.all.values()].map((machine) => machine.container.stop()));
    for (const { bridge, name } of this.namespaces.values()) bridge.removeNamespace(name);
    this.namespaces.clear();
    if (this.imagesDir !== undefined) rmSync(this.imagesDir, { recursive: true, force: true });
  }

  private async liveInstanceIds(): Promise<Set<string>> {
    return new Set(
      (await this.instances())
        .filter((instance) => ["pending", "running"].includes(instance.State?.Name ?? ""))
        .map((instance) => instance.InstanceId ?? ""),
    );
  }

  private async instances(): Promise<Instance[]> {
    const answer = await this.options.ec2.send(new DescribeInstancesCommand({}));
    return (answer.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []);
  }

  private async tick(): Promise<void> {
    for (const instance of await this.instances()) {
      const instanceId = instance.InstanceId ?? "";
      const state = instance.State?.Name ?? "";
      const machine = this.all.get(instanceId);
      if (["pending", "running"].includes(state) && machine === undefined && !this.starting.has(instanceId)) {
        this.starting.add(instanceId);
        this.boot(instance)
          .catch((error: Error) => {
            this.failures.push(`${instanceId}: ${error.message}`);
            this.options.log(`twin: could not boot ${instanceId}: ${error.message}`);
          })
          .finally(() => this.starting.delete(instanceId));
      } else if (!["pending", "running"].includes(state) && machine?.container.running) {
        machine.ended = `${state} in moto`;
        this.options.log(`twin: ${instanceId} is ${state}: stopping its container`);
        await this.release(machine);
      }
    }
  }

  /** `keepDisk`: stopped, not terminated: the container's disk stays for CreateImage. */
  private async release(machine: TwinMachine, keepDisk = false): Promise<void> {
    if (!keepDisk) await machine.container.stop();
    this.options.imds.forget(machine.privateIp);
    const namespace = this.namespaces.get(machine.instanceId);
    if (namespace) namespace.bridge.removeNamespace(namespace.name);
    this.namespaces.delete(machine.instanceId);
  }

  private async boot(instance: Instance): Promise<void> {
    const { ec2 } = this.options;
    const instanceId = instance.InstanceId ?? "";
    const privateIp = instance.PrivateIpAddress ?? "";
    const subnets = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [instance.SubnetId ?? ""] }));
    const cidr = subnets.Subnets?.[0]?.CidrBlock;
    if (!cidr || !privateIp) throw new Error(`no subnet CIDR or private address (subnet ${instance.SubnetId})`);
    const attribute = await ec2.send(
      new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: "userData" }),
    );
    // What EC2 hands cloud-init: the user data's bytes (burst's are gzip; cloud-init unpacks them).
    const userData = Buffer.from(attribute.UserData?.Value ?? "", "base64");
    const keys = instance.KeyName
      ? await ec2.send(new DescribeKeyPairsCommand({ KeyNames: [instance.KeyName], IncludePublicKey: true }))
      : undefined;
    const publicKey = keys?.KeyPairs?.[0]?.PublicKey?.trim() ?? "";
    const keepsDisk = await this.keepsDisk(instance);
    const layers = this.images.get(instance.ImageId ?? "") ?? [];
    const identity: InstanceIdentity = {
      instanceId,
      privateIp,
      region: this.options.region,
      availabilityZone: instance.Placement?.AvailabilityZone ?? `${this.options.region}a`,
      instanceType: instance.InstanceType ?? "",
      imageId: instance.ImageId ?? "",
      accountId: this.options.accountId,
      spot: instance.InstanceLifecycle === "spot",
      role: await this.roleOf(instance),
    };
    this.options.imds.register(identity);
    const bridge = this.options.bridgeFor(cidr);
    const namespace = bridge.addNode(privateIp);
    this.namespaces.set(instanceId, { bridge, name: namespace });
    const container = await NodeContainer.boot({
      root: this.options.root,
      name: instanceId,
      namespace,
      userData,
      publicKey,
      pipConfig: this.options.pipConfig,
      resolvConf: this.options.resolvConf,
      instanceId,
      hostname: ec2HostName(privateIp),
      disk: keepsDisk,
      layers,
    });
    const machine: TwinMachine = { instanceId, privateIp, container, keepsDisk, layers };
    this.all.set(instanceId, machine);
    this.options.log(
      `twin: ${instanceId} booting at ${privateIp} (${cidr}) from ${layers.length > 0 ? `baked image ${instance.ImageId}` : "the Debian root"}, role ${identity.role?.name ?? "none"}, console ${container.consoleFile}`,
    );
    container.onExit(() => {
      if (this.stopped || machine.ended !== undefined) return;
      if (keepsDisk) {
        machine.ended = "powered off (stopped in moto)";
        this.options.log(`twin: ${instanceId} powered off: stopping it in moto (shutdown behaviour stop)`);
        ec2
          .send(new StopInstancesCommand({ InstanceIds: [instanceId] }))
          .then(() => this.release(machine, true))
          .catch((error: Error) => this.options.log(`twin: stopping ${instanceId}: ${error.message}`));
        return;
      }
      // Powered off from inside: the launch template says shutdown means terminate.
      machine.ended = "powered off (terminated in moto)";
      this.options.log(`twin: ${instanceId} powered off: terminating it in moto`);
      ec2
        .send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }))
        .then(() => this.release(machine))
        .catch((error: Error) => this.options.log(`twin: terminating ${instanceId}: ${error.message}`));
    });
  }

  /** Launched on its own (no template) with shutdown behaviour "stop": EC2 keeps its disk when it powers off. */
  private async keepsDisk(instance: Instance): Promise<boolean> {
    const tagged = instance.Tags?.some((tag) => tag.Key === "aws:ec2launchtemplate:id");
    if (tagged || (await this.templateProfile(instance)) !== undefined) return false;
    const answer = await this.options.ec2.send(
      new DescribeInstanceAttributeCommand({
        InstanceId: instance.InstanceId ?? "",
        Attribute: "instanceInitiatedShutdownBehavior",
      }),
    );
    return answer.InstanceInitiatedShutdownBehavior?.Value === "stop";
  }

  /** moto does not copy a launch template's instance profile onto the instance; EC2 does. */
  private async templateProfile(instance: Instance): Promise<string | undefined> {
    const tag = (key: string) => instance.Tags?.find((candidate) => candidate.Key === key)?.Value;
    let templateId = tag("aws:ec2launchtemplate:id");
    let version = tag("aws:ec2launchtemplate:version");
    if (!templateId) {
      // A fleet's instance carries no template tag in moto: its fleet names the template.
      const fleets = await this.options.ec2.send(new DescribeFleetsCommand({}));
      const fleet = fleets.Fleets?.find((candidate) =>
        candidate.Instances?.some((set) => set.InstanceIds?.includes(instance.InstanceId ?? "")),
      );
      const spec = fleet?.LaunchTemplateConfigs?.[0]?.LaunchTemplateSpecification;
      templateId = spec?.LaunchTemplateId;
      version = spec?.Version;
    }
    if (!templateId) return undefined;
    const versions = await this.options.ec2.send(
      new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: templateId, Versions: [version ?? "$Default"] }),
    );
    const profile = versions.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.IamInstanceProfile;
    return profile?.Name ?? profile?.Arn?.split("/").pop();
  }

  private async roleOf(instance: Instance): Promise<InstanceIdentity["role"]> {
    const profileName = instance.IamInstanceProfile?.Arn?.split("/").pop() ?? (await this.templateProfile(instance));
    if (!profileName) return undefined;
    const profile = await this.options.iam.send(new GetInstanceProfileCommand({ InstanceProfileName: profileName }));
    const role = profile.InstanceProfile?.Roles?.[0];
    if (!role?.RoleName || !role.Arn) return undefined;
    const roleArn = role.Arn;
    return {
      name: role.RoleName,
      credentials: () => assumeRole(this.options.moto, this.options.region, roleArn, instance.InstanceId ?? "node"),
    };
  }
}

/** STS AssumeRole on moto, as EC2 does for an instance profile (moto signs nothing, checks nothing). */
async function assumeRole(moto: string, region: string, roleArn: string, session: string): Promise<RoleCredentials> {
  const body = new URLSearchParams({
    Action: "AssumeRole",
    Version: "2011-06-15",
    RoleArn: roleArn,
    RoleSessionName: session,
  });
  const response = await fetch(moto, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${region}/sts/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body,
  });
  const xml = await response.text();
  const field = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1] ?? "";
  if (!response.ok || !field("AccessKeyId"))
    throw new Error(`AssumeRole ${roleArn}: HTTP ${response.status} ${xml.slice(0, 200)}`);
  return {
    AccessKeyId: field("AccessKeyId"),
    SecretAccessKey: field("SecretAccessKey"),
    Token: field("SessionToken"),
    Expiration: field("Expiration") || new Date(Date.now() + 3_600_000).toISOString(),
  };
}
