// component: moto, consul
// `npm run vpc -- image`'s builder against moto_server and a real Consul agent, with the SDK clients
// burst builds: the builder launched from the base image with the bake user data (the node role in
// bake mode, checked byte for byte), the image made of it, tagged with the role's hash, Spark
// version and architecture, recorded in Consul, the builder terminated, nothing else left; a burst
// then boots from that image, and falls back to the base image with a warning once the role's hash
// differs. moto boots no machine: the builder's last act, its poweroff (shutdown behaviour "stop"),
// is played here by StopInstances once its user data is seen. That the bake itself installs Spark
// and a node of the image boots ready is proven on the AWS twin (test/e2e/aws-twin.test.ts), not here.

import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import {
  DescribeImagesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  type EC2Client,
  RunInstancesCommand,
  StopInstancesCommand,
} from "@aws-sdk/client-ec2";
import { type ConsulAgent, startConsulAgent } from "../../../scripts/servers/consul.ts";
import {
  createClusterVpc,
  type MotoServer,
  motoRegion,
  startMoto,
  useMotoEnvironment,
} from "../../../scripts/servers/moto.ts";
import { ExitCode } from "../../../src/errors.ts";
import { ConsulStore } from "../../../src/params/index.ts";
import { burstImage, imageKey, imageTagKeys, recordImage } from "../../../src/targets/aws/baked-image.ts";
import { ec2ConsoleReader } from "../../../src/targets/aws/host-key.ts";
import {
  type BuildImageInput,
  builderName,
  buildNodeImage,
  pruneNodeImages,
} from "../../../src/targets/aws/image-builder.ts";
import { createAwsTarget } from "../../../src/targets/aws/target.ts";
import { artifactsBucketUrl, mavenCentral, nodeArtifacts, nodeDownloads } from "../../../stacks/aws/artifacts.ts";
import { nodeRoleHash, renderBakeBootstrap } from "../../../stacks/aws/bootstrap.ts";
import { testRun } from "./fixtures.ts";

let moto: MotoServer;
let consul: ConsulAgent;
let store: ConsulStore;
let ec2: EC2Client;
let build: Omit<BuildImageInput, "log">;
let environment: { restore(): void };
const prefix = "burst/";
const userData = renderBakeBootstrap({
  sparkVersion: "3.5.3",
  region: motoRegion,
  downloads: nodeDownloads(nodeArtifacts("3.5.3", { mavenRepo: mavenCentral, architecture: "x86_64" }), {
    kind: "bucket",
    url: artifactsBucketUrl("burst-main-artifacts-test", { region: motoRegion }),
  }),
  sshUser: "admin",
  ttlMinutes: 45,
});

before(async () => {
  moto = await startMoto();
  consul = await startConsulAgent();
  store = ConsulStore.fromEnv(consul.env());
  ec2 = moto.client();
  // The burst's own lookups (DescribeImages through the SDK's default chain) go to moto.
  environment = useMotoEnvironment({ AWS_ENDPOINT_URL: moto.endpoint, AWS_EC2_METADATA_DISABLED: "true" });
  const vpc = await createClusterVpc(moto, { groupName: "cluster", profileName: "burst-main-node", role: true });
  assert.ok(vpc.imageId, "moto ships an image to play the base image");
  build = {
    ec2,
    consul: store,
    prefix,
    vpcName: "main",
    sparkVersion: "3.5.3",
    architecture: "x86_64",
    instanceType: "m5.large",
    baseImageId: vpc.imageId,
    subnetId: vpc.subnetIds[0] ?? "",
    securityGroupId: vpc.securityGroupId,
    instanceProfileName: vpc.instanceProfileName,
    userData,
    roleHash: nodeRoleHash(),
    diskGb: 50,
    waitMs: 60_000,
    pollMs: 100,
    readConsole: ec2ConsoleReader(ec2),
  };
});

afterEach(async () => {
  await moto.reset();
  await consul.api("DELETE", "/kv/burst/?recurse=true");
  const vpc = await createClusterVpc(moto, { groupName: "cluster", profileName: "burst-main-node", role: true });
  build = {
    ...build,
    baseImageId: vpc.imageId,
    subnetId: vpc.subnetIds[0] ?? "",
    securityGroupId: vpc.securityGroupId,
  };
});

after(async () => {
  environment?.restore();
  ec2?.destroy();
  await consul?.stop();
  await moto?.stop();
});

/** `--prune` (with --yes or not) of the VPC "main", with what it printed. */
async function prune(yes: boolean) {
  const lines: string[] = [];
  const result = await pruneNodeImages({ ec2, consul: store, prefix, vpcName: "main", yes, log: (l) => lines.push(l) });
  return { ...result, printed: lines.join("\n") };
}

/** Plays the builder's poweroff: once an instance carries exactly the bake user data, stop it. */
function stopBuilderOnceBaked(): { seen: Promise<string> } {
  const seen = (async () => {
    for (let tries = 0; tries < 300; tries++) {
      const answer = await ec2.send(new DescribeInstancesCommand({}));
      const builder = answer.Reservations?.flatMap((reservation) => reservation.Instances ?? []).find(
        (instance) => instance.State?.Name === "running",
      );
      if (builder?.InstanceId) {
        const attribute = await ec2.send(
          new DescribeInstanceAttributeCommand({ InstanceId: builder.InstanceId, Attribute: "userData" }),
        );
        const script = gunzipSync(Buffer.from(attribute.UserData?.Value ?? "", "base64")).toString("utf8");
        assert.equal(script, userData, "the builder boots the bake user data");
        await ec2.send(new StopInstancesCommand({ InstanceIds: [builder.InstanceId] }));
        return builder.InstanceId;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error("no builder was launched");
  })();
  return { seen };
}

const instancesByState = async () =>
  (await ec2.send(new DescribeInstancesCommand({}))).Reservations?.flatMap(
    (reservation) => reservation.Instances ?? [],
  ).map((instance) => `${instance.InstanceId} ${instance.State?.Name}`) ?? [];

describe("vpc image: the builder, the image, the record", () => {
  it("launches the builder from the base image with the bake user data, images it once stopped, tags, records and terminates it", async () => {
    const lines: string[] = [];
    const builder = stopBuilderOnceBaked();
    const image = await buildNodeImage({ ...build, log: (line) => lines.push(line) });
    const builderId = await builder.seen;

    const launched = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [builderId] }))).Reservations?.[0]
      ?.Instances?.[0];
    assert.equal(launched?.ImageId, build.baseImageId, "the builder boots the base image");
    assert.equal(launched?.State?.Name, "terminated", "the builder is terminated");
    assert.deepEqual(await instancesByState(), [`${builderId} terminated`], "no other instance was launched");

    const images = await ec2.send(new DescribeImagesCommand({ ImageIds: [image.imageId] }));
    const made = images.Images?.[0];
    assert.equal(made?.State, "available");
    const tags = Object.fromEntries((made?.Tags ?? []).map((tag) => [tag.Key, tag.Value]));
    assert.equal(tags[imageTagKeys.roleHash], nodeRoleHash());
    assert.equal(tags[imageTagKeys.spark], "3.5.3");
    assert.equal(tags[imageTagKeys.arch], "x86_64");
    assert.equal(tags[imageTagKeys.vpc], "main");
    assert.match(made?.Name ?? "", new RegExp(`^burst-node-spark3\\.5\\.3-x86_64-${nodeRoleHash()}-\\d{8}-\\d{4}$`));

    const recorded = await consul.kv(`burst/${imageKey("main", "3.5.3", "x86_64")}`);
    const value = JSON.parse([...recorded.values()][0] ?? "{}");
    assert.deepEqual(
      {
        imageId: value.imageId,
        roleHash: value.roleHash,
        sparkVersion: value.sparkVersion,
        architecture: value.architecture,
      },
      { imageId: image.imageId, roleHash: nodeRoleHash(), sparkVersion: "3.5.3", architecture: "x86_64" },
    );
    assert.ok(
      lines.some((line) => line === `builder ${builderId} terminated`),
      lines.join("\n"),
    );
  });

  it("terminates the builder and records nothing when the install steps never finish", async () => {
    const error = await buildNodeImage({ ...build, waitMs: 500, log: () => {} }).then(
      () => assert.fail("the bake should time out"),
      (thrown: unknown) => thrown as { exitCode: number; message: string },
    );
    assert.equal(error.exitCode, ExitCode.infrastructure);
    assert.match(error.message, /did not finish its install steps within/);
    const states = await instancesByState();
    assert.equal(states.length, 1);
    assert.match(states[0] ?? "", / terminated$/, "the builder is terminated");
    const images = await ec2.send(new DescribeImagesCommand({ Owners: ["self"] }));
    assert.deepEqual(images.Images ?? [], [], "no image was made");
    assert.equal((await consul.kv("burst/vpc/")).size, 0, "nothing recorded");
  });

  it("terminates the builder when interrupted (Ctrl-C) while it installs", async () => {
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 300);
    const error = await buildNodeImage({ ...build, signal: stop.signal, log: () => {} }).then(
      () => assert.fail("the bake should be interrupted"),
      (thrown: unknown) => thrown as { exitCode: number },
    );
    assert.equal(error.exitCode, ExitCode.interrupted);
    assert.match((await instancesByState())[0] ?? "", / terminated$/);
  });

  it("--prune keeps the recorded image and deregisters an older one with its snapshot (only with --yes)", async () => {
    const first = stopBuilderOnceBaked();
    const old = await buildNodeImage({ ...build, log: () => {}, now: () => new Date("2026-01-01T00:00:00Z") });
    await first.seen;
    const second = stopBuilderOnceBaked();
    const current = await buildNodeImage({ ...build, log: () => {} });
    await second.seen;
    const oldSnapshots = (
      await ec2.send(new DescribeImagesCommand({ ImageIds: [old.imageId] }))
    ).Images?.[0]?.BlockDeviceMappings?.map((mapping) => mapping.Ebs?.SnapshotId ?? "");
    assert.ok(oldSnapshots?.length, "the image has a snapshot");

    const { printed, ...dry } = await prune(false);
    assert.deepEqual(dry, { kept: [current.imageId], removed: [old.imageId], leftBuilders: [] });
    assert.match(printed, /Re-run with --yes/);
    assert.equal((await ec2.send(new DescribeImagesCommand({ ImageIds: [old.imageId] }))).Images?.length, 1);

    await prune(true);
    const left = await ec2.send(new DescribeImagesCommand({ Owners: ["self"] }));
    assert.deepEqual(
      left.Images?.map((image) => image.ImageId),
      [current.imageId],
    );
    const snapshots = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ["self"] }));
    for (const snapshot of oldSnapshots ?? []) {
      assert.ok(!snapshots.Snapshots?.some((candidate) => candidate.SnapshotId === snapshot), `${snapshot} deleted`);
    }
  });

  it("--prune terminates a builder a dead bake left stopped (only with --yes), and leaves a running one alone", async () => {
    // What a bake whose CLI died leaves: its builder, named and tagged as buildNodeImage names it,
    // powered off by its own timer (stopped: its disk still billed); and a bake still under way.
    const launch = async () => {
      const answer = await ec2.send(
        new RunInstancesCommand({
          ImageId: build.baseImageId,
          InstanceType: "m5.large",
          MinCount: 1,
          MaxCount: 1,
          SubnetId: build.subnetId,
          TagSpecifications: [
            {
              ResourceType: "instance",
              Tags: [
                { Key: "Name", Value: builderName("main") },
                { Key: imageTagKeys.vpc, Value: "main" },
              ],
            },
          ],
        }),
      );
      return answer.Instances?.[0]?.InstanceId ?? "";
    };
    const dead = await launch();
    const busy = await launch();
    await ec2.send(new StopInstancesCommand({ InstanceIds: [dead] }));
    const stateOf = async (id: string) =>
      (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]?.Instances?.[0]?.State
        ?.Name;

    const dry = await prune(false);
    assert.deepEqual(dry.leftBuilders, [dead]);
    assert.match(dry.printed, new RegExp(`left +builder ${dead} stopped`));
    assert.match(dry.printed, new RegExp(`busy +builder ${busy} running`));
    assert.match(dry.printed, /Re-run with --yes to terminate 1 stopped builder/);
    assert.equal(await stateOf(dead), "stopped", "without --yes nothing changes");

    const done = await prune(true);
    assert.match(done.printed, new RegExp(`terminated builder ${dead}`));
    assert.equal(await stateOf(dead), "terminated");
    assert.equal(await stateOf(busy), "running", "a builder still running may be a bake under way");
  });
});

describe("a burst's image", () => {
  const request = () => ({
    env: consul.env(),
    prefix,
    vpcName: "main",
    region: motoRegion,
    sparkVersion: "3.5.3",
    architecture: "x86_64" as const,
    askAws: true,
  });

  it("is the recorded baked image when it was made by this node role", async () => {
    const builder = stopBuilderOnceBaked();
    const image = await buildNodeImage({ ...build, log: () => {} });
    await builder.seen;
    assert.deepEqual(await burstImage(request()), { bakedAmi: image.imageId });
    // Another Spark version or architecture has no image: the base image.
    assert.deepEqual(await burstImage({ ...request(), sparkVersion: "3.4.4" }), {});
    assert.deepEqual(await burstImage({ ...request(), architecture: "arm64" }), {});
  });

  it("is the base image, with a warning, when the image's role-hash tag is not this role's", async () => {
    const builder = stopBuilderOnceBaked();
    const image = await buildNodeImage({ ...build, roleHash: "0123456789abcdef", log: () => {} });
    await builder.seen;
    const choice = await burstImage(request());
    assert.equal(choice.bakedAmi, undefined);
    assert.equal(
      choice.warning,
      `baked image ${image.imageId} holds node role 0123456789abcdef, this burst runs role ${nodeRoleHash()}: booting from the base image (bake it again: npm run vpc -- image)`,
    );
  });

  it("is the base image, with a warning, when the recorded image was deregistered by hand", async () => {
    await recordImage(store, prefix, "main", {
      imageId: "ami-0123456789abcdef0",
      roleHash: nodeRoleHash(),
      sparkVersion: "3.5.3",
      architecture: "x86_64",
      createdAt: "2026-01-01T00:00:00Z",
    });
    const choice = await burstImage(request());
    assert.equal(choice.bakedAmi, undefined);
    assert.match(
      choice.warning ?? "",
      /^baked image ami-0123456789abcdef0 no longer exists: booting from the base image/,
    );
  });
});

describe("a burst's dry run on aws (the target's plan)", () => {
  /** The dry run of the docs' first burst (Spark 3.5.3 on m5 instances), with credentials: it asks moto and Consul. */
  const dryRun = async () => {
    const run = await testRun();
    try {
      const target = createAwsTarget({
        env: { ...consul.env(), AWS_ACCESS_KEY_ID: "testing", BURST_CALLER_CIDR: "198.51.100.7/32" },
        preflight: async (input) => ({ lines: [], subnetIds: input.subnetIds }),
      });
      return await target.prepare(run.context, "plan");
    } finally {
      await run.remove();
    }
  };

  it("boots from the baked image: the plan names it, no downloads, and waits aws/bakedBootMinutes", async () => {
    const builder = stopBuilderOnceBaked();
    const image = await buildNodeImage({ ...build, log: () => {} });
    await builder.seen;
    const prepared = await dryRun();
    const plan = prepared.view.plan.join("\n");
    assert.match(
      plan,
      new RegExp(`^  baked image ${image.imageId} \\(Java 17 \\+ Spark 3\\.5\\.3 already installed\\)$`, "m"),
    );
    assert.doesNotMatch(plan, /installed at boot|warning/);
    assert.doesNotMatch(plan, /numpy\/pandas\/pyarrow/, "a baked node downloads nothing");
    assert.equal(prepared.readyTimeoutMs, 3 * 60_000, "aws/bakedBootMinutes");
  });

  it("boots from the base image and says why when the baked image's role hash is stale", async () => {
    const builder = stopBuilderOnceBaked();
    const image = await buildNodeImage({ ...build, roleHash: "0123456789abcdef", log: () => {} });
    await builder.seen;
    const prepared = await dryRun();
    const plan = prepared.view.plan.join("\n");
    assert.match(plan, /^ {2}image ami-0base000000000000 \(Java 17 \+ Spark 3\.5\.3 installed at boot\)$/m);
    assert.ok(
      prepared.view.plan.includes(
        `  warning: baked image ${image.imageId} holds node role 0123456789abcdef, this burst runs role ${nodeRoleHash()}: booting from the base image (bake it again: npm run vpc -- image)`,
      ),
      plan,
    );
    assert.equal(prepared.readyTimeoutMs, 15 * 60_000, "aws/bootMinutes");
  });
});
