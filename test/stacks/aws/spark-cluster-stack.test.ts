import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BurstError, ExitCode } from "../../../src/errors.ts";
import { workersShortMessage } from "../../../stacks/aws/capacity.ts";
import { addressNumber } from "../../../stacks/aws/master-address.ts";
import { awsExtraOutputNames } from "../../../stacks/aws/spark-cluster-stack.ts";
import { requiredRunTagKeys } from "../../../stacks/aws/tags.ts";
import { clusterOutputNames } from "../../../stacks/contract.ts";
import { renderSparkDefaults } from "../../../stacks/shared/spark-conf.ts";
import {
  type Block,
  blocks,
  clusterProps,
  type Json,
  only,
  params,
  publicKey,
  resources,
  type Synthesized,
  synthCluster,
  transitiveDependencies,
  userDataScript,
  vpc,
} from "./helpers.ts";

const config = synthCluster();
const address = (type: string) => `${type}.${Object.keys(config.resource[type] ?? {})[0]}`;
const dataAddress = (type: string) => `${type}.${Object.keys(config.data?.[type] ?? {})[0]}`;
const launchTemplate = (role: "master" | "worker") =>
  blocks(config, "aws_launch_template").find((lt) => String(lt.name).endsWith(`-${role}`)) as Json;

describe("SparkClusterStack: one master and N workers launched together", () => {
  it("launches the master on-demand from its own template and workers from one instant EC2 Fleet", () => {
    const master = only(config, "aws_instance") as Json;
    assert.equal(master.instance_type, "m5.xlarge");
    assert.equal(master.instance_market_options, undefined, "the master is never spot");
    const fleet = only(config, "aws_ec2_fleet") as Json;
    assert.equal(fleet.type, "instant");
    assert.equal(fleet.terminate_instances, true, "deleting the fleet terminates its workers");
    assert.equal(fleet.target_capacity_specification.total_target_capacity, 4);
  });

  it("lets no worker resource wait for the master instance, directly or through references", () => {
    const workerSide = ["aws_ec2_fleet", "aws_launch_template"].flatMap((type) =>
      Object.entries(config.resource[type] ?? {})
        .filter(
          ([name, block]) =>
            type === "aws_ec2_fleet" || String(block.name).endsWith("-worker") || name.includes("worker"),
        )
        .map(([name]) => `${type}.${name}`),
    );
    assert.equal(workerSide.length, 2, "fleet and worker launch template");
    for (const worker of workerSide) {
      const needs = [...transitiveDependencies(config, worker)];
      assert.deepEqual(
        needs.filter((dep) => dep.startsWith("aws_instance.")),
        [],
        `${worker} needs ${needs.join(", ")}`,
      );
    }
  });

  it("makes nothing but outputs depend on the master instance", () => {
    const master = address("aws_instance");
    for (const [type, name] of resources(config)) {
      assert.ok(!transitiveDependencies(config, `${type}.${name}`).has(master), `${type}.${name} waits for the master`);
    }
  });

  it("gives the master a private address chosen from its subnet and the run id, and workers that address", () => {
    const script = userDataScript(config, "worker", "10.42.0.99");
    assert.match(script, /^MASTER_HOST='10\.42\.0\.99'$/m);
    const [name, expression] =
      Object.entries(config.locals ?? {}).find(([local]) => local.startsWith("master_private_ip")) ?? [];
    const subnet = `data.${dataAddress("aws_subnet")}.cidr_block`;
    assert.equal(
      expression,
      `\${cidrhost(${subnet}, (4 + (${addressNumber(`${clusterProps().runId}#0`)} % (pow(2, (32 - tonumber(element(split("/", ${subnet}), 1)))) - 5))))}`,
    );
    assert.equal(config.output.sparkMasterUrl?.value, `spark://\${local.${name}}:7077`);
    const master = only(config, "aws_instance") as Json;
    assert.equal(master.private_ip, `\${local.${name}}`);
    assert.equal(master.associate_public_ip_address, true);
  });

  it("picks another address for the master after 'address in use', the same one for the same attempt", () => {
    const ipOf = (c: Json) =>
      Object.entries(c.locals ?? {}).find(([local]) => local.startsWith("master_private_ip"))?.[1];
    assert.equal(ipOf(synthCluster({ masterAddressAttempt: 0 })), ipOf(config));
    assert.notEqual(ipOf(synthCluster({ masterAddressAttempt: 1 })), ipOf(config));
  });

  it("scales workers without adding resources", () => {
    const count = (workers: number) => resources(synthCluster({ workers })).length;
    assert.equal(count(1000), count(1));
  });

  it("launches only a master when workers is 0", () => {
    const masterOnly = synthCluster({ workers: 0 });
    assert.equal(blocks(masterOnly, "aws_ec2_fleet").length, 0);
    assert.equal(blocks(masterOnly, "aws_instance").length, 1);
  });
});

describe("SparkClusterStack: spot workers and capacity fallback", () => {
  const fleet = only(config, "aws_ec2_fleet") as Json;

  it("asks for spot capacity with a price cap and the price-capacity-optimized strategy", () => {
    assert.deepEqual(fleet.target_capacity_specification, {
      default_target_capacity_type: "spot",
      total_target_capacity: 4,
      spot_target_capacity: 4,
    });
    assert.equal(fleet.spot_options.allocation_strategy, "price-capacity-optimized");
    assert.equal(fleet.spot_options.instance_interruption_behavior, "terminate");
    for (const override of fleet.launch_template_config[0].override) assert.equal(override.max_price, "0.2");
  });

  it("places every worker in the master's subnet and AZ: one override, one zone, one type", () => {
    const overrides = fleet.launch_template_config[0].override as Record<string, string>[];
    assert.deepEqual(
      overrides.map((o) => [o.subnet_id, o.instance_type]),
      [[vpc.subnetIds[0], "m5.2xlarge"]],
    );
    assert.equal(only(config, "aws_instance").subnet_id, vpc.subnetIds[0]);
    assert.equal(fleet.spot_options.single_availability_zone, true);
    assert.equal(fleet.spot_options.single_instance_type, true);
  });

  it("launches the workers all or nothing: min_target_capacity is the worker count, spot or on-demand", () => {
    assert.equal(fleet.spot_options.min_target_capacity, 4);
    const onDemand = only(synthCluster({ spot: false, workers: 7 }), "aws_ec2_fleet") as Json;
    assert.deepEqual(onDemand.on_demand_options, {
      allocation_strategy: "lowestPrice",
      min_target_capacity: 7,
      single_availability_zone: true,
      single_instance_type: true,
    });
  });

  it("fails the apply when the fleet comes back short, with the message the lifecycle falls back on", () => {
    assert.deepEqual(fleet.lifecycle.postcondition, [
      {
        condition: "${length(flatten(self.fleet_instance_set[*].instance_ids)) == 4}",
        error_message: workersShortMessage,
      },
    ]);
  });

  it("replaces the fleet whenever the capacity attempt changes: EC2 cannot modify an instant fleet", () => {
    assert.deepEqual(fleet.lifecycle.replace_triggered_by, ["terraform_data.capacity_attempt"]);
    const attemptOf = (c: Synthesized) => (c.resource.terraform_data?.capacity_attempt as Json).input.attempt;
    const keys = [
      synthCluster(),
      synthCluster({ subnetIndex: 1 }),
      synthCluster({ spot: false }),
      synthCluster({ masterAddressAttempt: 1 }),
    ].map(attemptOf);
    assert.equal(keys[0], "spot subnet#0 address#0");
    assert.equal(new Set(keys).size, keys.length, "every attempt writes a different key");
  });

  it("asks for on-demand workers, without price caps, when spot is off", () => {
    const onDemand = only(synthCluster({ spot: false }), "aws_ec2_fleet") as Json;
    assert.deepEqual(onDemand.target_capacity_specification, {
      default_target_capacity_type: "on-demand",
      total_target_capacity: 4,
      on_demand_target_capacity: 4,
    });
    assert.equal(onDemand.spot_options, undefined);
    assert.ok(onDemand.launch_template_config[0].override.every((o: Block) => o.max_price === undefined));
  });

  it("moves the whole cluster to another subnet's AZ on request (after a capacity error there)", () => {
    const moved = synthCluster({ subnetIndex: 2 });
    assert.equal(only(moved, "aws_instance").subnet_id, "subnet-0ccc");
    assert.equal((moved.data?.aws_subnet as Json)[dataAddress("aws_subnet").split(".")[1] ?? ""].id, "subnet-0ccc");
    const overrides = (only(moved, "aws_ec2_fleet") as Json).launch_template_config[0].override as Json[];
    assert.deepEqual(
      overrides.map((o) => o.subnet_id),
      ["subnet-0ccc"],
    );
  });

  it("outputs where the cluster ran: the master subnet's AZ and the subnet", () => {
    const moved = synthCluster({ subnetIndex: 1 });
    assert.equal(moved.output.subnetId?.value, "subnet-0bbb");
    assert.equal(moved.output.availabilityZone?.value, `\${data.${dataAddress("aws_subnet")}.availability_zone}`);
  });
});

describe("SparkClusterStack: node hardening", () => {
  for (const role of ["master", "worker"] as const) {
    it(`${role}: requires IMDSv2 tokens and keeps them on the host`, () => {
      assert.deepEqual(launchTemplate(role).metadata_options, {
        http_endpoint: "enabled",
        http_tokens: "required",
        http_put_response_hop_limit: 1,
        instance_metadata_tags: "disabled",
      });
    });

    it(`${role}: boots from an encrypted gp3 root volume of diskGb on the image's own root device`, () => {
      const [mapping] = launchTemplate(role).block_device_mappings;
      assert.match(mapping.device_name, /^\$\{data\.aws_ami\.[^.]+\.root_device_name\}$/);
      assert.deepEqual(mapping.ebs, {
        volume_size: 80,
        volume_type: "gp3",
        encrypted: "true",
        delete_on_termination: "true",
      });
    });

    it(`${role}: runs as the VPC's instance profile, terminates on shutdown, uses the run's key`, () => {
      const lt = launchTemplate(role);
      assert.deepEqual(lt.iam_instance_profile, { name: vpc.instanceProfileName });
      assert.equal(lt.instance_initiated_shutdown_behavior, "terminate");
      assert.equal(lt.key_name, `\${${address("aws_key_pair")}.key_name}`);
    });
  }

  it("boots the base AMI, or the baked one when set", () => {
    assert.deepEqual((Object.values(config.data?.aws_ami ?? {})[0] as Json).filter, [
      { name: "image-id", values: [params.baseAmi] },
    ]);
    const baked = synthCluster({ params: { ...params, bakedAmi: "ami-0baked" } });
    assert.deepEqual((Object.values(baked.data?.aws_ami ?? {})[0] as Json).filter[0].values, ["ami-0baked"]);
  });

  it("without an AMI id, boots the newest official Debian 12 image for the instance types' architecture", () => {
    const image = (c: Synthesized) => Object.values(c.data?.aws_ami ?? {})[0] as Json;
    const intel = synthCluster({ params: { ...params, baseAmi: undefined } });
    assert.equal(image(intel).most_recent, true);
    assert.deepEqual(image(intel).owners, ["136693071363"]);
    assert.deepEqual(image(intel).filter[0], { name: "name", values: ["debian-12-amd64-*"] });
    const graviton = synthCluster({
      params: { ...params, baseAmi: undefined },
      masterInstanceType: "m7g.xlarge",
      workerInstanceType: "c6gn.2xlarge",
    });
    assert.deepEqual(image(graviton).filter[0], { name: "name", values: ["debian-12-arm64-*"] });
  });

  it("checks the image's architecture when terraform plans, before anything is created", () => {
    const check = (Object.values(config.data?.aws_ami ?? {})[0] as Json).lifecycle.postcondition[0];
    assert.equal(check.condition, '${self.architecture == "x86_64"}');
    assert.match(check.error_message, /must be x86_64/);
  });
});

describe("SparkClusterStack: network access", () => {
  const sshRules = (c = config) =>
    blocks(c, "aws_vpc_security_group_ingress_rule").filter((rule) => rule.referenced_security_group_id === undefined);
  const sshRuleSources = (c = config) => sshRules(c).map((rule) => rule.cidr_ipv4 ?? rule.cidr_ipv6);
  /** The run's groups by role: "ssh" (from outside) and "members" (between this run's nodes). */
  const groupRef = (suffix: "ssh" | "members") => {
    const [name] = Object.entries(config.resource.aws_security_group ?? {}).find(([, group]) =>
      suffix === "members" ? String(group.name).endsWith("-members") : !String(group.name).endsWith("-members"),
    ) ?? [""];
    return `\${aws_security_group.${name}.id}`;
  };

  it("puts nodes in the VPC's subnets, the VPC's baseline group, the run's SSH group and the run's members group", () => {
    const groups = [vpc.securityGroupId, groupRef("ssh"), groupRef("members")];
    assert.deepEqual(launchTemplate("worker").vpc_security_group_ids, groups);
    const master = only(config, "aws_instance");
    assert.deepEqual(master.vpc_security_group_ids, groups);
    assert.equal(master.subnet_id, vpc.subnetIds[0]);
    for (const group of blocks(config, "aws_security_group")) assert.equal(group.vpc_id, vpc.vpcId);
  });

  it("gives each run its own members group, whose only rule admits its own members (all ports)", () => {
    const members = groupRef("members");
    const rules = blocks(config, "aws_vpc_security_group_ingress_rule").filter(
      (rule) => rule.security_group_id === members,
    );
    assert.deepEqual(
      rules.map((rule) => [rule.referenced_security_group_id, rule.ip_protocol, rule.cidr_ipv4, rule.cidr_ipv6]),
      [[members, "-1", undefined, undefined]],
    );
    assert.equal(blocks(config, "aws_vpc_security_group_egress_rule").length, 0, "egress is the VPC baseline's");
    assert.ok(
      blocks(config, "aws_vpc_security_group_ingress_rule").every(
        (rule) => rule.referenced_security_group_id === undefined || rule.referenced_security_group_id === members,
      ),
      "no rule admits another group (another run's nodes, or the VPC-wide baseline)",
    );
    const other = synthCluster({ runId: "20250101-0300-other-cd34" });
    const names = (c: Synthesized) =>
      blocks(c, "aws_security_group")
        .map((group) => String(group.name))
        .filter((name) => name.endsWith("-members"));
    assert.deepEqual(names(config), ["burst-20250101-0200-wordcount-ab12-members"]);
    assert.deepEqual(names(other), ["burst-20250101-0300-other-cd34-members"], "another run, another group");
  });

  it("opens SSH to the caller and the configured ranges, and nothing else", () => {
    assert.deepEqual(sshRuleSources(), ["198.51.100.7/32", "203.0.113.0/24"]);
    for (const rule of sshRules()) {
      assert.deepEqual([rule.ip_protocol, rule.from_port, rule.to_port], ["tcp", 22, 22]);
    }
  });

  it("has no ingress from 0.0.0.0/0 or ::/0 anywhere", () => {
    const text = JSON.stringify(config.resource);
    assert.doesNotMatch(text, /0\.0\.0\.0\/0|::\/0/);
  });

  it("refuses a caller or allowed range that is the whole internet", () => {
    assert.throws(() => synthCluster({ callerCidr: "0.0.0.0/0" }), BurstError);
    assert.throws(() => synthCluster({ callerCidr: "::/0" }), BurstError);
    assert.throws(() => synthCluster({ params: { ...params, sshAllowedCidrs: ["0.0.0.0/0"] } }), BurstError);
  });

  it("accepts IPv6 callers and bare addresses", () => {
    const v6 = synthCluster({ callerCidr: "2001:db8::7", params: { ...params, sshAllowedCidrs: [] } });
    assert.deepEqual(sshRuleSources(v6), ["2001:db8::7/128"]);
  });
});

describe("SparkClusterStack: identity, names and secrets", () => {
  it("names everything after the run id", () => {
    assert.deepEqual(
      blocks(config, "aws_security_group")
        .map((group) => group.name)
        .sort(),
      ["burst-20250101-0200-wordcount-ab12", "burst-20250101-0200-wordcount-ab12-members"],
    );
    assert.equal(only(config, "aws_key_pair").key_name, "burst-20250101-0200-wordcount-ab12");
    assert.deepEqual(
      blocks(config, "aws_launch_template")
        .map((lt) => lt.name)
        .sort(),
      ["burst-20250101-0200-wordcount-ab12-master", "burst-20250101-0200-wordcount-ab12-worker"],
    );
  });

  it("holds only the public key: no private key, no credentials", () => {
    assert.equal(only(config, "aws_key_pair").public_key, publicKey);
    const text = JSON.stringify(config);
    assert.doesNotMatch(text, /PRIVATE KEY|aws_secret_access_key|AWS_SECRET_ACCESS_KEY|AKIA[0-9A-Z]{16}/);
    assert.equal(blocks(config, "aws_iam_access_key").length, 0);
  });

  it("refuses anything but an OpenSSH public key", () => {
    const privateKey =
      "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----";
    assert.throws(() => synthCluster({ sshPublicKey: privateKey }), /not an OpenSSH public key/);
  });

  it("tags every taggable resource with the run, by provider default tags", async () => {
    const defaults = config.provider.aws[0]?.default_tags[0]?.tags ?? {};
    assert.deepEqual(
      requiredRunTagKeys.map((key) => [key, defaults[key]]),
      [
        ["burst:run-id", "20250101-0200-wordcount-ab12"],
        ["burst:name", "wordcount"],
        ["burst:owner", "alice"],
        ["burst:commit", "0123abc"],
        ["burst:expires-at", "2025-01-01T04:00:00.000Z"],
      ],
    );
    assert.equal(defaults.team, "data", "spec tags ride along");
    // terraform_data is terraform's own: it creates nothing in AWS, so there is nothing to tag.
    for (const type of Object.keys(config.resource).filter((t) => t !== "terraform_data")) {
      const { taggable, defaultTagged } = await tagSupport(type);
      if (taggable) assert.ok(defaultTagged, `${type} takes tags but not the provider's default tags`);
    }
  });

  it("tags what the launch templates launch: instances, volumes and interfaces, and spot workers' spot requests", () => {
    for (const role of ["master", "worker"] as const) {
      const specs = launchTemplate(role).tag_specifications as {
        resource_type: string;
        tags: Record<string, string>;
      }[];
      assert.deepEqual(
        specs.map((s) => s.resource_type),
        // The operator policy lets a spot request be created only with the run tag (docs/iam-policy.json).
        role === "worker"
          ? ["instance", "volume", "network-interface", "spot-instances-request"]
          : ["instance", "volume", "network-interface"],
      );
      for (const spec of specs) {
        for (const key of requiredRunTagKeys) assert.ok(spec.tags[key], `${role} ${spec.resource_type} lacks ${key}`);
        assert.equal(spec.tags["burst:role"], role);
      }
    }
  });

  it("tags no spot request when the workers are on-demand", () => {
    const worker = Object.values(synthCluster({ spot: false }).resource.aws_launch_template ?? {}).find((t) =>
      String(t.name).endsWith("-worker"),
    );
    const specs = (worker?.tag_specifications ?? []) as { resource_type: string }[];
    assert.deepEqual(
      specs.map((s) => s.resource_type),
      ["instance", "volume", "network-interface"],
    );
  });

  it("records 'unknown' when the commit is not known before launch", () => {
    const noCommit = synthCluster({ commit: undefined });
    assert.equal(noCommit.provider.aws[0]?.default_tags[0]?.tags["burst:commit"], "unknown");
  });
});

describe("SparkClusterStack: bootstrap and outputs", () => {
  it("starts the TTL guard first thing on every node", () => {
    for (const role of ["master", "worker"] as const) {
      const script = userDataScript(config, role);
      assert.match(script, /^TTL_MINUTES='120'$/m);
      assert.match(script, /systemd-run --quiet --unit=burst-ttl-boot --on-active="\$\{TTL_MINUTES\}min"/);
      // Not shutdown -h +N, whose /run/nologin locks the SSH user out for the TTL's last five minutes.
      assert.doesNotMatch(script, /^\s*shutdown -h/m);
      const boot = script.slice(script.indexOf("run_node_role() {"));
      assert.ok(
        boot.indexOf("role_step ttl-guard") < boot.indexOf("install_node"),
        "the TTL guard, then the install steps",
      );
    }
  });

  it("commits s3a outputs with the magic committer and signs s3a requests for the run's region", () => {
    for (const role of ["master", "worker"] as const) {
      const script = userDataScript(config, role);
      assert.match(script, /^spark\.hadoop\.fs\.s3a\.endpoint\.region eu-west-1$/m);
      assert.match(script, /^spark\.hadoop\.fs\.s3a\.committer\.name magic$/m);
      assert.match(
        script,
        /^spark\.sql\.sources\.commitProtocolClass org\.apache\.spark\.internal\.io\.cloud\.PathOutputCommitProtocol$/m,
      );
      // The binding jar is one of the node's pinned downloads; Spark 3.5.3 has no
      // spark-hadoop-cloud release, so the nearest of its line (3.5.1) is used.
      assert.match(
        script,
        /^[0-9a-f]{128} \S+\/org\/apache\/spark\/spark-hadoop-cloud_2\.12\/3\.5\.1\/spark-hadoop-cloud_2\.12-3\.5\.1\.jar'?$/m,
      );
    }
  });

  it("points s3a and the artifacts downloads at aws/s3Endpoint, by path, when it is set", () => {
    const endpoint = "http://10.150.0.1:4566";
    const custom = synthCluster({ params: { ...params, s3Endpoint: endpoint } });
    for (const role of ["master", "worker"] as const) {
      const script = userDataScript(custom, role);
      assert.match(script, /^spark\.hadoop\.fs\.s3a\.endpoint http:\/\/10\.150\.0\.1:4566$/m);
      assert.match(script, /^spark\.hadoop\.fs\.s3a\.path\.style\.access true$/m);
      assert.match(script, /^spark\.hadoop\.fs\.s3a\.connection\.ssl\.enabled false$/m);
      assert.match(
        script,
        /^[0-9a-f]{64} node http:\/\/10\.150\.0\.1:4566\/burst-main-artifacts-0example\/pypi\/pyspark-3\.5\.3\.tar\.gz$/m,
      );
      // Without it: AWS's regional endpoint, virtual-hosted, and no endpoint line.
      const regional = userDataScript(config, role);
      assert.doesNotMatch(regional, /^spark\.hadoop\.fs\.s3a\.endpoint /m);
      assert.match(
        regional,
        /^[0-9a-f]{64} node https:\/\/burst-main-artifacts-0example\.s3\.eu-west-1\.amazonaws\.com\/pypi\/pyspark-3\.5\.3\.tar\.gz$/m,
      );
    }
  });

  it("outputs the master's public address for SSH, or its private one with aws/sshAddress: private", () => {
    const master = `aws_instance.${Object.keys((config.resource as Record<string, object>).aws_instance ?? {})[0]}`;
    assert.equal(config.output.masterHost?.value, `\${${master}.public_ip}`);
    const inside = synthCluster({ params: { ...params, sshAddress: "private" } });
    const [name] = Object.entries(inside.locals ?? {}).find(([local]) => local.startsWith("master_private_ip")) ?? [];
    assert.equal(inside.output.masterHost?.value, `\${local.${name}}`);
  });

  it("writes the shared spark-defaults rendering, with the params' extra conf", () => {
    const expected = renderSparkDefaults({
      s3: { pathStyle: false, region: "eu-west-1" },
      eventLogDir: "/opt/burst/run/eventlog",
      extra: { "spark.sql.shuffle.partitions": "64" },
    });
    for (const role of ["master", "worker"] as const) {
      assert.ok(userDataScript(config, role).includes(`SPARK_DEFAULTS='${expected.replaceAll("'", `'\\''`)}'`));
    }
  });

  it("runs the node role as the master or a worker, installing Spark only where the image lacks it", () => {
    assert.match(userDataScript(config, "master"), /^NODE_ROLE='master'$/m);
    assert.match(userDataScript(config, "worker"), /^NODE_ROLE='worker'$/m);
    assert.match(userDataScript(config, "worker"), /burst-spark-\$name\.service/);
    assert.match(userDataScript(config, "worker"), /\/pypi\/pyspark-3\.5\.3\.tar\.gz$/m);
    // A baked AMI has Spark in SPARK_HOME: the role's install steps are skipped at boot.
    assert.match(
      userDataScript(config, "worker"),
      /if \[ ! -x "\$SPARK_HOME\/bin\/spark-class" \] \|\| \[ ! -x "\$PYSPARK_PYTHON" \]; then\n {4}role_step install-packages/,
    );
  });

  it("has nodes fetch pyspark, the wheels of their architecture and the s3a jars from the VPC's artifacts bucket, each with its registry's digest", () => {
    const script = userDataScript(config, "worker");
    const bucket = `https://${vpc.artifactsBucket}.s3.eu-west-1.amazonaws.com`;
    const python = /^PYTHON_FILES='([^']*)'$/m.exec(script)?.[1]?.split("\n") ?? [];
    const files = python.map((line) => line.split(" ")[2]?.replace(`${bucket}/pypi/`, ""));
    assert.equal(files[0], "wheel-0.45.1-py3-none-any.whl", "the build tool first");
    assert.ok(files.includes("pyspark-3.5.3.tar.gz"), "pyspark at the cluster's Spark version");
    assert.ok(!files.some((file) => /^pyspark-3\.5\.[0-24-9]/.test(file ?? "")), "and no other version");
    for (const name of ["numpy", "pandas", "pyarrow", "py4j"]) {
      assert.ok(
        files.some((file) => file?.startsWith(`${name}-`)),
        `${name} is installed`,
      );
    }
    assert.ok(
      files.filter((file) => /manylinux/.test(file ?? "")).every((file) => /x86_64/.test(file ?? "")),
      "m5 nodes get x86_64 wheels only",
    );
    for (const line of python) assert.match(line, /^[0-9a-f]{64} (build|node) https:\/\//);
    const graviton = userDataScript(
      synthCluster({ masterInstanceType: "m7g.xlarge", workerInstanceType: "m7g.xlarge" }),
      "worker",
    );
    assert.match(graviton, /numpy-1\.26\.4-cp311-cp311-manylinux_2_17_aarch64/);
    assert.doesNotMatch(graviton, /manylinux_2_17_x86_64/);
    const jars = /^SPARK_JARS='([^']*)'$/m.exec(script)?.[1]?.split("\n") ?? [];
    assert.deepEqual(
      jars.map((line) => line.split(" ")[1]),
      [
        `${bucket}/maven2/org/apache/hadoop/hadoop-aws/3.3.4/hadoop-aws-3.3.4.jar`,
        `${bucket}/maven2/com/amazonaws/aws-java-sdk-bundle/1.12.262/aws-java-sdk-bundle-1.12.262.jar`,
        `${bucket}/maven2/org/apache/spark/spark-hadoop-cloud_2.12/3.5.1/spark-hadoop-cloud_2.12-3.5.1.jar`,
      ],
    );
    for (const line of jars) assert.match(line, /^[0-9a-f]{128} /);
  });

  it("refuses (bad input) a bucket download without a bucket", () => {
    const { artifactsBucket: _, ...handMade } = vpc;
    assert.throws(
      () => synthCluster({ vpc: handMade }),
      (error: BurstError) => error.exitCode === ExitCode.badInput && /npm run vpc -- stage/.test(error.hint ?? ""),
    );
  });

  it("downloads from PyPI and Maven Central only when aws/downloads says mirror", () => {
    const mirror = synthCluster({ params: { ...params, downloads: "mirror" } });
    const script = userDataScript(mirror, "worker");
    assert.match(
      script,
      /^[0-9a-f]{64} node https:\/\/files\.pythonhosted\.org\/packages\/.*\/pyspark-3\.5\.3\.tar\.gz$/m,
    );
    assert.ok(
      script.includes(" https://repo1.maven.org/maven2/org/apache/hadoop/hadoop-aws/3.3.4/hadoop-aws-3.3.4.jar"),
    );
  });

  it("defines every contract output, plus the master's private IP and instance ids", () => {
    assert.deepEqual(Object.keys(config.output).sort(), [...clusterOutputNames, ...awsExtraOutputNames].sort());
    const value = (name: string) => config.output[name]?.value;
    assert.match(String(value("masterHost")), /^\$\{aws_instance\.[^.]+\.public_ip\}$/);
    assert.equal(value("sshPort"), 22);
    assert.equal(value("sshUser"), "admin");
    assert.equal(value("hostKey"), "");
    assert.equal(value("uiUrl"), "http://localhost:8080");
    assert.equal(value("workDir"), "/opt/burst/run");
    assert.equal(value("sparkHome"), "/opt/spark");
    assert.match(
      String(value("nodeIds")),
      /^\$\{concat\(\[aws_instance\.[^.]+\.id\], flatten\(aws_ec2_fleet\.[^.]+\.fleet_instance_set\[\*\]\.instance_ids\)\)\}$/,
    );
    assert.equal(value("runId"), clusterProps().runId);
  });

  it("refuses shapes EC2 would reject later", () => {
    assert.throws(() => synthCluster({ diskGb: 4 }), /diskGb/);
    assert.throws(() => synthCluster({ ttlMinutes: 0 }), /ttlMinutes/);
    assert.throws(() => synthCluster({ workers: -1 }), /workers/);
    assert.throws(() => synthCluster({ vpc: { ...vpc, subnetIds: [] } }), /no subnets/);
    assert.throws(
      () => synthCluster({ masterInstanceType: "m7g.xlarge", workerInstanceType: "m5.xlarge" }),
      (error: Error & { exitCode?: number }) => /need one architecture/.test(error.message) && error.exitCode === 2,
    );
  });
});

/** Whether a resource type takes tags, and whether the provider's default_tags reach it (tags_all). */
async function tagSupport(type: string): Promise<{ taggable: boolean; defaultTagged: boolean }> {
  const module = (await import(
    `@cdktf/provider-aws/lib/${type.replace(/^aws_/, "").replaceAll("_", "-")}/index.js`
  )) as Record<string, unknown>;
  const resourceClass = Object.values(module).find(
    (value): value is { prototype: object; tfResourceType: string } =>
      typeof value === "function" && (value as { tfResourceType?: string }).tfResourceType === type,
  );
  assert.ok(resourceClass, `no provider class for ${type}`);
  const has = (property: string) => Object.getOwnPropertyDescriptor(resourceClass.prototype, property) !== undefined;
  return { taggable: has("tagsInput"), defaultTagged: has("tagsAll") };
}

describe("SparkClusterStack: state", () => {
  it("keeps its state beside the stack, so concurrent runs never share one", () => {
    assert.deepEqual(config.terraform.backend, { local: { path: "terraform.tfstate" } });
  });
});
