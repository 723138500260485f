import assert from "node:assert/strict";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { BurstError, badInput, ExitCode } from "../../../src/errors.ts";
import { estimateCost } from "../../../src/targets/aws/cost-estimate.ts";
import type { PreflightInput } from "../../../src/targets/aws/preflight.ts";
import { type AwsTargetOptions, createAwsTarget } from "../../../src/targets/aws/target.ts";
import type { PreparedCluster, PrepareMode } from "../../../src/targets/contract.ts";
import { workersShortMessage } from "../../../stacks/aws/capacity.ts";
import { addressNumber, masterAddressIn, masterAddressSeed } from "../../../stacks/aws/master-address.ts";
import type { ClusterOutputs } from "../../../stacks/contract.ts";
import { type Synthesized, userDataScript } from "../../stacks/aws/helpers.ts";
import { consulVpc, params, spec, type TestRun, testRun } from "./fixtures.ts";

// biome-ignore lint/suspicious/noExplicitAny: assertions read the synthesized JSON by path.
type Json = any;

/** A subnet where `held` addresses are taken; every address asked about is recorded. */
function subnetHolding(held: readonly string[] = [], asked: string[] = []): AwsTargetOptions["addressLookup"] {
  return () => ({
    lookup: {
      subnetCidr: async () => "10.42.0.0/20",
      held: async (_subnetId, address) => {
        asked.push(address);
        return held.includes(address);
      },
    },
    close: () => {},
  });
}

/** No environment, and a detector that fails the test if a dry run tries to reach the network. */
const offline: AwsTargetOptions = {
  env: {},
  detectCallerCidr: () => assert.fail("the caller's address must not be detected here"),
  addressLookup: subnetHolding(),
  // Every subnet fits and nothing is said (the preflight's own tests below and in preflight.test.ts).
  preflight: async (input) => ({ lines: [], subnetIds: input.subnetIds }),
};

/** The master's address seed in a synthesized stack (the number terraform's expression hashes it to). */
function masterAddressLocal(config: Json): string {
  return String(Object.entries(config.locals ?? {}).find(([name]) => name.startsWith("master_private_ip"))?.[1] ?? "");
}

async function prepare(run: TestRun, mode: PrepareMode = "plan", options: AwsTargetOptions = offline) {
  return createAwsTarget(options).prepare(run.context, mode);
}

function synthesized(prepared: PreparedCluster, run: TestRun): { config: Json; text: string; stackDir: string } {
  const { stackDir, resourceCount } = prepared.synth(join(run.context.runDir, "stack"));
  const text = readFileSync(join(stackDir, "cdk.tf.json"), "utf8");
  const config = JSON.parse(text) as Json;
  const counted = Object.values(config.resource as Record<string, object>).reduce(
    (n, byName) => n + Object.keys(byName).length,
    0,
  );
  assert.equal(resourceCount, counted);
  return { config, text, stackDir };
}

const only = (config: Json, type: string): Json => {
  const found = Object.values(config.resource[type] ?? {});
  assert.equal(found.length, 1, type);
  return found[0];
};

async function rejection(action: () => Promise<unknown>): Promise<BurstError> {
  try {
    await action();
  } catch (error) {
    assert.ok(error instanceof BurstError, `expected a BurstError, got ${String(error)}`);
    return error;
  }
  return assert.fail("expected a rejection");
}

const outputs: ClusterOutputs = {
  masterHost: "198.51.100.20",
  sshPort: 22,
  sshUser: "admin",
  hostKey: "",
  sparkMasterUrl: "spark://10.42.0.10:7077",
  uiUrl: "http://localhost:8080",
  workDir: "/opt/burst/run",
  sparkHome: "/opt/spark",
  nodeIds: ["i-0master000000000", "i-0worker000000001"],
};

describe("aws target, dry run (no AWS credentials, no network)", () => {
  let run: TestRun;
  let prepared: PreparedCluster;
  before(async () => {
    run = await testRun();
    prepared = await prepare(run);
  });
  after(() => run.remove());

  it("plans the nodes, their types and market, the region and the VPC's subnets", () => {
    const plan = prepared.view.plan.join("\n");
    assert.match(
      plan,
      /target aws in eu-west-1: 1 master m5\.xlarge \(on-demand\) \+ 4 workers m5\.2xlarge \(spot, max \$0\.20\/h, on-demand if spot is short\)/,
    );
    assert.ok(plan.includes(`VPC ${consulVpc.vpcId} ("main"), subnets ${consulVpc.subnetIds.join(", ")}`));
    assert.match(plan, /all nodes in subnet-0c0nsu1aaaaaaaaa's AZ \(the next subnet's if EC2 is short there\)/);
    assert.match(plan, /image ami-0base000000000000 \(Java 17 \+ Spark 3\.5\.3 installed at boot\)/);
    assert.ok(
      plan.includes(
        `pyspark 3.5.3, numpy/pandas/pyarrow and the s3a jars from s3://${consulVpc.artifactsBucket}/ (npm run vpc -- stage), each checked against the digest PyPI or Maven publishes`,
      ),
    );
    assert.match(plan, /workers offer Spark all their cores and memory \(Spark sizes them\)/);
    assert.match(plan, /host key: read from the master's console output/);
  });

  it("estimates the cost per hour and in total, up to the TTL when the job has no timeout", () => {
    const expected = estimateCost({
      region: "eu-west-1",
      masterInstanceType: "m5.xlarge",
      workerInstanceType: "m5.2xlarge",
      workers: 4,
      spot: true,
      expectedMinutes: 120,
      diskGb: 50,
    });
    assert.equal(prepared.costUsd, expected.totalUsd);
    assert.ok(expected.totalUsd > 0);
    const costLine = prepared.view.plan.find((line) => line.includes("cost: about")) ?? "";
    assert.equal(
      costLine.trim(),
      `cost: about $${expected.perHourUsd.toFixed(2)}/h; $${expected.totalUsd.toFixed(2)} for 120 min (upper bound: ttlMinutes)`,
    );
  });

  it("labels the caller's address as a TEST-NET placeholder that launch replaces", () => {
    assert.match(
      prepared.view.plan.join("\n"),
      /SSH as admin from 192\.0\.2\.1\/32 \(a TEST-NET placeholder .*detected at launch/,
    );
  });

  it("synthesizes a stack that uses the VPC ids from Consul and the run's public key, never its private key", () => {
    const { config, text } = synthesized(prepared, run);
    const keyPath = join(run.context.runDir, "keys", "id_ed25519");
    const publicKey = readFileSync(`${keyPath}.pub`, "utf8").trim();
    assert.match(publicKey, /^ssh-ed25519 AAAA\S+ burst-20250101-0200-wordcount-ab12$/);
    assert.equal(only(config, "aws_key_pair").public_key, publicKey);
    assert.equal(statSync(keyPath).mode & 0o777, 0o600);
    const privateKey = readFileSync(keyPath, "utf8");
    const privateBody = privateKey.split("\n").filter((line) => line !== "" && !line.startsWith("-----"));
    assert.ok(!text.includes("PRIVATE KEY"));
    for (const line of privateBody) assert.ok(!text.includes(line), "a line of the private key is in the stack");

    // The run's Spark auth secret: made in memory, masked wherever burst prints, never in the stack.
    const [sparkAuthSecret = ""] = prepared.secrets;
    assert.match(sparkAuthSecret, /^[0-9a-f]{64}$/);
    assert.ok(!text.includes(sparkAuthSecret), "the Spark auth secret is in the stack");
    for (const role of ["master", "worker"] as const) {
      const script = userDataScript(config as Synthesized, role);
      assert.ok(!script.includes(sparkAuthSecret), `the Spark auth secret is in the ${role}'s user data`);
      assert.match(script, /^SPARK_AUTH_SECRET_FILE='\/var\/lib\/burst\/spark-auth\.secret'$/m);
      assert.match(script, /spark\.authenticate true/);
    }

    for (const group of Object.values(config.resource.aws_security_group) as Json[]) {
      assert.equal(group.vpc_id, consulVpc.vpcId);
    }
    assert.equal(only(config, "aws_instance").subnet_id, consulVpc.subnetIds[0]);
    const fleet = only(config, "aws_ec2_fleet");
    assert.deepEqual(
      fleet.launch_template_config[0].override.map((override: Json) => override.subnet_id),
      [consulVpc.subnetIds[0]],
    );
    assert.ok(text.includes(consulVpc.securityGroupId));
    assert.ok(text.includes(consulVpc.instanceProfileName));
    const ingress = Object.values(config.resource.aws_vpc_security_group_ingress_rule) as Json[];
    assert.ok(ingress.some((rule) => rule.cidr_ipv4 === "192.0.2.1/32"));
  });

  it("launches what the spec says: spot workers at the max price, its tags, Spark sizing left to Spark", () => {
    const { config, text } = synthesized(prepared, run);
    const fleet = only(config, "aws_ec2_fleet");
    assert.equal(fleet.target_capacity_specification.default_target_capacity_type, "spot");
    assert.equal(fleet.target_capacity_specification.total_target_capacity, 4);
    assert.equal(fleet.launch_template_config[0].override[0].max_price, "0.2");
    assert.equal(config.provider.aws[0].default_tags[0].tags.team, "data");
    assert.equal(config.provider.aws[0].default_tags[0].tags["burst:run-id"], "20250101-0200-wordcount-ab12");
    // Cores 0 and memory "": the role passes neither flag, and Spark offers the whole instance.
    assert.match(text, /WORKER_CORES='0'/);
    assert.match(text, /WORKER_MEMORY=''/);
    assert.ok(
      !text.includes("spark.executor.memory"),
      "the job's conf goes on spark-submit, not into the nodes' defaults",
    );
  });

  it("reads and writes S3 through the SDK's credential chain, creating no buckets, with console links", () => {
    assert.deepEqual(prepared.objectStore, { region: "eu-west-1", forcePathStyle: false });
    assert.equal(prepared.createBuckets, false);
    assert.equal(prepared.secrets.length, 1, "only the run's Spark auth secret, masked in every output");
    assert.equal(
      prepared.view.browse("s3://burst-results/runs/wordcount/r1/"),
      "https://s3.console.aws.amazon.com/s3/buckets/burst-results?region=eu-west-1&prefix=runs%2Fwordcount%2Fr1%2F&showversions=false",
    );
    assert.equal(prepared.view.browse("not-a-uri"), undefined);
  });
});

describe("aws target, what the plan says about other specs", () => {
  it("bounds the cost by job.timeoutMinutes when the job has one", async () => {
    const run = await testRun({ spec: spec({ job: { timeoutMinutes: 30 } }) });
    try {
      const prepared = await prepare(run);
      assert.match(prepared.view.plan.join("\n"), /for 30 min \(upper bound: job\.timeoutMinutes\)/);
    } finally {
      await run.remove();
    }
  });

  it("bounds it by every attempt of every step, and never beyond ttlMinutes", async () => {
    const step = (name: string, timeoutMinutes: number, retries: number) => ({
      ...spec().job,
      name,
      timeoutMinutes,
      retries,
    });
    const cases = [
      {
        steps: [step("ingest", 10, 1), step("train", 20, 0)],
        expected: /for 40 min \(upper bound: the steps' timeoutMinutes × attempts\)/,
      },
      { steps: [step("ingest", 10, 0), step("train", 0, 0)], expected: /for 120 min \(upper bound: ttlMinutes\)/ },
      { steps: [step("ingest", 100, 1)], expected: /for 120 min \(upper bound: ttlMinutes\)/ },
    ];
    for (const { steps, expected } of cases) {
      const run = await testRun({ spec: spec({ steps }) });
      try {
        assert.match((await prepare(run)).view.plan.join("\n"), expected);
      } finally {
        await run.remove();
      }
    }
  });

  it("names instance types it has no price for, gives no cost, and says why", async () => {
    const run = await testRun({ spec: spec({ worker: { instanceType: "x9z.mega" } }) });
    try {
      const prepared = await prepare(run);
      assert.match(prepared.view.plan.join("\n"), /warning: .*no price for instance type x9z\.mega: .*lower bound/);
      assert.match(prepared.view.plan.join("\n"), /prices: AWS Price List API.*, as of \d{4}/);
      assert.equal(prepared.costUsd, undefined, "a lower bound is not a cost maxCostUsd may be checked against");
      assert.match(prepared.costUnknown ?? "", /x9z\.mega/);
    } finally {
      await run.remove();
    }
  });
});

describe("aws target without the VPC outputs", () => {
  for (const mode of ["plan", "launch"] as const) {
    it(`refuses in ${mode} mode with bad-input (exit 2) naming \`npm run vpc -- deploy\``, async () => {
      const run = await testRun({ params: params({ vpc: undefined }) });
      try {
        const error = await rejection(() => prepare(run, mode));
        assert.equal(error.exitCode, ExitCode.badInput);
        assert.equal(error.exitCode, 2);
        assert.match(error.render(), /npm run vpc -- deploy/);
        assert.match(error.render(), /"main"/);
      } finally {
        await run.remove();
      }
    });
  }
});

describe("aws target: the caller's CIDR", () => {
  const ingressOf = async (mode: PrepareMode, options: AwsTargetOptions) => {
    const run = await testRun();
    try {
      const prepared = await prepare(run, mode, options);
      const { config } = synthesized(prepared, run);
      const rules = Object.values(config.resource.aws_vpc_security_group_ingress_rule) as Json[];
      const sources = rules.filter((rule) => rule.referenced_security_group_id === undefined);
      return { sources: sources.map((rule) => rule.cidr_ipv4 ?? rule.cidr_ipv6), plan: prepared.view.plan.join("\n") };
    } finally {
      await run.remove();
    }
  };

  it("takes BURST_CALLER_CIDR when set (a bare address becomes a /32), in both modes", async () => {
    for (const mode of ["plan", "launch"] as const) {
      const { sources, plan } = await ingressOf(mode, { ...offline, env: { BURST_CALLER_CIDR: "198.51.100.7" } });
      assert.deepEqual(sources, ["198.51.100.7/32", "203.0.113.0/24"]);
      assert.match(plan, /from 198\.51\.100\.7\/32 \(BURST_CALLER_CIDR\)/);
    }
  });

  for (const [value, reason] of [
    ["not-an-address", /not a CIDR/],
    ["198.51.100.7/33", /not a CIDR/],
    ["0.0.0.0/0", /large part of the internet/],
  ] as const) {
    it(`refuses BURST_CALLER_CIDR=${value} with bad-input`, async () => {
      const run = await testRun();
      try {
        const error = await rejection(() => prepare(run, "plan", { ...offline, env: { BURST_CALLER_CIDR: value } }));
        assert.equal(error.exitCode, ExitCode.badInput);
        assert.equal(error.keyPath, "BURST_CALLER_CIDR");
        assert.match(error.message, reason);
      } finally {
        await run.remove();
      }
    });
  }

  it("detects the caller's public address at launch when BURST_CALLER_CIDR is not set", async () => {
    const { sources, plan } = await ingressOf("launch", {
      ...offline,
      detectCallerCidr: async () => "198.51.100.99/32",
    });
    assert.deepEqual(sources, ["198.51.100.99/32", "203.0.113.0/24"]);
    assert.match(plan, /from 198\.51\.100\.99\/32 \(this machine's public address\)/);
  });
});

describe("aws target: preflight before apply", () => {
  const refusedBucket = badInput("the run cannot reach bucket acme-results: it does not exist", { keyPath: "results" });

  it("at launch: checks what the spec names, logs one line per check, and stops on a refusal before synthesizing", async () => {
    const run = await testRun();
    const logged: string[] = [];
    const asked: PreflightInput[] = [];
    try {
      const context = { ...run.context, log: (line: string) => logged.push(line) };
      const target = createAwsTarget({
        ...offline,
        env: { BURST_CALLER_CIDR: "198.51.100.7" },
        preflight: async (input) => {
          asked.push(input);
          return {
            lines: [{ check: "bucket acme-results", verdict: "refused", detail: "it does not exist" }],
            refusal: refusedBucket,
            subnetIds: input.subnetIds,
          };
        },
      });
      const error = await rejection(() => target.prepare(context, "launch"));
      assert.equal(error, refusedBucket);
      assert.equal(error.exitCode, ExitCode.badInput);
      assert.deepEqual(logged, ["preflight: bucket acme-results: REFUSED (it does not exist)"]);
      const [input] = asked;
      assert.deepEqual(input?.buckets, run.context.spec.buckets);
      assert.equal(input?.workerInstanceType, run.context.spec.cluster.worker.instanceType);
      assert.equal(input?.spot, true);
      assert.deepEqual(input?.subnetIds, consulVpc.subnetIds);
      assert.equal(input?.tags["burst:run-id"], run.context.runId, "the DryRun launches carry the run's tags");
    } finally {
      await run.remove();
    }
  });

  it("at launch: the cluster only tries the subnets whose AZ offers its instance types", async () => {
    const run = await testRun();
    const [, offered] = consulVpc.subnetIds;
    try {
      const prepared = await createAwsTarget({
        ...offline,
        env: { BURST_CALLER_CIDR: "198.51.100.7" },
        preflight: async () => ({
          lines: [{ check: "instance types offered", verdict: "ok", detail: "eu-west-1b" }],
          subnetIds: [offered ?? ""],
        }),
      }).prepare(run.context, "launch");
      const { config } = synthesized(prepared, run);
      assert.equal(only(config, "aws_instance").subnet_id, offered);
      assert.match(prepared.view.plan.join("\n"), /preflight: instance types offered: ok \(eu-west-1b\)/);
      assert.equal(await prepared.retryAfterApplyFailure?.(`Error: ${workersShortMessage}`), true);
      const again = JSON.parse(
        readFileSync(join(run.context.runDir, "stack", "stacks", "cluster", "cdk.tf.json"), "utf8"),
      ) as Json;
      assert.equal(
        only(again, "aws_instance").subnet_id,
        offered,
        "spot falls back to on-demand in the one AZ that offers the type",
      );
      assert.equal(
        only(again, "aws_ec2_fleet").target_capacity_specification.default_target_capacity_type,
        "on-demand",
      );
    } finally {
      await run.remove();
    }
  });

  it("in a dry run: runs only with credentials in the environment, and its lines join the plan", async () => {
    const run = await testRun();
    try {
      const without = await prepare(run, "plan", {
        ...offline,
        preflight: () => assert.fail("no credentials: no AWS call"),
      });
      assert.match(without.view.plan.join("\n"), /preflight: not run in this dry run: no AWS credentials/);
      const withProfile = await prepare(run, "plan", {
        ...offline,
        env: { AWS_PROFILE: "burst" },
        preflight: async (input) => ({
          lines: [{ check: "bucket acme-results", verdict: "ok", detail: "" }],
          subnetIds: input.subnetIds,
        }),
      });
      assert.match(withProfile.view.plan.join("\n"), /preflight: bucket acme-results: ok$/m);
      const refused = await rejection(() =>
        prepare(run, "plan", {
          ...offline,
          env: { AWS_ACCESS_KEY_ID: "AKIA..." },
          preflight: async (input) => ({ lines: [], refusal: refusedBucket, subnetIds: input.subnetIds }),
        }),
      );
      assert.equal(refused.exitCode, ExitCode.badInput, "a dry run with credentials refuses what a launch would");
    } finally {
      await run.remove();
    }
  });
});

describe("aws target: capacity fallback by re-synthesis", () => {
  const spotShort = `Error: Resource postcondition failed\n\n${workersShortMessage}`;

  it("after a short spot fleet, moves the whole cluster to the next AZ, then to on-demand, re-synthesizing the same folder", async () => {
    const run = await testRun();
    try {
      const prepared = await prepare(run);
      const { stackDir, config } = synthesized(prepared, run);
      assert.equal(only(config, "aws_ec2_fleet").target_capacity_specification.default_target_capacity_type, "spot");
      writeFileSync(join(stackDir, "terraform.tfstate"), '{"version":4}');
      const placement = () => {
        const again = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8")) as Json;
        const fleet = only(again, "aws_ec2_fleet");
        return [
          fleet.target_capacity_specification.default_target_capacity_type,
          only(again, "aws_instance").subnet_id,
          fleet.launch_template_config[0].override.map((o: Json) => o.subnet_id).join(","),
        ];
      };

      assert.equal(await prepared.retryAfterApplyFailure?.(spotShort), true);
      const [second, third] = consulVpc.subnetIds;
      assert.deepEqual(placement(), ["spot", third ?? "", third ?? ""], "master and workers move together");
      assert.match(
        run.logs.join("\n"),
        /applying again with spot workers, the whole cluster in subnet-0c0nsu1bbbbbbbbb/,
      );
      assert.equal(await prepared.retryAfterApplyFailure?.(spotShort), true);
      assert.deepEqual(placement(), ["on-demand", second ?? "", second ?? ""]);
      assert.equal(
        only(JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8")) as Json, "aws_ec2_fleet")
          .target_capacity_specification.total_target_capacity,
        4,
      );
      assert.equal(
        readFileSync(join(stackDir, "terraform.tfstate"), "utf8"),
        '{"version":4}',
        "the run's state is kept",
      );
      assert.match(run.logs.join("\n"), /applying again with on-demand workers/);
      assert.equal(await prepared.retryAfterApplyFailure?.(spotShort), true);
      assert.deepEqual(placement(), ["on-demand", third ?? "", third ?? ""]);

      assert.equal(await prepared.retryAfterApplyFailure?.(spotShort), false, "nothing is left to fall back to");
    } finally {
      await run.remove();
    }
  });

  it("moves the whole cluster to the next subnet when RunInstances had no capacity for the master", async () => {
    const run = await testRun();
    try {
      const prepared = await prepare(run);
      const { stackDir } = synthesized(prepared, run);
      const failure =
        "creating EC2 Instance: operation error EC2: RunInstances, api error InsufficientInstanceCapacity: We currently do not have sufficient m5.xlarge capacity";
      assert.equal(await prepared.retryAfterApplyFailure?.(failure), true);
      const again = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8")) as Json;
      assert.equal(only(again, "aws_instance").subnet_id, consulVpc.subnetIds[1]);
      assert.deepEqual(
        only(again, "aws_ec2_fleet").launch_template_config[0].override.map((o: Json) => o.subnet_id),
        [consulVpc.subnetIds[1]],
        "the workers follow the master",
      );
      assert.equal(only(again, "aws_ec2_fleet").target_capacity_specification.default_target_capacity_type, "spot");
      assert.equal(await prepared.retryAfterApplyFailure?.(failure), false, "the VPC has only two subnets");
    } finally {
      await run.remove();
    }
  });

  it("does not retry other failures, a spec without spotFallback, or before anything was synthesized", async () => {
    const run = await testRun();
    const strict = await testRun({ spec: spec({ worker: { spotFallback: false } }) });
    try {
      const prepared = await prepare(run);
      assert.equal(await prepared.retryAfterApplyFailure?.(spotShort), false, "no synth yet");
      synthesized(prepared, run);
      assert.equal(await prepared.retryAfterApplyFailure?.("Error: terraform failed: no such file"), false);
      const noFallback = await prepare(strict);
      synthesized(noFallback, strict);
      assert.equal(await noFallback.retryAfterApplyFailure?.(spotShort), true, "spot in the next AZ");
      assert.equal(await noFallback.retryAfterApplyFailure?.(spotShort), false, "no on-demand after the last AZ");
    } finally {
      await run.remove();
      await strict.remove();
    }
  });

  it("reads a short fleet's errors by the fleet id in the run's state, and stops on a permission EC2 refused (exit 3)", async () => {
    const run = await testRun();
    const asked: string[] = [];
    try {
      const prepared = await prepare(run, "plan", {
        ...offline,
        fleetErrors: async (region, fleetId) => {
          asked.push(`${region} ${fleetId}`);
          return [{ code: "UnauthorizedOperation", message: "You are not authorized to perform this operation." }];
        },
      });
      const { stackDir } = synthesized(prepared, run);
      const state = {
        version: 4,
        resources: [{ mode: "managed", type: "aws_ec2_fleet", instances: [{ attributes: { id: "fleet-0abc" } }] }],
      };
      writeFileSync(join(stackDir, "terraform.tfstate"), JSON.stringify(state));
      const error = await rejection(async () => prepared.retryAfterApplyFailure?.(spotShort));
      assert.equal(error.exitCode, ExitCode.infrastructure);
      assert.match(
        error.message,
        /the worker fleet launched no workers: EC2 said UnauthorizedOperation: You are not authorized/,
      );
      assert.match(error.hint ?? "", /docs\/iam-policy\.json/);
      assert.deepEqual(asked, [`${params().aws.region} fleet-0abc`]);
    } finally {
      await run.remove();
    }
  });

  it("after a short fleet with EC2's capacity error, moves on and logs what EC2 said", async () => {
    const run = await testRun();
    try {
      const prepared = await prepare(run, "plan", {
        ...offline,
        fleetErrors: async () => [
          { code: "InsufficientInstanceCapacity", message: "no spot capacity", availabilityZone: "eu-west-1a" },
        ],
      });
      const { stackDir } = synthesized(prepared, run);
      const state = {
        version: 4,
        resources: [{ mode: "managed", type: "aws_ec2_fleet", instances: [{ attributes: { id: "fleet-0abc" } }] }],
      };
      writeFileSync(join(stackDir, "terraform.tfstate"), JSON.stringify(state));
      assert.equal(await prepared.retryAfterApplyFailure?.(spotShort), true);
      assert.match(run.logs.join("\n"), /EC2 said: InsufficientInstanceCapacity \(eu-west-1a\): no spot capacity/);
      const again = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8")) as Json;
      assert.deepEqual(
        again.resource.terraform_data.capacity_attempt.input,
        { attempt: "spot subnet#1 address#0" },
        "the new attempt is written into the stack, so terraform replaces the fleet",
      );
    } finally {
      await run.remove();
    }
  });

  it("does not fall back to on-demand when that would cost more than maxCostUsd", async () => {
    const run = await testRun({ spec: spec({ maxCostUsd: 3 }) });
    try {
      const prepared = await prepare(run);
      assert.ok((prepared.costUsd ?? 0) < 3, "spot fits the limit");
      synthesized(prepared, run);
      assert.equal(await prepared.retryAfterApplyFailure?.(spotShort), true, "spot in the next AZ costs the same");
      assert.equal(await prepared.retryAfterApplyFailure?.(spotShort), false);
      assert.match(run.logs.join("\n"), /above maxCostUsd \$3\.00: not retrying/);
    } finally {
      await run.remove();
    }
  });
});

describe("aws target: how the CLI reaches the master", () => {
  it("SSHes to the master's public address as the AMI's user with the run's key, pinning the host key it read", async () => {
    const run = await testRun();
    const asked: unknown[] = [];
    try {
      const prepared = await prepare(run, "plan", {
        ...offline,
        hostKeyTimeoutMs: 1234,
        hostKeyPollMs: 56,
        readHostKey: async (options) => {
          asked.push({
            region: options.region,
            instanceId: options.instanceId,
            timeoutMs: options.timeoutMs,
            intervalMs: options.intervalMs,
            signal: options.signal,
          });
          return "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyHostKeyHostKeyHostKeyHostKeyHostKey";
        },
      });
      // The aws target also takes the run's interrupt signal (not yet in the contract's signature).
      const interrupts = new AbortController();
      const sshEndpoint = prepared.sshEndpoint as (outputs: ClusterOutputs, signal?: AbortSignal) => Promise<unknown>;
      const endpoint = await sshEndpoint(outputs, interrupts.signal);
      assert.deepEqual(endpoint, {
        host: "198.51.100.20",
        port: 22,
        user: "admin",
        privateKeyPath: join(run.context.runDir, "keys", "id_ed25519"),
        hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyHostKeyHostKeyHostKeyHostKeyHostKey",
      });
      assert.deepEqual(asked, [
        {
          region: "eu-west-1",
          instanceId: "i-0master000000000",
          timeoutMs: 1234,
          intervalMs: 56,
          signal: interrupts.signal,
        },
      ]);
    } finally {
      await run.remove();
    }
  });

  it("watches every node's console while it boots, for bootMinutes (bakedBootMinutes on a baked image)", async () => {
    const base = await testRun();
    const baked = await testRun({ params: { ...params(), aws: { ...params().aws, bakedAmi: "ami-0baked" } } });
    try {
      const prepared = await prepare(base, "plan", offline);
      assert.deepEqual(
        prepared.nodeConsoles?.(outputs).map((console) => console.node),
        ["master (i-0master000000000)", "worker-1 (i-0worker000000001)"],
      );
      assert.equal(prepared.readyTimeoutMs, 15 * 60_000);
      assert.equal((await prepare(baked, "plan", offline)).readyTimeoutMs, 3 * 60_000);
    } finally {
      await base.remove();
      await baked.remove();
    }
  });

  it("fails with an infrastructure error when the stack reported no instance ids", async () => {
    const run = await testRun();
    try {
      const prepared = await prepare(run);
      const error = await rejection(() => prepared.sshEndpoint({ ...outputs, nodeIds: [] }));
      assert.equal(error.exitCode, ExitCode.infrastructure);
    } finally {
      await run.remove();
    }
  });
});

describe("aws target: the master's private address, checked before apply", () => {
  const launching: AwsTargetOptions = { ...offline, env: { BURST_CALLER_CIDR: "198.51.100.7" } };
  it("a launch passes over an address something in the subnet holds, and says so", async () => {
    const run = await testRun();
    const logged: string[] = [];
    try {
      const { runId } = run.context;
      const first = masterAddressIn("10.42.0.0/20", masterAddressSeed(runId, 0));
      const second = masterAddressIn("10.42.0.0/20", masterAddressSeed(runId, 1));
      const asked: string[] = [];
      const context = { ...run.context, log: (line: string) => logged.push(line) };
      const prepared = await createAwsTarget({ ...launching, addressLookup: subnetHolding([first], asked) }).prepare(
        context,
        "launch",
      );
      assert.deepEqual(asked, [first, second]);
      const { config } = synthesized(prepared, run);
      assert.ok(masterAddressLocal(config).includes(`(4 + (${addressNumber(masterAddressSeed(runId, 1))} %`));
      assert.ok(
        logged.includes(
          `the master's private address ${first} is held in ${consulVpc.subnetIds[0]}: it gets ${second}`,
        ),
        logged.join("\n"),
      );
    } finally {
      await run.remove();
    }
  });

  it("a dry run asks nothing; a lookup that fails leaves the first address, unchecked, with a line saying so", async () => {
    const run = await testRun();
    const logged: string[] = [];
    try {
      const context = { ...run.context, log: (line: string) => logged.push(line) };
      const refusing: AwsTargetOptions["addressLookup"] = () => ({
        lookup: {
          subnetCidr: async () => {
            throw new Error("UnauthorizedOperation: not allowed");
          },
          held: async () => assert.fail("no address is asked about without the subnet's CIDR"),
        },
        close: () => {},
      });
      const planned = await createAwsTarget({
        ...offline,
        addressLookup: () => assert.fail("a dry run must not reach EC2"),
      }).prepare(context, "plan");
      const launched = await createAwsTarget({ ...launching, addressLookup: refusing }).prepare(context, "launch");
      const seed = addressNumber(masterAddressSeed(run.context.runId, 0));
      for (const prepared of [planned, launched]) {
        assert.ok(masterAddressLocal(synthesized(prepared, run).config).includes(`(4 + (${seed} %`));
      }
      assert.deepEqual(logged, [
        `could not check the master's private address in ${consulVpc.subnetIds[0]} before apply (UnauthorizedOperation: not allowed): applying with it unchecked`,
      ]);
    } finally {
      await run.remove();
    }
  });
});
