import { DataAwsAvailabilityZones } from "@cdktf/provider-aws/lib/data-aws-availability-zones/index.js";
import { Eip } from "@cdktf/provider-aws/lib/eip/index.js";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway/index.js";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway/index.js";
import { Route } from "@cdktf/provider-aws/lib/route/index.js";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table/index.js";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association/index.js";
import { Subnet } from "@cdktf/provider-aws/lib/subnet/index.js";
import { Vpc } from "@cdktf/provider-aws/lib/vpc/index.js";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint/index.js";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import { badInput } from "../../../src/errors.ts";
import type { VpcConfig } from "../../../src/targets/aws/params.ts";
import { parseIpv4Cidr, subnetCidr } from "../cidr.ts";

export interface NetworkProps extends VpcConfig {
  readonly name: string;
  readonly region: string;
}

/** The VPC is cut into 16 equal subnets: public ones from the start, private ones from the middle. */
const subnetBits = 4;
const firstPrivateSubnet = 8;

/**
 * A VPC with DNS, one public subnet per AZ behind an internet gateway, optionally one private
 * subnet per AZ behind a single NAT gateway, and an S3 gateway endpoint on every route table so
 * S3 traffic stays inside AWS (and costs no NAT data processing).
 */
export class Network extends Construct {
  readonly vpc: Vpc;
  readonly publicSubnets: Subnet[];
  readonly privateSubnets: Subnet[];
  /** S3 traffic of every subnet goes through it; the artifacts bucket admits reads only from it. */
  readonly s3Endpoint: VpcEndpoint;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    if (!Number.isInteger(props.azCount) || props.azCount < 2 || props.azCount > firstPrivateSubnet) {
      throw badInput(`azCount must be between 2 and ${firstPrivateSubnet}, got ${props.azCount}`, {
        keyPath: "vpc-config.azCount",
        hint: "clusters need at least two availability zones to fall back on when one has no capacity",
      });
    }
    const cidr = parseIpv4Cidr(props.cidr, "vpc-config.cidr");
    const zones = new DataAwsAvailabilityZones(this, "zones", {
      state: "available",
      filter: [{ name: "opt-in-status", values: ["opt-in-not-required"] }],
    });
    const zone = (index: number) => Fn.element(zones.names, index);
    const named = (suffix: string) => ({ Name: `burst-${props.name}-${suffix}` });

    this.vpc = new Vpc(this, "vpc", {
      cidrBlock: props.cidr,
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: named("vpc"),
    });
    const internetGateway = new InternetGateway(this, "internet_gateway", { vpcId: this.vpc.id, tags: named("igw") });
    const publicRoutes = new RouteTable(this, "public_routes", { vpcId: this.vpc.id, tags: named("public") });
    new Route(this, "public_default_route", {
      routeTableId: publicRoutes.id,
      destinationCidrBlock: "0.0.0.0/0",
      gatewayId: internetGateway.id,
    });
    const azIndexes = [...Array(props.azCount).keys()];
    this.publicSubnets = azIndexes.map((index) => {
      const subnet = new Subnet(this, `public_${index}`, {
        vpcId: this.vpc.id,
        cidrBlock: subnetCidr(cidr, subnetBits, index),
        availabilityZone: zone(index),
        // Nodes download Spark and the CLI SSHes to the master: both need a public address here.
        mapPublicIpOnLaunch: true,
        tags: named(`public-${index}`),
      });
      new RouteTableAssociation(this, `public_${index}_routes`, { subnetId: subnet.id, routeTableId: publicRoutes.id });
      return subnet;
    });

    const routeTables = [publicRoutes];
    this.privateSubnets = [];
    if (props.privateSubnets) {
      const natAddress = new Eip(this, "nat_address", { domain: "vpc", tags: named("nat") });
      const firstPublic = this.publicSubnets[0];
      // One NAT gateway, not one per AZ: a private subnet loses egress if that AZ fails, for a third of the cost.
      const nat = new NatGateway(this, "nat", {
        allocationId: natAddress.allocationId,
        subnetId: firstPublic?.id ?? "",
        tags: named("nat"),
        dependsOn: [internetGateway],
      });
      const privateRoutes = new RouteTable(this, "private_routes", { vpcId: this.vpc.id, tags: named("private") });
      new Route(this, "private_default_route", {
        routeTableId: privateRoutes.id,
        destinationCidrBlock: "0.0.0.0/0",
        natGatewayId: nat.id,
      });
      routeTables.push(privateRoutes);
      for (const index of azIndexes) {
        const subnet = new Subnet(this, `private_${index}`, {
          vpcId: this.vpc.id,
          cidrBlock: subnetCidr(cidr, subnetBits, firstPrivateSubnet + index),
          availabilityZone: zone(index),
          tags: named(`private-${index}`),
        });
        new RouteTableAssociation(this, `private_${index}_routes`, {
          subnetId: subnet.id,
          routeTableId: privateRoutes.id,
        });
        this.privateSubnets.push(subnet);
      }
    }

    this.s3Endpoint = new VpcEndpoint(this, "s3_endpoint", {
      vpcId: this.vpc.id,
      serviceName: `com.amazonaws.${props.region}.s3`,
      vpcEndpointType: "Gateway",
      routeTableIds: routeTables.map((table) => table.id),
      tags: named("s3"),
    });
  }
}
