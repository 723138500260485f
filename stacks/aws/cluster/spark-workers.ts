import { Ec2Fleet } from "@cdktf/provider-aws/lib/ec2-fleet/index.js";
import { Fn, ref, TerraformStack, Token } from "cdktf";
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
  /** Every subnet (one per AZ) the fleet may place workers in. */
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  /** The master's private address (its interface's, not its instance's). */
  readonly masterHost: string;
  readonly bootstrap: Omit<NodeBootstrapInput, "role" | "masterHost">;
}

/**
 * The workers: one EC2 Fleet request of type "instant", a single synchronous API call that
 * launches every worker at once and returns their ids. Spot or on-demand, with one override per
 * subnet so EC2 picks any AZ that has capacity; instances are terminated with the fleet.
 */
export class SparkWorkers extends Construct {
  readonly instanceIds: string[];

  constructor(scope: Construct, id: string, props: SparkWorkersProps) {
    super(scope, id);
    const template = new NodeLaunchTemplate(this, "launch", {
      node: props.node,
      role: "worker",
      securityGroupIds: props.securityGroupIds,
      userData: nodeUserData(this, "user_data", { ...props.bootstrap, role: "worker" }, props.masterHost),
    });
    const capacityType = props.spot ? "spot" : "on-demand";
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
          override: props.subnetIds.map((subnetId) => ({ subnetId, instanceType: props.instanceType, maxPrice })),
        },
      ],
      targetCapacitySpecification: {
        defaultTargetCapacityType: capacityType,
        totalTargetCapacity: props.workers,
        ...(props.spot ? { spotTargetCapacity: props.workers } : { onDemandTargetCapacity: props.workers }),
      },
      ...(props.spot
        ? { spotOptions: { allocationStrategy: "price-capacity-optimized", instanceInterruptionBehavior: "terminate" } }
        : // The provider validates the older spelling (5.x: "lowestPrice" or "prioritized").
          { onDemandOptions: { allocationStrategy: "lowestPrice" } }),
      lifecycle: {
        // An instant fleet succeeds with whatever it got; a short cluster must fail the apply instead.
        postcondition: [
          {
            condition: `\${length(flatten(self.fleet_instance_set[*].instance_ids)) == ${props.workers}}`,
            errorMessage: workersShortMessage,
          },
        ],
      },
    });
    const launched = ref(
      `${fleet.terraformResourceType}.${fleet.friendlyUniqueId}.fleet_instance_set[*].instance_ids`,
      TerraformStack.of(this),
    );
    this.instanceIds = Token.asList(Fn.flatten(launched));
  }
}
