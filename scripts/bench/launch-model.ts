// A MODEL of AWS launch time, not a measurement: the longest dependency chain of the synthesized
// cluster stack (depends_on plus every reference in its expressions), each resource weighted by
// an assumed API time, plus the assumed EC2 and bootstrap times after the chain's compute nodes.
// Nothing here calls AWS.

import type { TerraformConfig } from "../../stacks/aws/bench.ts";

/** Seconds, as a low-high range. */
export interface Range {
  readonly low: number;
  readonly high: number;
}

export interface Assumption {
  readonly what: string;
  readonly seconds: Range;
  readonly basis: string;
}

/** Time terraform spends creating each resource type (its API calls and waits). */
export const resourceTimes: Readonly<Record<string, Assumption>> = {
  data_aws_ami: {
    what: "AMI lookup (data source)",
    seconds: { low: 1, high: 2 },
    basis: "one DescribeImages call",
  },
  aws_key_pair: { what: "key pair", seconds: { low: 1, high: 2 }, basis: "one ImportKeyPair call" },
  aws_security_group: {
    what: "security group",
    seconds: { low: 2, high: 5 },
    basis: "CreateSecurityGroup, then the provider revokes the default egress rule and reads it back",
  },
  aws_vpc_security_group_ingress_rule: {
    what: "ingress rule",
    seconds: { low: 1, high: 2 },
    basis: "one AuthorizeSecurityGroupIngress call",
  },
  aws_network_interface: {
    what: "master network interface (fixed private IP)",
    seconds: { low: 1, high: 3 },
    basis: "CreateNetworkInterface; the provider waits for it to be available",
  },
  aws_eip: { what: "Elastic IP", seconds: { low: 1, high: 3 }, basis: "AllocateAddress + AssociateAddress" },
  aws_launch_template: {
    what: "launch template",
    seconds: { low: 1, high: 2 },
    basis: "one CreateLaunchTemplate call",
  },
  aws_instance: {
    what: "master instance (terraform waits for `running`)",
    seconds: { low: 7, high: 25 },
    basis:
      "the RunInstances call (about 1.5 s) and pending→running: 4.9 s on a c5.xlarge in Colin Percival's " +
      "ec2-boot-bench (daemonology.net, 2021), 16.4-16.6 s on t3, m6i, m7i, c7i and r7i in brevdev's " +
      "ec2-coldboot-research (2025); plus the provider's state polling",
  },
  aws_ec2_fleet: {
    what: "worker fleet (CreateFleet type instant)",
    seconds: { low: 3, high: 10 },
    basis:
      "an instant fleet is one synchronous CreateFleet call that returns the launched instance ids while they " +
      "are still pending (EC2 Fleet docs: 'instant' type); the provider then reads the fleet once",
  },
};

/** After terraform has created a compute resource, until its Spark daemon is up. */
export const afterCreate = {
  pendingToRunning: {
    what: "fleet workers: pending→running (terraform does not wait for it)",
    seconds: { low: 5, high: 20 },
    basis: "the same measurements as for aws_instance above (4.9 s; 16.4-16.6 s)",
  },
  osBoot: {
    what: "OS boot until cloud-init runs the user data",
    seconds: { low: 5, high: 25 },
    basis:
      "running → SSH port open: 3.2 s in brevdev's ec2-coldboot-research (2025, cloud-init kept), about 23 s " +
      "(17 s to the port answering, 5.6 s more to sshd) in Percival's sample run (2021); the user data runs in " +
      "cloud-init's last stage, about when sshd starts",
  },
  bootstrapBaseAmi: {
    what:
      "the install steps on the base image: apt-get Java 17, then pyspark (~300 MB sdist), its wheels and the s3a " +
      "jars from the artifacts bucket, each checked, pip-installed into the venv",
    seconds: { low: 50, high: 150 },
    basis:
      "install-spark as measured on the AWS twin (bakedImage section below: a bucket on the same host, Java " +
      "pre-installed); a real node adds apt-get of a JRE (~1 min on a fresh image) and the download through the " +
      "VPC's S3 endpoint; a baked image (npm run vpc -- image) skips this",
  },
  startDaemons: {
    what: "the run's secret over SSH, start the Spark daemon; the worker registers with the master",
    seconds: { low: 5, high: 15 },
    basis:
      "within the baked image's wait-ready on the AWS twin (bakedImage section below), which is this step and " +
      "the host key's read; a JVM start-up of a few seconds on an idle machine",
  },
} satisfies Record<string, Assumption>;

export interface LaunchModel {
  readonly workers: number;
  readonly resources: number;
  /** Nodes (resources, data sources, locals) and edges of the dependency graph. */
  readonly nodes: number;
  readonly edges: number;
  /** The longest chain, resource by resource (by the high estimate). */
  readonly criticalPath: readonly string[];
  /** terraform apply: the critical path's API time. */
  readonly apply: Range;
  /** apply + boot until every node runs Spark (base AMI). */
  readonly ready: Range;
  /** The same with a baked AMI (no installation at boot). */
  readonly readyBaked: Range;
  /** Counterfactual: one aws_instance per worker under terraform's default -parallelism=10. */
  readonly perInstanceApply: Range;
}

interface Graph {
  readonly dependencies: ReadonlyMap<string, ReadonlySet<string>>;
  readonly typeOf: ReadonlyMap<string, string>;
}

/** The dependency graph terraform would build: an edge for each depends_on and each reference. */
export function dependencyGraph(config: TerraformConfig): Graph {
  const blocks = new Map<string, unknown>();
  const typeOf = new Map<string, string>();
  for (const [type, byName] of Object.entries(config.resource)) {
    for (const [name, body] of Object.entries(byName)) {
      blocks.set(`${type}.${name}`, body);
      typeOf.set(`${type}.${name}`, type);
    }
  }
  for (const [type, byName] of Object.entries(config.data ?? {})) {
    for (const [name, body] of Object.entries(byName)) {
      blocks.set(`data.${type}.${name}`, body);
      typeOf.set(`data.${type}.${name}`, `data_${type}`);
    }
  }
  for (const [name, body] of Object.entries(config.locals ?? {})) {
    blocks.set(`local.${name}`, body);
    typeOf.set(`local.${name}`, "local");
  }
  const dependencies = new Map<string, Set<string>>();
  for (const [id, body] of blocks) {
    const found = new Set<string>();
    const visit = (value: unknown, key?: string) => {
      if (key === "//") return; // CDKTF metadata
      if (typeof value === "string") {
        if (key === "depends_on" || /^(data\.)?[a-z0-9_]+\.[A-Za-z0-9_-]+$/.test(value)) {
          if (blocks.has(value)) found.add(value);
        }
        for (const reference of referencesIn(value)) if (blocks.has(reference)) found.add(reference);
      } else if (Array.isArray(value)) {
        for (const item of value) visit(item, key);
      } else if (value && typeof value === "object") {
        for (const [child, inner] of Object.entries(value)) visit(inner, child);
      }
    };
    visit(body);
    found.delete(id);
    dependencies.set(id, found);
  }
  return { dependencies, typeOf };
}

/** Addresses named inside `${...}` interpolations (not `$${...}`, which is literal text). */
function referencesIn(text: string): string[] {
  const references: string[] = [];
  for (const match of text.matchAll(/(?<!\$)\$\{([^}]*)\}/g)) {
    const expression = match[1] ?? "";
    for (const token of expression.matchAll(/\b(data\.[a-z0-9_]+\.[A-Za-z0-9_-]+|[a-z][a-z0-9_]*\.[A-Za-z0-9_-]+)/g)) {
      if (token[1]) references.push(token[1]);
    }
  }
  return references;
}

/** Model the launch of the stack synthesized for `workers` workers. */
export function modelLaunch(workers: number, config: TerraformConfig): LaunchModel {
  const graph = dependencyGraph(config);
  const duration = (id: string): Range => {
    const type = graph.typeOf.get(id) ?? "";
    if (type === "local") return { low: 0, high: 0 };
    return resourceTimes[type]?.seconds ?? { low: 1, high: 3 };
  };
  // Earliest finish of each node: its own time after the latest of its dependencies.
  const finish = new Map<string, { low: number; high: number; via?: string }>();
  const visiting = new Set<string>();
  const finishOf = (id: string): { low: number; high: number; via?: string } => {
    const known = finish.get(id);
    if (known) return known;
    if (visiting.has(id)) throw new Error(`dependency cycle at ${id}`);
    visiting.add(id);
    let low = 0;
    let high = 0;
    let via: string | undefined;
    for (const dependency of graph.dependencies.get(id) ?? []) {
      const before = finishOf(dependency);
      low = Math.max(low, before.low);
      if (before.high >= high) {
        high = before.high;
        via = dependency;
      }
    }
    const own = duration(id);
    const result = { low: low + own.low, high: high + own.high, via };
    visiting.delete(id);
    finish.set(id, result);
    return result;
  };
  const ids = [...graph.dependencies.keys()];
  for (const id of ids) finishOf(id);

  const resourceIds = ids.filter((id) => !id.startsWith("local."));
  const last = resourceIds.reduce((a, b) => ((finish.get(a)?.high ?? 0) >= (finish.get(b)?.high ?? 0) ? a : b));
  const criticalPath: string[] = [];
  for (let at: string | undefined = last; at; at = finish.get(at)?.via) {
    if (!at.startsWith("local.")) criticalPath.unshift(at);
  }
  const apply = {
    low: Math.max(...resourceIds.map((id) => finish.get(id)?.low ?? 0)),
    high: finish.get(last)?.high ?? 0,
  };

  const add = (...ranges: Range[]) => ({
    low: ranges.reduce((sum, range) => sum + range.low, 0),
    high: ranges.reduce((sum, range) => sum + range.high, 0),
  });
  const max = (a: Range, b: Range) => ({ low: Math.max(a.low, b.low), high: Math.max(a.high, b.high) });
  const boot = (baked: boolean) =>
    add(
      afterCreate.osBoot.seconds,
      baked ? { low: 0, high: 0 } : afterCreate.bootstrapBaseAmi.seconds,
      afterCreate.startDaemons.seconds,
    );
  const readyOf = (baked: boolean): Range => {
    let ready: Range = apply;
    for (const id of resourceIds) {
      const type = graph.typeOf.get(id);
      const created = finish.get(id) ?? { low: 0, high: 0 };
      if (type === "aws_instance") ready = max(ready, add(created, boot(baked)));
      if (type === "aws_ec2_fleet") ready = max(ready, add(created, afterCreate.pendingToRunning.seconds, boot(baked)));
    }
    return ready;
  };

  // Without the fleet: N+1 aws_instance resources after the same launch templates, 10 at a time.
  const instance = resourceTimes.aws_instance?.seconds ?? { low: 30, high: 60 };
  const beforeInstances = finishOf(ids.find((id) => graph.typeOf.get(id) === "aws_instance") ?? last);
  const waves = Math.ceil((workers + 1) / 10);
  const perInstanceApply = {
    low: beforeInstances.low - instance.low + waves * instance.low,
    high: beforeInstances.high - instance.high + waves * instance.high,
  };

  return {
    workers,
    resources: resourceIds.filter((id) => !id.startsWith("data.")).length,
    nodes: ids.length,
    edges: [...graph.dependencies.values()].reduce((sum, set) => sum + set.size, 0),
    criticalPath,
    apply,
    ready: readyOf(false),
    readyBaked: readyOf(true),
    perInstanceApply,
  };
}
