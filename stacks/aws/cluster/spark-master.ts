import { Eip } from "@cdktf/provider-aws/lib/eip/index.js";
import { Instance } from "@cdktf/provider-aws/lib/instance/index.js";
import { NetworkInterface } from "@cdktf/provider-aws/lib/network-interface/index.js";
import { Construct } from "constructs";
import type { NodeBootstrapInput } from "../bootstrap.ts";
import { tagKeys } from "../tags.ts";
import { NodeLaunchTemplate, type NodeSettings } from "./node-launch-template.ts";
import { nodeUserData } from "./user-data.ts";

export interface SparkMasterProps {
  readonly node: NodeSettings;
  readonly instanceType: string;
  readonly subnetId: string;
  readonly securityGroupIds: readonly string[];
  readonly bootstrap: Omit<NodeBootstrapInput, "role" | "masterHost">;
}

/**
 * The master: always on-demand, booting on a network interface made first, so its private
 * address (what workers dial) and public address (what the CLI SSHes to) exist before the
 * instance does. Workers depend on the interface, never on the instance: all nodes launch at once.
 */
export class SparkMaster extends Construct {
  /** Private IP of the master's interface; workers dial spark://<privateIp>:7077. */
  readonly privateIp: string;
  readonly publicIp: string;
  readonly instanceId: string;

  constructor(scope: Construct, id: string, props: SparkMasterProps) {
    super(scope, id);
    const networkInterface = new NetworkInterface(this, "interface", {
      subnetId: props.subnetId,
      securityGroups: [...props.securityGroupIds],
      description: `${props.node.name} master`,
      tags: { Name: `${props.node.name}-master` },
    });
    // An interface made before its instance gets no automatic public address; this one is its.
    const address = new Eip(this, "address", {
      domain: "vpc",
      networkInterface: networkInterface.id,
      tags: { Name: `${props.node.name}-master` },
    });
    const template = new NodeLaunchTemplate(this, "launch", {
      node: props.node,
      role: "master",
      userData: nodeUserData(this, "user_data", { ...props.bootstrap, role: "master" }, networkInterface.privateIp),
    });
    const instance = new Instance(this, "instance", {
      instanceType: props.instanceType,
      launchTemplate: { id: template.template.id, version: template.template.latestVersion.toString() },
      // Device 0 is the instance's primary interface: it boots on the pre-made one (5.x schema).
      networkInterface: [{ networkInterfaceId: networkInterface.id, deviceIndex: 0 }],
      // Tags given here replace the template's instance tags, so they repeat the role.
      tags: { Name: `${props.node.name}-master`, [tagKeys.role]: "master" },
    });
    this.privateIp = networkInterface.privateIp;
    this.publicIp = address.publicIp;
    this.instanceId = instance.id;
  }
}
