import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template/index.js";
import { Construct } from "constructs";
import type { NodeRole } from "../bootstrap.ts";
import { tagKeys } from "../tags.ts";
import type { NodeImage } from "./node-image.ts";

/** What every node of a run shares, whatever its role. */
export interface NodeSettings {
  /** Prefix of the run's resource names, e.g. "burst-wordcount-20250101-ab12". */
  readonly name: string;
  readonly image: NodeImage;
  readonly instanceProfileName: string;
  readonly keyName: string;
  readonly diskGb: number;
  /** The run's tags; stamped on the instances, volumes and interfaces the template launches. */
  readonly tags: Readonly<Record<string, string>>;
}

export interface NodeLaunchTemplateProps {
  readonly node: NodeSettings;
  readonly role: NodeRole;
  /** Base64 user data. */
  readonly userData: string;
  /** Security groups for the node's own interface; absent when it boots on a pre-made interface. */
  readonly securityGroupIds?: readonly string[];
  /** Launched on spot capacity: the spot requests carry the run's tags too (the operator policy requires them). */
  readonly spot?: boolean;
}

/**
 * How a node boots: IMDSv2 only (a token is required and cannot hop past the host), an encrypted
 * gp3 root disk, the VPC's instance profile, and "shutdown means terminate" so the TTL guard and
 * a stray `poweroff` both end the bill.
 */
export class NodeLaunchTemplate extends Construct {
  readonly template: LaunchTemplate;

  constructor(scope: Construct, id: string, props: NodeLaunchTemplateProps) {
    super(scope, id);
    const { node, role } = props;
    const tags = { ...node.tags, Name: `${node.name}-${role}`, [tagKeys.role]: role };
    this.template = new LaunchTemplate(this, "template", {
      name: `${node.name}-${role}`,
      description: `burst Spark ${role}`,
      imageId: node.image.id,
      keyName: node.keyName,
      iamInstanceProfile: { name: node.instanceProfileName },
      vpcSecurityGroupIds: props.securityGroupIds ? [...props.securityGroupIds] : undefined,
      userData: props.userData,
      instanceInitiatedShutdownBehavior: "terminate",
      metadataOptions: {
        httpEndpoint: "enabled",
        httpTokens: "required",
        httpPutResponseHopLimit: 1,
        instanceMetadataTags: "disabled",
      },
      blockDeviceMappings: [
        {
          deviceName: node.image.rootDeviceName,
          ebs: { volumeSize: node.diskGb, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
        },
      ],
      // Provider default_tags cover the template itself, not what it launches.
      tagSpecifications: [
        "instance",
        "volume",
        "network-interface",
        ...(props.spot ? ["spot-instances-request"] : []),
      ].map((resourceType) => ({ resourceType, tags })),
      updateDefaultVersion: true,
    });
  }
}
