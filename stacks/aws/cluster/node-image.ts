import { DataAwsAmi } from "@cdktf/provider-aws/lib/data-aws-ami/index.js";
import { Construct } from "constructs";
import { type Architecture, debianOwnerId } from "../node-image-lookup.ts";

// spark-cluster-stack.ts and check-props.ts import it from here.
export { instanceArchitecture } from "../node-image-lookup.ts";

/** Debian's image names per architecture: debian-12-amd64-20250101-1234. */
const debianArch: Record<Architecture, string> = { arm64: "arm64", x86_64: "amd64" };

/**
 * The AMI nodes boot from: the given id, or the newest official Debian 12 image for the
 * cluster's architecture. Either way the data source checks the image's architecture when
 * terraform plans, before anything is created, and gives the launch template the image's own
 * root device (Debian calls it /dev/xvda, Ubuntu /dev/sda1; guessing wrong adds a second disk).
 */
export class NodeImage extends Construct {
  readonly id: string;
  readonly rootDeviceName: string;

  constructor(scope: Construct, id: string, props: { readonly imageId?: string; readonly architecture: Architecture }) {
    super(scope, id);
    const lookup = props.imageId
      ? { filter: [{ name: "image-id", values: [props.imageId] }] }
      : {
          mostRecent: true,
          owners: [debianOwnerId],
          filter: [
            { name: "name", values: [`debian-12-${debianArch[props.architecture]}-*`] },
            { name: "state", values: ["available"] },
          ],
        };
    const image = new DataAwsAmi(this, "ami", {
      ...lookup,
      lifecycle: {
        postcondition: [
          {
            condition: `\${self.architecture == "${props.architecture}"}`,
            errorMessage: `The image's architecture must be ${props.architecture}, the instance types' (burst: aws/baseAmi or aws/bakedAmi).`,
          },
        ],
      },
    });
    this.id = image.id;
    this.rootDeviceName = image.rootDeviceName;
  }
}
