import { KeyPair } from "@cdktf/provider-aws/lib/key-pair/index.js";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group/index.js";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js";
import { Construct } from "constructs";
import { badInput } from "../../../src/errors.ts";
import { isIpv6Cidr, sshSourceCidr } from "../cidr.ts";

export interface RunAccessProps {
  readonly name: string;
  readonly vpcId: string;
  /** The launching machine's address; SSH is open to it (and to sshAllowedCidrs) only. */
  readonly callerCidr: string;
  readonly sshAllowedCidrs: readonly string[];
  /** Public half of the run's ephemeral key; the private half never leaves the launcher. */
  readonly sshPublicKey: string;
}

/**
 * Who may reach this run's nodes: a group that lets SSH in from the caller and the configured
 * ranges, a group whose members (this run's nodes, and only them) talk to each other on every
 * port Spark uses, and the run's own key pair. Egress comes from the VPC's baseline group.
 */
export class RunAccess extends Construct {
  readonly securityGroup: SecurityGroup;
  /** This run's nodes; its only ingress rule references itself. */
  readonly membersGroup: SecurityGroup;
  readonly keyPair: KeyPair;

  constructor(scope: Construct, id: string, props: RunAccessProps) {
    super(scope, id);
    this.securityGroup = new SecurityGroup(this, "ssh", {
      name: props.name,
      description: "burst run: SSH from the launching machine and allowed ranges",
      vpcId: props.vpcId,
      tags: { Name: props.name },
    });
    const sources = new Set([
      sshSourceCidr(props.callerCidr, "callerCidr"),
      ...props.sshAllowedCidrs.map((cidr, index) => sshSourceCidr(cidr, `aws.sshAllowedCidrs[${index}]`)),
    ]);
    [...sources].forEach((cidr, index) => {
      new VpcSecurityGroupIngressRule(this, `ssh_${index}`, {
        securityGroupId: this.securityGroup.id,
        ipProtocol: "tcp",
        fromPort: 22,
        toPort: 22,
        ...(isIpv6Cidr(cidr) ? { cidrIpv6: cidr } : { cidrIpv4: cidr }),
        description: index === 0 ? "SSH from the machine that launched the run" : "SSH from an allowed range",
      });
    });
    this.membersGroup = new SecurityGroup(this, "members", {
      name: `${props.name}-members`,
      description: "burst run: traffic between this run's nodes only",
      vpcId: props.vpcId,
      tags: { Name: `${props.name}-members` },
    });
    new VpcSecurityGroupIngressRule(this, "between_members", {
      securityGroupId: this.membersGroup.id,
      referencedSecurityGroupId: this.membersGroup.id,
      ipProtocol: "-1",
      description: "Spark master, workers and executors of this run talk on many ports",
    });
    this.keyPair = new KeyPair(this, "key", { keyName: props.name, publicKey: publicKeyOnly(props.sshPublicKey) });
  }
}

/** An OpenSSH public key line; anything else (above all a private key) is refused. */
export function publicKeyOnly(key: string): string {
  const line = key.trim();
  if (
    line.includes("PRIVATE KEY") ||
    !/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( \S.*)?$/.test(line)
  ) {
    throw badInput("sshPublicKey is not an OpenSSH public key line", {
      hint: "pass the contents of the .pub file; the private key must never reach a stack",
    });
  }
  return line;
}
