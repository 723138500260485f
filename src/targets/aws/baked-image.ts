// Baked node images (`npm run vpc -- image`): the tags one carries, where it is recorded (Consul,
// beside the VPC's outputs: <prefix>vpc/<vpcName>/images/<spark>/<arch>), and which image a burst
// boots from: the recorded one when it was made by the node role this burst runs, else the base.

import { DescribeImagesCommand, EC2Client } from "@aws-sdk/client-ec2";
import type { Architecture } from "../../../stacks/aws/node-image-lookup.ts";
import { describeError, infraError } from "../../errors.ts";
import { ConsulStore, type KvBackend } from "../../params/consul-store.ts";

/** Tags on a baked image (and its snapshot): what made it, for which Spark and architecture. */
export const imageTagKeys = {
  roleHash: "burst:role-hash",
  spark: "burst:spark",
  arch: "burst:arch",
  /** The VPC whose `vpc image` made it: `--prune` looks only at these. */
  vpc: "burst:image-of",
} as const;

/** What Consul holds for one Spark version and architecture (JSON). */
export interface RecordedImage {
  readonly imageId: string;
  readonly roleHash: string;
  readonly sparkVersion: string;
  readonly architecture: Architecture;
  readonly createdAt: string;
}

/** The key, relative to the parameter prefix. */
export function imageKey(vpcName: string, sparkVersion: string, architecture: string): string {
  return `vpc/${vpcName}/images/${sparkVersion}/${architecture}`;
}

/** Every image recorded for the VPC, by "<spark>/<arch>". */
export async function readRecordedImages(
  consul: KvBackend,
  prefix: string,
  vpcName: string,
): Promise<Map<string, RecordedImage>> {
  const folder = `${prefix}vpc/${vpcName}/images/`;
  const recorded = new Map<string, RecordedImage>();
  for (const [key, entry] of await consul.readIndexed(folder)) {
    try {
      const image = JSON.parse(entry.value) as RecordedImage;
      if (typeof image.imageId === "string" && typeof image.roleHash === "string") recorded.set(key, image);
    } catch {
      // A value that is not ours is no image: the burst boots from the base image.
    }
  }
  return recorded;
}

/** Records `image` as the one bursts of its Spark version and architecture boot from (check-and-set). */
export async function recordImage(consul: KvBackend, prefix: string, vpcName: string, image: RecordedImage) {
  const key = imageKey(vpcName, image.sparkVersion, image.architecture);
  for (let attempt = 0; attempt < 3; attempt++) {
    const current = (await consul.readIndexed(`${prefix}${key}`)).get("");
    const outcome = await consul.transact(prefix, [
      { verb: "cas", key, value: JSON.stringify(image), index: current?.modifyIndex ?? 0 },
    ]);
    if (outcome.ok) return;
  }
  throw infraError(`could not record ${image.imageId} at ${prefix}${key}: it kept changing under us`);
}

/** The image a burst boots from, and what it says about the choice. */
export interface ImageChoice {
  /** The baked image to boot from; absent: the base image. */
  readonly bakedAmi?: string;
  /** Why a recorded image is not used (the burst prints it and boots from the base image). */
  readonly warning?: string;
}

/** An image's tags, or undefined when the image no longer exists. */
export type DescribeImage = (imageId: string) => Promise<Readonly<Record<string, string>> | undefined>;

/**
 * The recorded image when its role-hash tag is `roleHash` (this burst's node role); else the base
 * image, with a warning. Without `describe` (no credentials in a dry run) the record's own hash counts.
 */
export async function chooseImage(
  recorded: RecordedImage | undefined,
  roleHash: string,
  describe?: DescribeImage,
): Promise<ImageChoice> {
  if (recorded === undefined) return {};
  const rebake = "bake it again: npm run vpc -- image";
  let madeBy = recorded.roleHash;
  if (describe !== undefined) {
    const tags = await describe(recorded.imageId);
    if (tags === undefined) {
      return { warning: `baked image ${recorded.imageId} no longer exists: booting from the base image (${rebake})` };
    }
    madeBy = tags[imageTagKeys.roleHash] ?? "(none)";
  }
  if (madeBy !== roleHash) {
    return {
      warning: `baked image ${recorded.imageId} holds node role ${madeBy}, this burst runs role ${roleHash}: booting from the base image (${rebake})`,
    };
  }
  return { bakedAmi: recorded.imageId };
}

export interface BurstImageRequest {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly prefix: string;
  readonly vpcName: string;
  readonly region: string;
  readonly sparkVersion: string;
  readonly architecture: Architecture;
  /** Whether AWS may be asked (a launch, or a dry run with credentials). */
  readonly askAws: boolean;
}

/** A burst's image: the one recorded in Consul (when CONSUL_HTTP_ADDR is set) for its Spark and arch, if current. */
export async function burstImage(request: BurstImageRequest): Promise<ImageChoice> {
  if (!request.env.CONSUL_HTTP_ADDR) return {};
  const consul = ConsulStore.fromEnv(request.env);
  const recorded = (await readRecordedImages(consul, request.prefix, request.vpcName)).get(
    `${request.sparkVersion}/${request.architecture}`,
  );
  if (recorded === undefined) return {};
  const { nodeRoleHash } = await import("../../../stacks/aws/bootstrap.ts");
  return chooseImage(recorded, nodeRoleHash(), request.askAws ? ec2DescribeImage(request.region) : undefined);
}

/** DescribeImages through the SDK's default chain; an image AWS says is gone is undefined. */
export function ec2DescribeImage(region: string, client?: EC2Client): DescribeImage {
  return async (imageId) => {
    const ec2 = client ?? new EC2Client({ region, maxAttempts: 3 });
    try {
      const answer = await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
      const image = answer.Images?.find((candidate) => candidate.ImageId === imageId);
      if (image === undefined || image.State === "deregistered") return undefined;
      return Object.fromEntries((image.Tags ?? []).map((tag) => [tag.Key ?? "", tag.Value ?? ""]));
    } catch (error) {
      if (/InvalidAMIID/.test((error as { name?: string }).name ?? "")) return undefined;
      throw infraError(`could not look up baked image ${imageId}: ${describeError(error)}`, { cause: error });
    } finally {
      if (client === undefined) ec2.destroy();
    }
  };
}

/**
 * A run's aws parameters with aws/bakedAmi set to the recorded image when it is current (an
 * aws/bakedAmi set by hand wins, unchecked); the warning, when there is one, goes to `warn`.
 */
export async function withBakedImage<
  P extends { readonly bakedAmi?: string; readonly vpcName: string; readonly region: string },
>(aws: P, request: Omit<BurstImageRequest, "vpcName" | "region">, warn: (line: string) => void): Promise<P> {
  if (aws.bakedAmi) return aws;
  const choice = await burstImage({ ...request, vpcName: aws.vpcName, region: aws.region });
  if (choice.warning !== undefined) warn(`warning: ${choice.warning}`);
  return choice.bakedAmi === undefined ? aws : { ...aws, bakedAmi: choice.bakedAmi };
}
