import { Ec2Fleet } from "@cdktf/provider-aws/lib/ec2-fleet/index.js";
import { Fn, ref, type TerraformResource, TerraformStack, Token } from "cdktf";
import { Construct } from "constructs";
import type { NodeBootstrapInput } from "../bootstrap.ts";
import { workersShortMessage } from "../capacity.ts";
import { NodeLaunchTemplate, type NodeSettings } from "./node-launch-template.ts";
import { nodeUserData } from "./user-data.ts";

export interface SparkWorkersProps {
  readonly node: NodeSettings;
  readonly workers: number;
  readonly instanceType: string;
  readonly spot: boolean;
  /** Highest spot price per worker-hour (USD); absent = up to the on-demand price. */
  readonly maxPrice?: number;
  /** The master's subnet: every worker launches in its AZ. */
  readonly subnetId: string;
  readonly securityGroupIds: readonly string[];
  /** The master's private address (its interface's, not its instance's). */
  readonly masterHost: string;
  readonly bootstrap: Omit<NodeBootstrapInput, "role" | "masterHost">;
  /** A change of this resource replaces the fleet (a new capacity attempt). */
  readonly replacedBy?: TerraformResource;
}

/**
 * The workers: one EC2 Fleet request of type "instant", a single synchronous API call that
 * launches every worker at once and returns their ids. Spot or on-demand, all in the master's
 * subnet and AZ, all or nothing (min_target_capacity = workers: a short fleet launches none, so
 * nothing is paid for while the cluster moves to another AZ); instances end with the fleet.
 */
export class SparkWorkers extends Construct {
  readonly instanceIds: string[];

  constructor(scope: Construct, id: string, props: SparkWorkersProps) {
    super(scope, id);
    const template = new NodeLaunchTemplate(this, "launch", {
      node: props.node,
      role: "worker",
      securityGroupIds: props.securityGroupIds,
      spot: props.spot,
      userData: nodeUserData(this, "user_data", { ...props.bootstrap, role: "worker" }, props.masterHost),
    });
    const capacityType = props.spot ? "spot" : "on-demand";
    // EC2 honours a minimum only with a single AZ or a single type; here both hold.
    const allOrNothing = { minTargetCapacity: props.workers, singleAvailabilityZone: true, singleInstanceType: true };
    const maxPrice = props.spot && props.maxPrice !== undefined ? String(props.maxPrice) : undefined;
    const fleet = new Ec2Fleet(this, "fleet", {
      type: "instant",
      terminateInstances: true,
      launchTemplateConfig: [
        {
          launchTemplateSpecification: {
            launchTemplateId: template.template.id,
            version: template.template.latestVersion.toString(),
          },
          override: [{ subnetId: props.subnetId, instanceType: props.instanceType, maxPrice }],
        },
      ],
      targetCapacitySpecification: {
        defaultTargetCapacityType: capacityType,
        totalTargetCapacity: props.workers,
        ...(props.spot ? { spotTargetCapacity: props.workers } : { onDemandTargetCapacity: props.workers }),
      },
      ...(props.spot
        ? {
            spotOptions: {
              allocationStrategy: "price-capacity-optimized",
              instanceInterruptionBehavior: "terminate",
              ...allOrNothing,
            },
          }
        : // The provider validates the older spelling (5.x: "lowestPrice" or "prioritized").
          { onDemandOptions: { allocationStrategy: "lowestPrice", ...allOrNothing } }),
      lifecycle: {
        // Belt and braces for the minimum: a short cluster must fail the apply, never run short.
        postcondition: [
          {
            condition: `\${length(flatten(self.fleet_instance_set[*].instance_ids)) == ${props.workers}}`,
            errorMessage: workersShortMessage,
          },
        ],
      },
    });
    if (props.replacedBy) {
      // A bare address: terraform's JSON syntax refuses the "${...}" CDKTF writes for replaceTriggeredBy.
      const { terraformResourceType, friendlyUniqueId } = props.replacedBy;
      fleet.addOverride("lifecycle.replace_triggered_by", [`${terraformResourceType}.${friendlyUniqueId}`]);
    }
    const launched = ref(
      `${fleet.terraformResourceType}.${fleet.friendlyUniqueId}.fleet_instance_set[*].instance_ids`,
      TerraformStack.of(this),
    );
    this.instanceIds = Token.asList(Fn.flatten(launched));
  }
}
