import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group/index.js";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule/index.js";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js";
import { Construct } from "constructs";
import { isIpv6Cidr, sshSourceCidr } from "../cidr.ts";

export interface ClusterSecurityGroupProps {
  readonly name: string;
  readonly vpcId: string;
  /** Who may SSH to any cluster node in this VPC (ops' ranges); each run adds its caller. */
  readonly sshAllowedCidrs: readonly string[];
}

/**
 * The security baseline every cluster node joins: nodes leave freely and are reachable from
 * outside only on SSH from the configured ranges. Nothing else comes in, not even from another
 * node of this group: traffic between the nodes of one run is the run's own group's
 * (stacks/aws/cluster/run-access.ts), so one run never reaches another run's Spark ports.
 */
export class ClusterSecurityGroup extends Construct {
  readonly group: SecurityGroup;

  constructor(scope: Construct, id: string, props: ClusterSecurityGroupProps) {
    super(scope, id);
    this.group = new SecurityGroup(this, "group", {
      name: `burst-${props.name}-cluster`,
      description: "burst Spark cluster nodes: SSH from allowed ranges, egress",
      vpcId: props.vpcId,
      tags: { Name: `burst-${props.name}-cluster` },
    });
    props.sshAllowedCidrs.forEach((cidr, index) => {
      const source = sshSourceCidr(cidr, `aws.sshAllowedCidrs[${index}]`);
      new VpcSecurityGroupIngressRule(this, `ssh_${index}`, {
        securityGroupId: this.group.id,
        ipProtocol: "tcp",
        fromPort: 22,
        toPort: 22,
        ...(isIpv6Cidr(source) ? { cidrIpv6: source } : { cidrIpv4: source }),
        description: "SSH from an allowed range",
      });
    });
    new VpcSecurityGroupEgressRule(this, "all_out", {
      securityGroupId: this.group.id,
      ipProtocol: "-1",
      cidrIpv4: "0.0.0.0/0",
      description: "package mirrors, Spark downloads, S3",
    });
  }
}
