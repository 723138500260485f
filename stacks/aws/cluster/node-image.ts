import { DataAwsAmi } from "@cdktf/provider-aws/lib/data-aws-ami/index.js";
import { Construct } from "constructs";

/**
 * The AMI nodes boot from, looked up so the launch template resizes the image's own root device
 * (Debian calls it /dev/xvda, Ubuntu /dev/sda1; guessing wrong would add a second disk instead).
 */
export class NodeImage extends Construct {
  readonly id: string;
  readonly rootDeviceName: string;

  constructor(scope: Construct, id: string, props: { readonly imageId: string }) {
    super(scope, id);
    const image = new DataAwsAmi(this, "ami", { filter: [{ name: "image-id", values: [props.imageId] }] });
    this.id = image.id;
    this.rootDeviceName = image.rootDeviceName;
  }
}
