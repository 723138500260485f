// The image a node boots when ops name none (aws/baseAmi unset): the newest official Debian 12 of
// the architecture, as the stack's own lookup (stacks/aws/node-image-lookup.ts) finds it at apply.

import { DescribeImagesCommand, type EC2Client, type Image } from "@aws-sdk/client-ec2";
import { type Architecture, debianOwnerId } from "../../../stacks/aws/node-image-lookup.ts";

/** The newest official Debian 12 image for `architecture`; undefined when the region has none. */
export async function newestDebianImage(ec2: EC2Client, architecture: Architecture): Promise<Image | undefined> {
  const arch = architecture === "arm64" ? "arm64" : "amd64";
  const answer = await ec2.send(
    new DescribeImagesCommand({
      Owners: [debianOwnerId],
      Filters: [{ Name: "name", Values: [`debian-12-${arch}-*`] }],
    }),
  );
  return [...(answer.Images ?? [])].sort((a, b) => String(b.CreationDate).localeCompare(String(a.CreationDate)))[0];
}
