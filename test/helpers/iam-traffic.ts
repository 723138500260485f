// What AWS would authorize for each API call the twin recorded: every call translated into the
// checks (action, resource ARN, request context) IAM evaluates for it, so a recorded run can be
// held against docs/iam-policy.json (test/helpers/iam-policy-eval.ts) the way AWS would hold it.
//
// The model (also used by test/stacks/aws/iam-policy.test.ts, so there is one model, not two):
// - a call that creates a resource is checked against the resource it creates (ARN with "*" for
//   the id), with aws:RequestTag/<k> and aws:TagKeys for the tags of its TagSpecification, plus
//   ec2:CreateTags with ec2:CreateAction when it tags; and against every existing resource it uses;
// - a call on an existing resource is checked against that resource's ARN with
//   aws:ResourceTag/<k> for the tags it had, learned from the recording: the TagSpecification of
//   the call that created it (matched to the id in that call's answer), then later CreateTags;
// - RunInstances (and CreateFleet, which launches the same way) creates the instance, its volume
//   and network interface, and uses the subnet, security groups, launch template, key pair and
//   image, plus iam:PassRole of the instance profile's role to ec2.amazonaws.com. Launch template
//   values (image, key, profile, network, tag specifications) apply where the call gives none;
//   tags of both are merged per resource type, the call's winning per key; a spot launch
//   (RunInstances' InstanceMarketOptions, a fleet whose default capacity type is spot) also
//   creates a spot-instances-request, checked under ec2:RunInstances with its own tags;
// - Describe* reads: resource "*" (EC2 has no resource-level permissions for them);
// - S3 REST operations map to their IAM action on the bucket or object ARN.
// Anything this does not model is judged "unknown" with the reason, never allowed by default.

import type { RecordedCall } from "../../scripts/servers/twin/aws-front.ts";
import type { Check, ContextValue } from "./iam-policy-eval.ts";

export type Tags = Readonly<Record<string, string>>;

export interface Where {
  readonly account: string;
  readonly region: string;
}

export type Judgement =
  | {
      readonly kind: "checks";
      readonly checks: readonly Check[];
      /** Set when the sender ignores a denial (a probe that falls back): why a denied check does not break anything. */
      readonly deniable?: string;
    }
  | { readonly kind: "unknown"; readonly reason: string };

// ---- the authorization model ----

export const ec2Arn = (where: Where, type: string, id: string) =>
  `arn:aws:ec2:${where.region}:${where.account}:${type}/${id}`;

/** Images belong to no account in their ARN. */
export const imageArn = (where: Where, imageId: string) => `arn:aws:ec2:${where.region}::image/${imageId}`;

export function tagContext(prefix: "aws:RequestTag" | "aws:ResourceTag", tags: Tags): Record<string, ContextValue> {
  return {
    ...Object.fromEntries(Object.entries(tags).map(([key, value]) => [`${prefix}/${key}`, value])),
    ...(prefix === "aws:RequestTag" ? { "aws:TagKeys": Object.keys(tags) } : {}),
  };
}

/** A resource the call creates, tagged in the same call (AWS also checks ec2:CreateTags with ec2:CreateAction). */
export function creates(where: Where, action: string, type: string, tags: Tags | undefined): Check[] {
  const resource = ec2Arn(where, type, "*");
  if (!tags || Object.keys(tags).length === 0) return [{ action, resource, context: {} }];
  const check = { action, resource, context: tagContext("aws:RequestTag", tags) };
  const tagging = { "ec2:CreateAction": action.replace(/^ec2:/, ""), ...tagContext("aws:RequestTag", tags) };
  return [check, { action: "ec2:CreateTags", resource, context: tagging }];
}

/** An existing resource the call reads or changes. */
export const uses = (where: Where, action: string, type: string, id: string, tags: Tags): Check => ({
  action,
  resource: ec2Arn(where, type, id),
  context: tagContext("aws:ResourceTag", tags),
});

export const passRole = (where: Where, role: string, service: string): Check => ({
  action: "iam:PassRole",
  resource: `arn:aws:iam::${where.account}:role/${role}`,
  context: { "iam:PassedToService": service },
});

export interface Existing {
  readonly id: string;
  readonly tags: Tags;
}

/** One launch as AWS authorizes it (RunInstances, or CreateFleet for each of its launch template configs). */
export interface Launch {
  readonly action: "ec2:RunInstances" | "ec2:CreateFleet";
  /** Tags requested per created resource type: instance, volume, network-interface (and fleet, spot request). */
  readonly tags: Readonly<
    Partial<Record<"instance" | "volume" | "network-interface" | "fleet" | "spot-instances-request", Tags>>
  >;
  /** Spot capacity: each instance comes with a spot-instances-request, a resource of its own. */
  readonly spot?: boolean;
  readonly subnets: readonly Existing[];
  readonly groups: readonly Existing[];
  readonly template?: Existing;
  /** By name: a key pair's ARN ends in its name. */
  readonly keyPair?: Existing;
  readonly image: string;
  /** The role of the instance profile, passed to EC2. */
  readonly role?: string;
}

export function launchChecks(where: Where, launch: Launch): Check[] {
  const run = "ec2:RunInstances";
  return [
    ...(["instance", "volume", "network-interface"] as const).flatMap((type) =>
      creates(where, run, type, launch.tags[type]),
    ),
    ...(launch.spot ? creates(where, run, "spot-instances-request", launch.tags["spot-instances-request"]) : []),
    ...launch.subnets.map((subnet) => uses(where, run, "subnet", subnet.id, subnet.tags)),
    ...launch.groups.map((group) => uses(where, run, "security-group", group.id, group.tags)),
    ...(launch.template ? [uses(where, run, "launch-template", launch.template.id, launch.template.tags)] : []),
    ...(launch.keyPair ? [uses(where, run, "key-pair", launch.keyPair.id, launch.keyPair.tags)] : []),
    { action: run, resource: imageArn(where, launch.image) },
    ...(launch.action === "ec2:CreateFleet"
      ? [
          ...creates(where, "ec2:CreateFleet", "fleet", launch.tags.fleet),
          ...(launch.template
            ? [uses(where, "ec2:CreateFleet", "launch-template", launch.template.id, launch.template.tags)]
            : []),
        ]
      : []),
    ...(launch.role ? [passRole(where, launch.role, "ec2.amazonaws.com")] : []),
  ];
}

// ---- query-protocol parameters and answers ----

type Params = Readonly<Record<string, string>>;

/** `prefix.1`, `prefix.2`... in index order. */
function indexed(params: Params, prefix: string): string[] {
  const pattern = new RegExp(`^${prefix.replace(/\./g, "\\.")}\\.(\\d+)$`);
  return Object.entries(params)
    .flatMap(([key, value]) => {
      const n = pattern.exec(key)?.[1];
      return n === undefined ? [] : [[Number(n), value] as const];
    })
    .sort((a, b) => a[0] - b[0])
    .map(([, value]) => value);
}

/** The parameters under `prefix.` with the prefix removed (a launch template's data, one override...). */
function under(params: Params, prefix: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(params)
      .filter(([key]) => key.startsWith(`${prefix}.`))
      .map(([key, value]) => [key.slice(prefix.length + 1), value]),
  );
}

/** TagSpecification.N.{ResourceType, Tag.M.Key, Tag.M.Value} by resource type. */
function tagSpecifications(params: Params, prefix = "TagSpecification"): Map<string, Tags> {
  const specs = new Map<string, Record<string, string>>();
  for (const [key, type] of Object.entries(params)) {
    const n = new RegExp(`^${prefix}\\.(\\d+)\\.ResourceType$`).exec(key)?.[1];
    if (n === undefined) continue;
    const tags = specs.get(type) ?? {};
    const spec = under(params, `${prefix}.${n}`);
    for (const [tagKey, name] of Object.entries(spec)) {
      const m = /^Tag\.(\d+)\.Key$/.exec(tagKey)?.[1];
      if (m !== undefined) tags[name] = spec[`Tag.${m}.Value`] ?? "";
    }
    specs.set(type, tags);
  }
  return specs;
}

/** Key.M / Value.M pairs (CreateTags: Tag.M.Key; IAM: Tags.member.M.Key). */
function tagList(params: Params, prefix: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [key, name] of Object.entries(params)) {
    const m = new RegExp(`^${prefix.replace(/\./g, "\\.")}\\.(\\d+)\\.Key$`).exec(key)?.[1];
    if (m !== undefined) tags[name] = params[`${prefix}.${m}.Value`] ?? "";
  }
  return tags;
}

function elements(xml: string | undefined, name: string): string[] {
  if (!xml) return [];
  return [...xml.matchAll(new RegExp(`<${name}>([^<]+)</${name}>`, "g"))].map((m) => m[1] as string);
}

function idsWithPrefix(xml: string | undefined, prefix: string): string[] {
  if (!xml) return [];
  return [...new Set([...xml.matchAll(new RegExp(`\\b${prefix}-[0-9a-f]{8,}\\b`, "g"))].map((m) => m[0]))];
}

/** The EC2 resource type of an id, from its prefix. */
export function typeOfId(id: string): string | undefined {
  const prefixes: [string, string][] = [
    ["i-", "instance"],
    ["vol-", "volume"],
    ["eni-", "network-interface"],
    ["sgr-", "security-group-rule"],
    ["sg-", "security-group"],
    ["subnet-", "subnet"],
    ["vpce-", "vpc-endpoint"],
    ["vpc-", "vpc"],
    ["igw-", "internet-gateway"],
    ["rtb-", "route-table"],
    ["lt-", "launch-template"],
    ["fleet-", "fleet"],
    ["eipalloc-", "elastic-ip"],
    ["nat-", "natgateway"],
    ["ami-", "image"],
  ];
  return prefixes.find(([prefix]) => id.startsWith(prefix))?.[1];
}

// ---- what the recording tells about resources ----

interface Template {
  readonly id: string;
  readonly name: string;
  /** LaunchTemplateData.* with the prefix removed: RunInstances' own parameter names. */
  readonly data: Record<string, string>;
  readonly versioned: boolean;
}

class Knowledge {
  /** Tags by resource id (key pairs by name). */
  readonly tags = new Map<string, Record<string, string>>();
  readonly templates = new Map<string, Template>();
  readonly templateIdByName = new Map<string, string>();
  readonly keyNameById = new Map<string, string>();
  readonly roleOfProfile = new Map<string, string>();
  readonly rolePath = new Map<string, string>();
  readonly profilePath = new Map<string, string>();
  readonly routeTableOfAssociation = new Map<string, string>();

  private created(id: string, tags: Tags | undefined) {
    this.tags.set(id, { ...(this.tags.get(id) ?? {}), ...(tags ?? {}) });
  }

  /** Applies what a successful call changed. */
  learn(call: RecordedCall) {
    if (call.status < 200 || call.status >= 300) return;
    const p = call.params;
    const specs = tagSpecifications(p);
    if (call.service === "iam") {
      if (call.action === "CreateRole" && p.RoleName) this.rolePath.set(p.RoleName, p.Path ?? "/");
      if (call.action === "CreateInstanceProfile" && p.InstanceProfileName)
        this.profilePath.set(p.InstanceProfileName, p.Path ?? "/");
      if (call.action === "AddRoleToInstanceProfile" && p.InstanceProfileName && p.RoleName)
        this.roleOfProfile.set(p.InstanceProfileName, p.RoleName);
      if (call.action === "RemoveRoleFromInstanceProfile" && p.InstanceProfileName)
        this.roleOfProfile.delete(p.InstanceProfileName);
      return;
    }
    if (call.service !== "ec2") return;
    const single: Record<string, [type: string, element: string]> = {
      CreateVpc: ["vpc", "vpcId"],
      CreateSubnet: ["subnet", "subnetId"],
      CreateInternetGateway: ["internet-gateway", "internetGatewayId"],
      CreateRouteTable: ["route-table", "routeTableId"],
      CreateSecurityGroup: ["security-group", "groupId"],
      CreateVpcEndpoint: ["vpc-endpoint", "vpcEndpointId"],
      CreateNatGateway: ["natgateway", "natGatewayId"],
      AllocateAddress: ["elastic-ip", "allocationId"],
      CreateNetworkInterface: ["network-interface", "networkInterfaceId"],
      AuthorizeSecurityGroupIngress: ["security-group-rule", "securityGroupRuleId"],
      AuthorizeSecurityGroupEgress: ["security-group-rule", "securityGroupRuleId"],
    };
    const made = single[call.action];
    if (made) {
      for (const id of elements(call.response, made[1])) this.created(id, specs.get(made[0]));
      return;
    }
    switch (call.action) {
      case "ImportKeyPair":
      case "CreateKeyPair": {
        const name = p.KeyName ?? elements(call.response, "keyName")[0];
        if (!name) return;
        this.created(name, specs.get("key-pair"));
        for (const id of elements(call.response, "keyPairId")) this.keyNameById.set(id, name);
        return;
      }
      case "CreateLaunchTemplate": {
        const id = elements(call.response, "launchTemplateId")[0];
        const name = p.LaunchTemplateName ?? elements(call.response, "launchTemplateName")[0] ?? "";
        if (!id) return;
        this.created(id, specs.get("launch-template"));
        this.templates.set(id, { id, name, data: under(p, "LaunchTemplateData"), versioned: false });
        this.templateIdByName.set(name, id);
        return;
      }
      case "CreateLaunchTemplateVersion": {
        const id = p.LaunchTemplateId ?? this.templateIdByName.get(p.LaunchTemplateName ?? "");
        const template = id ? this.templates.get(id) : undefined;
        if (template) this.templates.set(template.id, { ...template, versioned: true });
        return;
      }
      case "AssociateRouteTable":
        for (const association of elements(call.response, "associationId"))
          if (p.RouteTableId) this.routeTableOfAssociation.set(association, p.RouteTableId);
        return;
      case "RunInstances":
      case "CreateFleet": {
        const launched = this.launchedTags(call);
        if (launched.kind === "unknown") return;
        for (const type of ["instance", "volume", "network-interface"] as const) {
          const prefix = { instance: "i", volume: "vol", "network-interface": "eni" }[type];
          for (const id of idsWithPrefix(call.response, prefix)) this.created(id, launched.tags.get(type));
        }
        for (const id of elements(call.response, "fleetId")) this.created(id, specs.get("fleet"));
        return;
      }
      case "CreateTags":
        for (const id of indexed(p, "ResourceId")) this.created(id, tagList(p, "Tag"));
        return;
      case "DeleteTags":
        for (const id of indexed(p, "ResourceId")) {
          const tags = { ...(this.tags.get(id) ?? {}) };
          for (const key of Object.keys(tagList(p, "Tag"))) delete tags[key];
          this.tags.set(id, tags);
        }
        return;
    }
  }

  templateOf(
    params: Params,
    prefix: string,
  ): { kind: "none" } | { kind: "found"; template: Template } | { kind: "unknown"; reason: string } {
    const id = params[`${prefix}.LaunchTemplateId`];
    const name = params[`${prefix}.LaunchTemplateName`];
    if (id === undefined && name === undefined) return { kind: "none" };
    const found = this.templates.get(id ?? this.templateIdByName.get(name ?? "") ?? "");
    if (!found) return { kind: "unknown", reason: `launch template ${id ?? name} was not created in the recording` };
    if (found.versioned)
      return { kind: "unknown", reason: `launch template ${found.id} has versions this model does not follow` };
    return { kind: "found", template: found };
  }

  /** The tags a launch requests per resource type: the template's, then the call's over them. */
  launchedTags(call: RecordedCall): { kind: "tags"; tags: Map<string, Tags> } | { kind: "unknown"; reason: string } {
    const p = call.params;
    const prefix =
      call.action === "CreateFleet" ? "LaunchTemplateConfigs.1.LaunchTemplateSpecification" : "LaunchTemplate";
    const template = this.templateOf(p, prefix);
    if (template.kind === "unknown") return template;
    const fromTemplate = template.kind === "found" ? tagSpecifications(template.template.data) : new Map();
    const fromCall = tagSpecifications(p);
    const tags = new Map<string, Tags>();
    for (const type of new Set([...fromTemplate.keys(), ...fromCall.keys()]))
      tags.set(type, { ...(fromTemplate.get(type) ?? {}), ...(fromCall.get(type) ?? {}) });
    return { kind: "tags", tags };
  }
}

// ---- judging one call ----

const readOnlyEc2 = /^Describe[A-Z]/;

class Judge {
  constructor(
    private readonly where: Where,
    private readonly known: Knowledge,
  ) {}

  judge(call: RecordedCall): Judgement {
    if (!call.signed)
      return { kind: "unknown", reason: "anonymous request: a bucket policy decides, not the operator's policy" };
    switch (call.service) {
      case "ec2":
        return this.ec2(call);
      case "iam":
        return this.iam(call);
      case "sts":
        return call.action === "GetCallerIdentity"
          ? { kind: "checks", checks: [] } // needs no permission: AWS answers it even under an explicit deny
          : { kind: "unknown", reason: `sts:${call.action} is not modelled` };
      case "s3":
        return this.s3(call);
      case "servicequotas":
        // The preflight's reads of the vCPU quotas (JSON protocol: the action is X-Amz-Target's operation).
        return ["GetServiceQuota", "GetAWSDefaultServiceQuota"].includes(call.action)
          ? { kind: "checks", checks: [{ action: `servicequotas:${call.action}`, resource: "*" }] }
          : { kind: "unknown", reason: `servicequotas:${call.action} is not modelled` };
      default:
        return { kind: "unknown", reason: `service ${call.service} is not modelled` };
    }
  }

  /** An existing resource by id, or unknown when the recording never made it (its tags are not known). */
  private existing(action: string, id: string | undefined, type?: string): Check | string {
    if (!id) return `${action}: no resource id in the call`;
    const resourceType = type ?? typeOfId(id);
    if (!resourceType) return `${action}: no resource type for id ${id}`;
    const tags = this.known.tags.get(id);
    if (!tags) return `${action}: ${id} was not created in the recording, so its tags are not known`;
    return uses(this.where, action, resourceType, id, tags);
  }

  private all(parts: readonly (Check | Check[] | string)[], deniable?: string): Judgement {
    const reasons = parts.filter((part): part is string => typeof part === "string");
    if (reasons.length > 0) return { kind: "unknown", reason: reasons.join("; ") };
    const checks = parts.flatMap((part) => (typeof part === "string" ? [] : Array.isArray(part) ? part : [part]));
    return deniable ? { kind: "checks", checks, deniable } : { kind: "checks", checks };
  }

  private ec2(call: RecordedCall): Judgement {
    const p = call.params;
    const action = `ec2:${call.action}`;
    const specs = tagSpecifications(p);
    const make = (type: string) => creates(this.where, action, type, specs.get(type));
    const use = (id: string | undefined, type?: string) => this.existing(action, id, type);
    const useAll = (prefix: string, type?: string) => indexed(p, prefix).map((id) => use(id, type));
    if (readOnlyEc2.test(call.action)) return { kind: "checks", checks: [{ action, resource: "*" }] };
    switch (call.action) {
      case "GetConsoleOutput":
        return this.all([use(p.InstanceId, "instance")]);
      case "GetInstanceUefiData":
        // hashicorp/aws's aws_ami data source asks it with the image id (terraform-provider-aws
        // issue #47508) and ignores any error, a denial included: the image is read all the same.
        return {
          kind: "checks",
          checks: [{ action, resource: ec2Arn(this.where, "instance", p.InstanceId ?? "") }],
          deniable: "the aws_ami data source asks it with the image id and ignores its error",
        };
      case "CreateVpc":
        return this.all([make("vpc")]);
      case "CreateSubnet":
        return this.all([make("subnet"), use(p.VpcId)]);
      case "CreateInternetGateway":
        return this.all([make("internet-gateway")]);
      case "CreateRouteTable":
        return this.all([make("route-table"), use(p.VpcId)]);
      case "CreateSecurityGroup":
        return p.VpcId
          ? this.all([make("security-group"), use(p.VpcId)])
          : { kind: "unknown", reason: `${action} in the default VPC is not modelled` };
      case "CreateVpcEndpoint":
        return this.all([
          make("vpc-endpoint"),
          use(p.VpcId),
          ...useAll("RouteTableId"),
          ...useAll("SubnetId"),
          ...useAll("SecurityGroupId"),
        ]);
      case "CreateNatGateway":
        return this.all([make("natgateway"), use(p.SubnetId), ...(p.AllocationId ? [use(p.AllocationId)] : [])]);
      case "AllocateAddress":
        return this.all([make("elastic-ip")]);
      case "ImportKeyPair":
      case "CreateKeyPair":
        return this.all([make("key-pair")]);
      case "CreateLaunchTemplate":
        return this.all([make("launch-template")]);
      case "CreateNetworkInterface":
        return this.all([make("network-interface"), use(p.SubnetId), ...useAll("SecurityGroupId")]);
      case "AuthorizeSecurityGroupIngress":
      case "AuthorizeSecurityGroupEgress":
        return this.all([use(p.GroupId), make("security-group-rule")]);
      case "RevokeSecurityGroupIngress":
      case "RevokeSecurityGroupEgress":
        return this.all([use(p.GroupId), ...useAll("SecurityGroupRuleId", "security-group-rule")]);
      case "ModifySecurityGroupRules":
        return this.all([
          use(p.GroupId),
          ...Object.entries(p)
            .filter(([key]) => /^SecurityGroupRule\.\d+\.SecurityGroupRuleId$/.test(key))
            .map(([, id]) => use(id, "security-group-rule")),
        ]);
      case "AttachInternetGateway":
      case "DetachInternetGateway":
        return this.all([use(p.InternetGatewayId), use(p.VpcId)]);
      case "DeleteInternetGateway":
        return this.all([use(p.InternetGatewayId)]);
      case "CreateRoute":
      case "DeleteRoute":
      case "ReplaceRoute":
      case "DeleteRouteTable":
        return this.all([use(p.RouteTableId)]);
      case "AssociateRouteTable":
        return this.all([use(p.RouteTableId), ...(p.SubnetId ? [use(p.SubnetId)] : [])]);
      case "DisassociateRouteTable": {
        const table = this.known.routeTableOfAssociation.get(p.AssociationId ?? "");
        return table
          ? this.all([use(table)])
          : { kind: "unknown", reason: `${action}: association ${p.AssociationId} was not made in the recording` };
      }
      case "ModifyVpcAttribute":
      case "DeleteVpc":
        return this.all([use(p.VpcId)]);
      case "ModifySubnetAttribute":
      case "DeleteSubnet":
        return this.all([use(p.SubnetId)]);
      case "DeleteSecurityGroup":
        return p.GroupId
          ? this.all([use(p.GroupId)])
          : { kind: "unknown", reason: `${action} by group name is not modelled` };
      case "DeleteVpcEndpoints":
        return this.all(useAll("VpcEndpointId"));
      case "ModifyVpcEndpoint":
        return this.all([use(p.VpcEndpointId)]);
      case "DeleteNatGateway":
        return this.all([use(p.NatGatewayId)]);
      case "ReleaseAddress":
        return this.all([use(p.AllocationId, "elastic-ip")]);
      case "TerminateInstances":
        return this.all(useAll("InstanceId", "instance"));
      case "ModifyInstanceAttribute":
        return this.all([use(p.InstanceId, "instance")]);
      case "DeleteFleets":
        return this.all(useAll("FleetId", "fleet"));
      case "ModifyFleet":
        return this.all([use(p.FleetId, "fleet")]);
      case "DeleteLaunchTemplate":
      case "ModifyLaunchTemplate":
      case "CreateLaunchTemplateVersion":
        return this.all([
          use(p.LaunchTemplateId ?? this.known.templateIdByName.get(p.LaunchTemplateName ?? ""), "launch-template"),
        ]);
      case "DeleteKeyPair": {
        const name = p.KeyName ?? this.known.keyNameById.get(p.KeyPairId ?? "");
        return this.all([use(name, "key-pair")]);
      }
      case "DeleteNetworkInterface":
      case "ModifyNetworkInterfaceAttribute":
        return this.all([use(p.NetworkInterfaceId, "network-interface")]);
      case "CreateTags":
        // Outside a create call: the tags requested on each existing resource, without ec2:CreateAction.
        return this.all(
          indexed(p, "ResourceId").map((id) => {
            const type = typeOfId(id);
            return type
              ? {
                  action,
                  resource: ec2Arn(this.where, type, id),
                  context: tagContext("aws:RequestTag", tagList(p, "Tag")),
                }
              : `${action}: no resource type for id ${id}`;
          }),
        );
      case "RunInstances":
        return this.launch(call);
      case "CreateFleet":
        return this.fleet(call);
      default:
        return { kind: "unknown", reason: `${action} is not modelled` };
    }
  }

  /** What a launch uses, from the call's parameters, else from its launch template's. */
  private launchOf(
    action: Launch["action"],
    callParams: Params,
    template: Template | undefined,
    tags: Map<string, Tags>,
    subnetsOverride: readonly string[],
    spot: boolean,
  ): Launch | string {
    const data = template?.data ?? {};
    const pick = (key: string) => callParams[key] ?? data[key];
    const groupsOf = (params: Params) => [
      ...indexed(params, "SecurityGroupId"),
      ...indexed(params, "NetworkInterface.1.SecurityGroupId"),
    ];
    if (indexed(callParams, "SecurityGroup").length > 0 || indexed(data, "SecurityGroup").length > 0)
      return `${action}: security groups by name are not modelled`;
    const image = pick("ImageId");
    if (!image) return `${action}: no image id in the call or its launch template`;
    const subnetIds =
      subnetsOverride.length > 0
        ? subnetsOverride
        : [pick("NetworkInterface.1.SubnetId") ?? pick("SubnetId")].filter((s): s is string => s !== undefined);
    if (subnetIds.length === 0) return `${action}: launching into the default subnet is not modelled`;
    const groupIds = groupsOf(callParams).length > 0 ? groupsOf(callParams) : groupsOf(data);
    const existing = (id: string): Existing | string => {
      const found = this.known.tags.get(id);
      return found ? { id, tags: found } : `${action}: ${id} was not created in the recording`;
    };
    const subnets = subnetIds.map(existing);
    const groups = groupIds.map(existing);
    const keyName = pick("KeyName");
    const keyPair = keyName ? existing(keyName) : undefined;
    const profileArn = pick("IamInstanceProfile.Arn");
    const profile = pick("IamInstanceProfile.Name") ?? profileArn?.replace(/^.*:instance-profile\/(.*\/)?/, "");
    const role = profile ? this.known.roleOfProfile.get(profile) : undefined;
    const problems = [...subnets, ...groups, ...(keyPair ? [keyPair] : [])].filter(
      (part): part is string => typeof part === "string",
    );
    if (profile && !role) problems.push(`${action}: instance profile ${profile} has no role in the recording`);
    if (problems.length > 0) return problems.join("; ");
    const templateTags = template ? this.known.tags.get(template.id) : undefined;
    return {
      action,
      tags: {
        instance: tags.get("instance"),
        volume: tags.get("volume"),
        "network-interface": tags.get("network-interface"),
        fleet: tags.get("fleet"),
        "spot-instances-request": tags.get("spot-instances-request"),
      },
      spot,
      subnets: subnets as Existing[],
      groups: groups as Existing[],
      template: template ? { id: template.id, tags: templateTags ?? {} } : undefined,
      keyPair: keyPair as Existing | undefined,
      image,
      role,
    };
  }

  private launch(call: RecordedCall): Judgement {
    const template = this.known.templateOf(call.params, "LaunchTemplate");
    if (template.kind === "unknown") return template;
    const tags = this.known.launchedTags(call);
    if (tags.kind === "unknown") return tags;
    const launch = this.launchOf(
      "ec2:RunInstances",
      call.params,
      template.kind === "found" ? template.template : undefined,
      tags.tags,
      [],
      (call.params["InstanceMarketOptions.MarketType"] ??
        (template.kind === "found" ? template.template.data["InstanceMarketOptions.MarketType"] : undefined)) ===
        "spot",
    );
    return typeof launch === "string"
      ? { kind: "unknown", reason: launch }
      : { kind: "checks", checks: launchChecks(this.where, launch) };
  }

  private fleet(call: RecordedCall): Judgement {
    const p = call.params;
    if (p["LaunchTemplateConfigs.2.LaunchTemplateSpecification.LaunchTemplateId"] !== undefined)
      return { kind: "unknown", reason: "ec2:CreateFleet with more than one launch template is not modelled" };
    if (p.Type !== "instant")
      return { kind: "unknown", reason: `ec2:CreateFleet of type ${p.Type ?? "maintain"} is not modelled` };
    const template = this.known.templateOf(p, "LaunchTemplateConfigs.1.LaunchTemplateSpecification");
    if (template.kind !== "found")
      return template.kind === "unknown" ? template : { kind: "unknown", reason: "ec2:CreateFleet without a template" };
    const tags = this.known.launchedTags(call);
    if (tags.kind === "unknown") return tags;
    const overrides = under(p, "LaunchTemplateConfigs.1");
    const subnets = [
      ...new Set(
        Object.entries(overrides)
          .filter(([key]) => /^Overrides\.\d+\.SubnetId$/.test(key))
          .map(([, id]) => id),
      ),
    ];
    // The fleet's own parameters are not RunInstances'; only its overrides' subnets replace the template's.
    const spot = p["TargetCapacitySpecification.DefaultTargetCapacityType"] === "spot";
    const launch = this.launchOf("ec2:CreateFleet", {}, template.template, tags.tags, subnets, spot);
    return typeof launch === "string"
      ? { kind: "unknown", reason: launch }
      : { kind: "checks", checks: launchChecks(this.where, launch) };
  }

  private iam(call: RecordedCall): Judgement {
    const p = call.params;
    const action = `iam:${call.action}`;
    const account = this.where.account;
    const role = (name: string) => `arn:aws:iam::${account}:role${this.known.rolePath.get(name) ?? "/"}${name}`;
    const profile = (name: string) =>
      `arn:aws:iam::${account}:instance-profile${this.known.profilePath.get(name) ?? "/"}${name}`;
    const requestTags = tagList(p, "Tags.member");
    const tagged = Object.keys(requestTags).length > 0 ? tagContext("aws:RequestTag", requestTags) : undefined;
    const onRole =
      /^(CreateRole|GetRole|DeleteRole|UpdateRole|UpdateAssumeRolePolicy|TagRole|UntagRole|ListRoleTags|PutRolePolicy|GetRolePolicy|DeleteRolePolicy|ListRolePolicies|ListAttachedRolePolicies|AttachRolePolicy|DetachRolePolicy|ListInstanceProfilesForRole)$/;
    const onProfile =
      /^(CreateInstanceProfile|GetInstanceProfile|DeleteInstanceProfile|TagInstanceProfile|UntagInstanceProfile|ListInstanceProfileTags|AddRoleToInstanceProfile|RemoveRoleFromInstanceProfile)$/;
    if (onRole.test(call.action) && p.RoleName)
      return {
        kind: "checks",
        checks: [{ action, resource: role(p.RoleName), ...(tagged ? { context: tagged } : {}) }],
      };
    if (onProfile.test(call.action) && p.InstanceProfileName)
      return {
        kind: "checks",
        checks: [{ action, resource: profile(p.InstanceProfileName), ...(tagged ? { context: tagged } : {}) }],
      };
    if (call.action === "GetUser") {
      // Without a user name: the caller's own user, named in the answer.
      const user = p.UserName
        ? `arn:aws:iam::${account}:user/${p.UserName}`
        : (elements(call.response, "Arn")[0]?.replace(/^arn:aws:iam::\d+:/, `arn:aws:iam::${account}:`) ??
          `arn:aws:iam::${account}:user/caller`);
      return {
        kind: "checks",
        checks: [{ action, resource: user }],
        // aws-sdk-go-base's account id lookup (skip_credentials_validation, as burst sets it for
        // emulators) ignores AccessDenied and asks sts:GetCallerIdentity, which needs no permission.
        deniable: "terraform's provider falls back to sts:GetCallerIdentity when iam:GetUser is denied",
      };
    }
    if (call.action === "CreateServiceLinkedRole") {
      const names: Record<string, string> = {
        "ec2fleet.amazonaws.com": "AWSServiceRoleForEC2Fleet",
        "spot.amazonaws.com": "AWSServiceRoleForEC2Spot",
      };
      const service = p.AWSServiceName ?? "";
      const name = names[service];
      return name
        ? {
            kind: "checks",
            checks: [
              {
                action,
                resource: `arn:aws:iam::${account}:role/aws-service-role/${service}/${name}`,
                context: { "iam:AWSServiceName": service },
              },
            ],
          }
        : { kind: "unknown", reason: `${action} for ${service} is not modelled` };
    }
    return { kind: "unknown", reason: `${action} is not modelled` };
  }

  private s3(call: RecordedCall): Judgement {
    const { bucket = "", key, subresource } = call.params;
    const bucketArn = `arn:aws:s3:::${bucket}`;
    const objectArn = `arn:aws:s3:::${bucket}/${key ?? ""}`;
    const onBucket = (action: string): Judgement => ({
      kind: "checks",
      checks: [{ action: `s3:${action}`, resource: bucketArn }],
    });
    const onObject = (action: string): Judgement =>
      key
        ? { kind: "checks", checks: [{ action: `s3:${action}`, resource: objectArn }] }
        : { kind: "unknown", reason: `s3 ${call.action} without a key` };
    const objectActions: Record<string, string> = {
      PutObject: "PutObject",
      CreateMultipartUpload: "PutObject",
      UploadPart: "PutObject",
      CompleteMultipartUpload: "PutObject",
      GetObject: "GetObject",
      HeadObject: "GetObject",
      DeleteObject: "DeleteObject",
      AbortMultipartUpload: "AbortMultipartUpload",
      ListParts: "ListMultipartUploadParts",
      GetObjectTagging: "GetObjectTagging",
      PutObjectTagging: "PutObjectTagging",
      GetObjectAcl: "GetObjectAcl",
      PutObjectAcl: "PutObjectAcl",
    };
    const bucketActions: Record<string, string> = {
      ListObjects: "ListBucket",
      ListObjectsV2: "ListBucket",
      HeadBucket: "ListBucket",
      ListMultipartUploads: "ListBucketMultipartUploads",
      GetBucketUploads: "ListBucketMultipartUploads",
      GetBucketVersions: "ListBucketVersions",
      CreateBucket: "CreateBucket",
      DeleteBucket: "DeleteBucket",
    };
    // Sub-resources: the IAM action for GET, PUT and DELETE of each.
    const subresources: Record<string, [get: string, put: string, del?: string]> = {
      tagging: ["GetBucketTagging", "PutBucketTagging", "PutBucketTagging"],
      policy: ["GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy"],
      acl: ["GetBucketAcl", "PutBucketAcl"],
      cors: ["GetBucketCORS", "PutBucketCORS", "PutBucketCORS"],
      website: ["GetBucketWebsite", "PutBucketWebsite", "DeleteBucketWebsite"],
      versioning: ["GetBucketVersioning", "PutBucketVersioning"],
      accelerate: ["GetAccelerateConfiguration", "PutAccelerateConfiguration"],
      requestPayment: ["GetBucketRequestPayment", "PutBucketRequestPayment"],
      logging: ["GetBucketLogging", "PutBucketLogging"],
      lifecycle: ["GetLifecycleConfiguration", "PutLifecycleConfiguration", "PutLifecycleConfiguration"],
      replication: ["GetReplicationConfiguration", "PutReplicationConfiguration", "PutReplicationConfiguration"],
      encryption: ["GetEncryptionConfiguration", "PutEncryptionConfiguration", "PutEncryptionConfiguration"],
      "object-lock": ["GetBucketObjectLockConfiguration", "PutBucketObjectLockConfiguration"],
      publicAccessBlock: ["GetBucketPublicAccessBlock", "PutBucketPublicAccessBlock", "PutBucketPublicAccessBlock"],
      ownershipControls: ["GetBucketOwnershipControls", "PutBucketOwnershipControls", "PutBucketOwnershipControls"],
      location: ["GetBucketLocation", ""],
      notification: ["GetBucketNotification", "PutBucketNotification"],
    };
    if (call.action === "ListBuckets")
      return { kind: "checks", checks: [{ action: "s3:ListAllMyBuckets", resource: "*" }] };
    if (!bucket) return { kind: "unknown", reason: `s3 ${call.action} without a bucket` };
    if (subresource) {
      const actions = subresources[subresource];
      if (!key && actions) {
        const verb = /^(Get|Put|Delete)Bucket/.exec(call.action)?.[1];
        const action = verb === "Get" ? actions[0] : verb === "Put" ? actions[1] : verb === "Delete" ? actions[2] : "";
        if (action) return onBucket(action);
      }
      return { kind: "unknown", reason: `s3 ${call.action} (?${subresource}) is not modelled` };
    }
    const objectAction = objectActions[call.action];
    if (objectAction) return onObject(objectAction);
    const bucketAction = bucketActions[call.action];
    if (bucketAction) return onBucket(bucketAction);
    // DeleteObjects names its keys in the body, CopyObject its source in a header: neither is recorded.
    return { kind: "unknown", reason: `s3 ${call.action} is not modelled` };
  }
}

/**
 * Judges each call of `calls` (the run's window) knowing `history` (every call the twin recorded,
 * to learn each resource's tags from the create calls and CreateTags calls, and ids from their
 * responses). A call of `calls` found in `history` is judged with what was known just before it;
 * any other with everything `history` tells.
 */
export function judgeCalls(
  history: readonly RecordedCall[],
  calls: readonly RecordedCall[],
  where: Where,
): { call: RecordedCall; judged: Judgement }[] {
  const known = new Knowledge();
  const judge = new Judge(where, known);
  const wanted = new Set(calls);
  const judged = new Map<RecordedCall, Judgement>();
  for (const call of history) {
    if (wanted.has(call)) judged.set(call, judge.judge(call));
    known.learn(call);
  }
  return calls.map((call) => ({ call, judged: judged.get(call) ?? judge.judge(call) }));
}
