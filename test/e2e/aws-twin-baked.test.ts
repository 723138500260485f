// Issue 26 on the AWS twin (scripts/servers/twin/): `npm run vpc -- image` as an operator types it.
// The builder boots the Debian root as a container with the bake user data (the node role's
// install steps: pyspark and its wheels from the staged artifacts bucket, the s3a jars), powers
// itself off (shutdown behaviour "stop": the twin stops it in moto and keeps its disk), CreateImage
// keeps a copy of that disk under the new image id, the image is recorded in Consul and the
// builder terminated. Then the README's word count runs from that image: every node boots the
// builder's disk over the Debian root, skips the install steps, and the job succeeds.

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { DescribeImagesCommand, DescribeInstancesCommand } from "@aws-sdk/client-ec2";
import { startTwin, type Twin } from "../../scripts/servers/twin/twin.ts";
import { runVpcScript } from "../../scripts/servers/vpc-script.ts";
import { imageTagKeys } from "../../src/targets/aws/baked-image.ts";
import { nodeRoleHash } from "../../stacks/aws/bootstrap.ts";
import { tagKeys } from "../../stacks/aws/tags.ts";
import { burst, parseEvents, repoRoot, runDirs, tempBurstHome } from "../helpers/burst.ts";

const minutes = (n: number) => n * 60_000;

describe("a baked node image on the twin", { timeout: minutes(60), concurrency: false }, () => {
  let twin: Twin;
  let imageId = "";

  before(async () => {
    twin = await startTwin({ log: (line) => console.log(line) });
  });

  after(async () => {
    await twin?.stop();
    assert.equal(execFileSync("ip", ["netns", "list"], { encoding: "utf8" }).includes("burst-"), false);
    assert.equal(
      /systemd-nspawn .*--machine=i-/.test(execFileSync("ps", ["-eo", "args"], { encoding: "utf8" })),
      false,
    );
    // findmnt exits 1 when no overlay is mounted at all.
    const overlays = spawnSync("findmnt", ["-rn", "-t", "overlay", "-o", "TARGET"], { encoding: "utf8" }).stdout;
    assert.equal(overlays.includes("burst-node-"), false, "no container disk is left mounted");
  });

  const allInstances = async () => {
    const ec2 = twin.ec2();
    try {
      const answer = await ec2.send(new DescribeInstancesCommand({}));
      return (answer.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []);
    } finally {
      ec2.destroy();
    }
  };

  test("npm run vpc -- image: the builder installs, is imaged once it powers off, the image is recorded, the builder terminated", async () => {
    const scratch = await mkdtemp(join(tmpdir(), "burst-twin-image-"));
    const started = Date.now();
    const result = await runVpcScript(["image"], {
      cwd: scratch,
      env: { ...process.env, ...twin.env() },
      timeoutMs: minutes(30),
    });
    console.log(`vpc image: ${((Date.now() - started) / 1000).toFixed(1)} s\n${result.stdout}\n${result.stderr}`);
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    imageId = /^Baked (ami-[0-9a-f]+)\./m.exec(result.stdout)?.[1] ?? "";
    assert.ok(imageId, result.stdout);
    // The role's steps as the CLI read them from the builder's console: the install ran, then "baked".
    assert.match(result.stdout, /^ {2}builder install-spark$/m);
    assert.match(result.stdout, /^ {2}builder baked$/m);

    const builders = (await allInstances()).filter((instance) => instance.ImageId !== imageId);
    assert.equal(builders.length, 1, "one builder");
    const builder = builders[0];
    assert.equal(builder?.State?.Name, "terminated", "the builder is terminated");
    const machine = twin.machines.byId(builder?.InstanceId ?? "");
    assert.ok(machine, "the builder booted as a container");
    assert.equal(machine.container.running, false);
    assert.match(machine.container.console(), /burst-baked: builder/, "the bake finished on the builder");

    const ec2 = twin.ec2();
    try {
      const image = (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0];
      const tags = Object.fromEntries((image?.Tags ?? []).map((tag) => [tag.Key, tag.Value]));
      assert.equal(tags[imageTagKeys.roleHash], nodeRoleHash());
      assert.equal(tags[imageTagKeys.spark], "3.5.3");
    } finally {
      ec2.destroy();
    }
    const recorded = await twin.consul.kv("burst/vpc/main/images/");
    assert.equal(JSON.parse(recorded.get("burst/vpc/main/images/3.5.3/x86_64") ?? "{}").imageId, imageId);
    assert.deepEqual(twin.machines.bootFailures, []);
  });

  test("the word count boots from the baked image: no install step on any node, exit 0, nothing left", async () => {
    assert.ok(imageId, "the image of the first test");
    const home = await tempBurstHome();
    const result = await burst(
      [join(repoRoot, "examples", "wordcount", "spark.yml"), "--json", "--target", "aws", "--yes"],
      {
        burstHome: home,
        env: twin.env(),
        timeoutMs: minutes(20),
      },
    );
    const events = parseEvents(result.stdout);
    assert.equal(result.code, 0, result.stderr.slice(-6000));
    assert.ok(events.some((event) => event.type === "job-log" && String(event.line).includes("top words: the=11")));
    assert.doesNotMatch(result.stderr, /warning: baked image/);
    // The node-role steps the CLI read from each node's console while it waited.
    const steps = events
      .filter((event) => event.type === "info")
      .map((event) => String(event.message))
      .filter((message) => /^(master|worker-\d+) \(i-[0-9a-f]+\): /.test(message));
    assert.ok(
      steps.some((step) => step.endsWith(": start-master")),
      steps.join("\n"),
    );
    assert.ok(
      steps.some((step) => step.endsWith(": start-worker")),
      steps.join("\n"),
    );
    assert.deepEqual(
      steps.filter((step) => /: install-/.test(step)),
      [],
      "no node ran an install step",
    );
    const runId = ((await runDirs(home))[0] ?? "").split("/").pop() ?? "";
    const nodes = (await allInstances()).filter((instance) =>
      instance.Tags?.some((tag) => tag.Key === tagKeys.runId && tag.Value === runId),
    );
    assert.equal(nodes.length, 3, "1 master + 2 workers");
    for (const node of nodes) {
      assert.equal(node.ImageId, imageId, `${node.InstanceId} boots the baked image`);
      const machine = twin.machines.byId(node.InstanceId ?? "");
      assert.ok(machine, `${node.InstanceId} booted as a container`);
      assert.equal(machine.layers.length, 1, "over the builder's disk");
    }
    await twin.machines.settled(minutes(2));
    const live = (await allInstances()).filter((instance) => instance.State?.Name !== "terminated");
    assert.deepEqual(
      live.map((instance) => instance.InstanceId),
      [],
      "every instance is terminated",
    );
    assert.deepEqual(twin.machines.bootFailures, []);
  });

  test("npm run vpc -- image --prune as typed: keeps the recorded image; once its record is gone, --yes deregisters it", async () => {
    assert.ok(imageId, "the image of the first test");
    const scratch = await mkdtemp(join(tmpdir(), "burst-twin-prune-"));
    const prune = (args: string[]) =>
      runVpcScript(["image", "--prune", ...args], { cwd: scratch, env: { ...process.env, ...twin.env() } });
    const imageOf = async () => {
      const ec2 = twin.ec2();
      try {
        return (await ec2.send(new DescribeImagesCommand({ Owners: ["self"] }))).Images ?? [];
      } finally {
        ec2.destroy();
      }
    };

    const recorded = await prune(["--yes"]);
    assert.equal(recorded.code, 0, `${recorded.stdout}\n${recorded.stderr}`);
    assert.match(recorded.stdout, new RegExp(`^keep +${imageId}`, "m"));
    assert.ok(
      (await imageOf()).some((image) => image.ImageId === imageId),
      "the recorded image stays",
    );

    // As after a bake of another Spark version or a new role: this image is no longer recorded.
    await twin.consul.api("DELETE", "/kv/burst/vpc/main/images/3.5.3/x86_64");
    const listed = await prune([]);
    assert.equal(listed.code, 0, `${listed.stdout}\n${listed.stderr}`);
    assert.match(listed.stdout, new RegExp(`^old +${imageId}`, "m"));
    assert.match(listed.stdout, /--yes/);
    assert.ok(
      (await imageOf()).some((image) => image.ImageId === imageId),
      "without --yes nothing is removed",
    );

    const pruned = await prune(["--yes"]);
    assert.equal(pruned.code, 0, `${pruned.stdout}\n${pruned.stderr}`);
    assert.match(pruned.stdout, new RegExp(`^pruned +${imageId}`, "m"));
    assert.ok(!(await imageOf()).some((image) => image.ImageId === imageId), "the image is deregistered");
  });
});
