import { DataAwsSubnet } from "@cdktf/provider-aws/lib/data-aws-subnet/index.js";
import { Instance } from "@cdktf/provider-aws/lib/instance/index.js";
import { Fn, Op, TerraformLocal } from "cdktf";
import { Construct } from "constructs";
import type { NodeBootstrapInput } from "../bootstrap.ts";
import { addressNumber } from "../master-address.ts";
import { tagKeys } from "../tags.ts";
import { NodeLaunchTemplate, type NodeSettings } from "./node-launch-template.ts";
import { nodeUserData } from "./user-data.ts";

export interface SparkMasterProps {
  readonly node: NodeSettings;
  readonly instanceType: string;
  readonly subnetId: string;
  readonly securityGroupIds: readonly string[];
  readonly bootstrap: Omit<NodeBootstrapInput, "role" | "masterHost">;
  /** Picks the master's private address in its subnet (the run id; a retry after "address in use" changes it). */
  readonly addressSeed: string;
}

/**
 * The master: always on-demand, on a private address chosen before anything is launched (a
 * function of the run id, within its subnet), so workers know where to dial without waiting for
 * the master instance: all nodes launch at once. Its public address (what the CLI SSHes to) is
 * its own, assigned at launch; everything it has goes with the instance.
 */
export class SparkMaster extends Construct {
  /** The master's private IP; workers dial spark://<privateIp>:7077. */
  readonly privateIp: string;
  readonly publicIp: string;
  readonly instanceId: string;
  /** The AZ of the master's subnet, where the workers' fleet launches too. */
  readonly availabilityZone: string;

  constructor(scope: Construct, id: string, props: SparkMasterProps) {
    super(scope, id);
    const subnet = new DataAwsSubnet(this, "subnet", { id: props.subnetId });
    // Hosts 4 .. size-2 of a VPC subnet are usable: AWS keeps the first four and the last. The CLI
    // computes the same address before apply (masterAddressIn) to skip one that is held.
    const prefixLength = Fn.tonumber(Fn.element(Fn.split("/", subnet.cidrBlock), 1));
    const usable = Op.sub(Fn.pow(2, Op.sub(32, prefixLength)), 5);
    const privateIp = new TerraformLocal(
      this,
      "private_ip",
      Fn.cidrhost(subnet.cidrBlock, Op.add(4, Op.mod(addressNumber(props.addressSeed), usable))),
    ).asString;
    const template = new NodeLaunchTemplate(this, "launch", {
      node: props.node,
      role: "master",
      userData: nodeUserData(this, "user_data", { ...props.bootstrap, role: "master" }, privateIp),
    });
    const instance = new Instance(this, "instance", {
      instanceType: props.instanceType,
      launchTemplate: { id: template.template.id, version: template.template.latestVersion.toString() },
      subnetId: props.subnetId,
      privateIp,
      associatePublicIpAddress: true,
      vpcSecurityGroupIds: [...props.securityGroupIds],
      // Tags given here replace the template's instance tags, so they repeat the role.
      tags: { Name: `${props.node.name}-master`, [tagKeys.role]: "master" },
    });
    this.privateIp = privateIp;
    this.publicIp = instance.publicIp;
    this.instanceId = instance.id;
    this.availabilityZone = subnet.availabilityZone;
  }
}
