// `npm run vpc -- image`: one builder instance boots the base image with the node role in its bake
// mode (stacks/aws/bootstrap/bake.sh: the install steps, then it powers itself off, which with
// shutdown behaviour "stop" leaves it stopped), CreateImage makes the baked image of it, the image
// is tagged and recorded in Consul, and the builder is terminated whatever happens.
// `--prune` lists the VPC's images and deregisters those no record points at (with their snapshots).

import { gzipSync } from "node:zlib";
import {
  type _InstanceType,
  CreateImageCommand,
  CreateTagsCommand,
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  type EC2Client,
  type Image,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import type { Architecture } from "../../../stacks/aws/node-image-lookup.ts";
import { debianOwnerId } from "../../../stacks/aws/node-image-lookup.ts";
import { BurstError, badInput, describeError, infraError } from "../../errors.ts";
import type { KvBackend } from "../../params/consul-store.ts";
import { sleep } from "../../util/concurrency.ts";
import { imageTagKeys, type RecordedImage, readRecordedImages, recordImage } from "./baked-image.ts";
import { newestDebianImage } from "./debian-image.ts";

/** The console lines the role prints (stacks/shared/node/role.sh). */
const stepPrefix = "burst-step:";
const failedPrefix = "burst-failed:";
const logPrefix = "burst-log:";

export interface BuildImageInput {
  readonly ec2: EC2Client;
  /** Where the image is recorded; absent (no CONSUL_HTTP_ADDR): printed for aws/bakedAmi instead. */
  readonly consul?: KvBackend;
  readonly prefix: string;
  readonly vpcName: string;
  readonly sparkVersion: string;
  readonly architecture: Architecture;
  readonly instanceType: string;
  /** aws/baseAmi; absent: the newest official Debian 12 image of the architecture. */
  readonly baseImageId?: string;
  readonly subnetId: string;
  readonly securityGroupId: string;
  readonly instanceProfileName: string;
  /** The builder's user data (renderBakeBootstrap). */
  readonly userData: string;
  readonly roleHash: string;
  readonly diskGb: number;
  /** How long the install steps may take before the builder is given up. */
  readonly waitMs: number;
  readonly pollMs?: number;
  /** One read of the builder's console (ec2:GetConsoleOutput). */
  readonly readConsole: (instanceId: string) => Promise<string>;
  readonly log: (line: string) => void;
  /** Ctrl-C: stop waiting; the builder is terminated all the same. */
  readonly signal?: AbortSignal;
  readonly now?: () => Date;
}

/** The Name tag of a VPC's image builders (what `--prune` finds a dead bake's builder by). */
export function builderName(vpcName: string): string {
  return `burst-image-builder-${vpcName}`;
}

/** Builds, tags and records the image; the builder is terminated however this ends. */
export async function buildNodeImage(input: BuildImageInput): Promise<RecordedImage> {
  const { ec2, log } = input;
  const base = await baseImage(input);
  const tags = {
    [imageTagKeys.roleHash]: input.roleHash,
    [imageTagKeys.spark]: input.sparkVersion,
    [imageTagKeys.arch]: input.architecture,
    [imageTagKeys.vpc]: input.vpcName,
  };
  const builderTags = { ...tags, Name: builderName(input.vpcName) };
  const launched = await ec2.send(
    new RunInstancesCommand({
      ImageId: base.ImageId,
      InstanceType: input.instanceType as _InstanceType,
      MinCount: 1,
      MaxCount: 1,
      UserData: gzipSync(input.userData).toString("base64"),
      IamInstanceProfile: { Name: input.instanceProfileName },
      NetworkInterfaces: [
        { DeviceIndex: 0, SubnetId: input.subnetId, Groups: [input.securityGroupId], AssociatePublicIpAddress: true },
      ],
      // The bake's last step is a poweroff: stopped, the builder's disk is what the image is made of.
      InstanceInitiatedShutdownBehavior: "stop",
      MetadataOptions: { HttpEndpoint: "enabled", HttpTokens: "required", HttpPutResponseHopLimit: 1 },
      BlockDeviceMappings: [
        {
          DeviceName: base.RootDeviceName ?? "/dev/xvda",
          Ebs: { VolumeSize: input.diskGb, VolumeType: "gp3", Encrypted: true, DeleteOnTermination: true },
        },
      ],
      TagSpecifications: (["instance", "volume"] as const).map((ResourceType) => ({
        ResourceType,
        Tags: asTags(builderTags),
      })),
    }),
  );
  const builderId = launched.Instances?.[0]?.InstanceId;
  if (!builderId) throw infraError("RunInstances returned no builder instance");
  log(`builder ${builderId} (${input.instanceType}) boots ${base.ImageId}: installing Spark ${input.sparkVersion}`);
  try {
    await waitForBake(input, builderId);
    const name = `burst-node-spark${input.sparkVersion}-${input.architecture}-${input.roleHash}-${stamp(input.now?.() ?? new Date())}`;
    const created = await ec2.send(
      new CreateImageCommand({
        InstanceId: builderId,
        Name: name,
        Description: `burst node: Spark ${input.sparkVersion} (${input.architecture}) installed by node role ${input.roleHash}`,
        TagSpecifications: [{ ResourceType: "image", Tags: asTags({ ...tags, Name: name }) }],
      }),
    );
    const imageId = created.ImageId;
    if (!imageId) throw infraError("CreateImage returned no image id");
    log(`image ${imageId} (${name}) is being made from ${builderId}`);
    const image = await waitForImage(input, imageId);
    // The snapshot is what the image costs each month: tagged so it is found with it.
    const snapshots = snapshotIds(image);
    if (snapshots.length > 0) {
      await ec2.send(new CreateTagsCommand({ Resources: snapshots, Tags: asTags({ ...tags, Name: name }) }));
    }
    const recorded: RecordedImage = {
      imageId,
      roleHash: input.roleHash,
      sparkVersion: input.sparkVersion,
      architecture: input.architecture,
      createdAt: (input.now?.() ?? new Date()).toISOString(),
    };
    if (input.consul) {
      await recordImage(input.consul, input.prefix, input.vpcName, recorded);
      log(
        `image ${imageId} recorded at ${input.prefix}vpc/${input.vpcName}/images/${input.sparkVersion}/${input.architecture}: bursts of Spark ${input.sparkVersion} on ${input.architecture} boot from it`,
      );
    } else {
      log(`image ${imageId} is ready; CONSUL_HTTP_ADDR is not set: set aws/bakedAmi to it in config/aws.yml`);
    }
    return recorded;
  } finally {
    await terminateBuilder(ec2, builderId, log);
  }
}

async function baseImage(input: BuildImageInput): Promise<Image> {
  if (input.baseImageId !== undefined) {
    const answer = await input.ec2.send(new DescribeImagesCommand({ ImageIds: [input.baseImageId] }));
    const image = answer.Images?.[0];
    if (!image)
      throw badInput(`aws/baseAmi ${input.baseImageId} does not exist in this region`, { keyPath: "aws/baseAmi" });
    return image;
  }
  const newest = await newestDebianImage(input.ec2, input.architecture);
  if (!newest?.ImageId) {
    throw infraError(`no official Debian 12 ${input.architecture} image found (owner ${debianOwnerId})`, {
      hint: "set aws/baseAmi to a Debian 12 image of the region",
    });
  }
  return newest;
}

/** Until the builder is stopped (the bake's poweroff); its console's progress shown, a failure thrown. */
async function waitForBake(input: BuildImageInput, builderId: string): Promise<void> {
  const deadline = Date.now() + input.waitMs;
  const shown = new Set<string>();
  for (;;) {
    if (input.signal?.aborted) throw new BurstError("interrupted", "interrupted while the builder installs");
    // The console before the state: the last steps are shown before the stop ends the wait.
    const consoleText = await input.readConsole(builderId).catch(() => "");
    const lines = consoleText.split(/\r?\n/);
    for (const line of lines.filter((candidate) => candidate.includes(stepPrefix))) {
      const step = line.slice(line.indexOf(stepPrefix) + stepPrefix.length).trim();
      if (!shown.has(step)) input.log(`  ${step}`);
      shown.add(step);
    }
    const failed = lines.find((line) => line.includes(failedPrefix));
    if (failed !== undefined) {
      const tail = lines.filter((line) => line.includes(logPrefix)).map((line) => line.slice(line.indexOf(logPrefix)));
      throw infraError(
        `the bake failed on ${builderId}: ${failed.slice(failed.indexOf(failedPrefix) + failedPrefix.length).trim()}`,
        {
          hint: tail.length > 0 ? `the builder's log ended:\n${tail.join("\n")}` : "its log: /var/log/burst-bake.log",
        },
      );
    }
    const answer = await input.ec2.send(new DescribeInstancesCommand({ InstanceIds: [builderId] }));
    const state = answer.Reservations?.[0]?.Instances?.[0]?.State?.Name ?? "";
    if (state === "stopped") return;
    if (state === "terminated" || state === "shutting-down") {
      throw infraError(`builder ${builderId} was ${state} before the bake finished`);
    }
    if (Date.now() > deadline) {
      throw infraError(
        `builder ${builderId} did not finish its install steps within ${Math.round(input.waitMs / 60_000)} min`,
        { hint: "its console (aws ec2 get-console-output) shows the last step" },
      );
    }
    await sleep(input.pollMs ?? 10_000, input.signal);
  }
}

async function waitForImage(input: BuildImageInput, imageId: string): Promise<Image> {
  const deadline = Date.now() + 60 * 60_000;
  for (;;) {
    const answer = await input.ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
    const image = answer.Images?.[0];
    if (image?.State === "available") return image;
    if (image?.State === "failed" || image?.State === "invalid") {
      throw infraError(`image ${imageId} could not be made: ${image.StateReason?.Message ?? image.State}`);
    }
    if (Date.now() > deadline) throw infraError(`image ${imageId} was not available within 60 min`);
    if (input.signal?.aborted) throw new BurstError("interrupted", `interrupted while image ${imageId} is made`);
    await sleep(input.pollMs ?? 10_000, input.signal);
  }
}

async function terminateBuilder(ec2: EC2Client, builderId: string, log: (line: string) => void): Promise<void> {
  try {
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [builderId] }));
    log(`builder ${builderId} terminated`);
  } catch (error) {
    log(`could not terminate builder ${builderId}: ${describeError(error)}; terminate it by hand`);
  }
}

export interface PruneInput {
  readonly ec2: EC2Client;
  readonly consul?: KvBackend;
  readonly prefix: string;
  readonly vpcName: string;
  /** Deregister (else only list). */
  readonly yes: boolean;
  readonly log: (line: string) => void;
}

/**
 * The VPC's baked images: those a record points at are kept, the others deregistered with their
 * snapshots. And its builders: one a dead bake left stopped (its disk still billed) is terminated;
 * one still running may be a bake under way, so it is only named (a builder whose CLI died powers
 * itself off on its timer, and the next prune finds it stopped).
 */
export async function pruneNodeImages(
  input: PruneInput,
): Promise<{ kept: string[]; removed: string[]; leftBuilders: string[] }> {
  const { ec2, log } = input;
  const leftBuilders = await pruneBuilders(input);
  const recorded = input.consul ? await readRecordedImages(input.consul, input.prefix, input.vpcName) : new Map();
  const current = new Set([...recorded.values()].map((image) => image.imageId));
  const answer = await ec2.send(
    new DescribeImagesCommand({
      Owners: ["self"],
      Filters: [{ Name: `tag:${imageTagKeys.vpc}`, Values: [input.vpcName] }],
    }),
  );
  const images = [...(answer.Images ?? [])].sort((a, b) =>
    String(a.CreationDate).localeCompare(String(b.CreationDate)),
  );
  const kept: string[] = [];
  const removed: string[] = [];
  for (const image of images) {
    const id = image.ImageId ?? "";
    const tag = (key: string) => image.Tags?.find((candidate) => candidate.Key === key)?.Value ?? "?";
    const what = `${id} Spark ${tag(imageTagKeys.spark)} ${tag(imageTagKeys.arch)} role ${tag(imageTagKeys.roleHash)} made ${image.CreationDate ?? "?"}`;
    if (current.has(id)) {
      kept.push(id);
      log(`keep   ${what} (recorded: bursts boot from it)`);
      continue;
    }
    removed.push(id);
    if (!input.yes) {
      log(`old    ${what}`);
      continue;
    }
    await ec2.send(new DeregisterImageCommand({ ImageId: id }));
    for (const snapshot of snapshotIds(image)) await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshot }));
    log(`pruned ${what} (and snapshots ${snapshotIds(image).join(", ") || "none"})`);
  }
  if (images.length === 0) log(`no baked images of VPC "${input.vpcName}"`);
  if (!input.yes && removed.length + leftBuilders.length > 0) {
    const what = [
      removed.length > 0 ? `deregister ${removed.length} old image(s) and delete their snapshots` : "",
      leftBuilders.length > 0 ? `terminate ${leftBuilders.length} stopped builder(s)` : "",
    ].filter(Boolean);
    log(`\nNothing changed. Re-run with --yes to ${what.join(" and ")}.`);
  }
  return { kept, removed, leftBuilders };
}

/** The VPC's builders that outlived their bake: stopped ones terminated (with --yes), running ones named. */
async function pruneBuilders(input: PruneInput): Promise<string[]> {
  const { ec2, log } = input;
  const answer = await ec2.send(
    new DescribeInstancesCommand({
      Filters: [
        { Name: "tag:Name", Values: [builderName(input.vpcName)] },
        { Name: `tag:${imageTagKeys.vpc}`, Values: [input.vpcName] },
        { Name: "instance-state-name", Values: ["pending", "running", "stopping", "stopped"] },
      ],
    }),
  );
  const builders = (answer.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []);
  const left: string[] = [];
  for (const builder of builders) {
    const id = builder.InstanceId ?? "";
    const state = builder.State?.Name ?? "?";
    if (state !== "stopped") {
      log(`busy   builder ${id} ${state} (a bake under way, or one whose CLI died: it powers itself off on its timer)`);
      continue;
    }
    left.push(id);
    if (!input.yes) {
      log(`left   builder ${id} stopped (a bake that did not finish; its disk is still billed)`);
      continue;
    }
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    log(`terminated builder ${id} (a bake that did not finish)`);
  }
  return left;
}

function snapshotIds(image: Image): string[] {
  return (image.BlockDeviceMappings ?? []).flatMap((mapping) =>
    mapping.Ebs?.SnapshotId ? [mapping.Ebs.SnapshotId] : [],
  );
}

function asTags(tags: Readonly<Record<string, string>>) {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** 20260107-1304: image names must be unique per account and region. */
function stamp(time: Date): string {
  return time.toISOString().slice(0, 16).replace(/[-:]/g, "").replace("T", "-");
}
