// component: moto, terraform
// A capacity retry with the real hashicorp/aws provider against moto_server: the run applies in
// the first subnet's AZ, then the lifecycle re-synthesizes the same folder for the next attempt
// (another AZ, as after a short fleet) and plans again. EC2 refuses ModifyFleet for instant
// fleets, and the provider would update the fleet in place for a new subnet, so the plan must
// replace it, and because of the attempt: against moto every second plan of a fleet replaces it
// anyway (moto returns valid_from and terminate_instances_with_expiration), so the reason is
// asserted from the plan JSON's action_reason, not only that a replacement is planned.

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { DescribeInstancesCommand, type EC2Client } from "@aws-sdk/client-ec2";
import {
  createClusterVpc,
  type MotoServer,
  motoRegion,
  startMoto,
  useMotoEnvironment,
} from "../../../scripts/servers/moto.ts";
import { writeKeyPair } from "../../../src/remote/keys.ts";
import { awsEndpointsFromEnv } from "../../../src/targets/aws/endpoints.ts";
import type { TerraformDriver } from "../../../src/terraform/driver.ts";
import { synthSparkCluster } from "../../../stacks/aws/cluster-app.ts";
import type { SparkClusterProps } from "../../../stacks/aws/spark-cluster-stack.ts";
import { realProviderDriver } from "../../helpers/terraform.ts";
import { clusterProps, params } from "./helpers.ts";

interface ResourceChange {
  readonly address: string;
  readonly type: string;
  readonly action_reason?: string;
  readonly change: { readonly actions: readonly string[] };
}

let moto: MotoServer;
let ec2: EC2Client;
let environment: { restore(): void };
let workDir: string;
let props: SparkClusterProps;
let driver: TerraformDriver | undefined;

before(async () => {
  moto = await startMoto();
  environment = useMotoEnvironment({ AWS_ENDPOINT_URL: moto.endpoint });
  ec2 = moto.client();
  const {
    vpcId,
    subnetIds,
    securityGroupId,
    instanceProfileName,
    imageId: image,
  } = await createClusterVpc(moto, {
    groupName: "cluster",
    profileName: "burst-main-node",
    role: true,
  });
  assert.ok(image, "moto ships an Ubuntu image");
  props = clusterProps({
    workers: 2,
    masterInstanceType: "m5.large",
    workerInstanceType: "m5.large",
    spot: true,
    params: { ...params, region: motoRegion, baseAmi: image },
    vpc: {
      vpcId,
      subnetIds,
      securityGroupId,
      instanceProfileName,
      artifactsBucket: "burst-artifacts",
    },
    endpoints: awsEndpointsFromEnv(moto.env()),
  });
  workDir = await mkdtemp(join(tmpdir(), "burst-capacity-retry-"));
  // EC2 (and moto) import only a well-formed public key.
  const key = await writeKeyPair(join(workDir, "keys"), "id_ed25519", "burst-capacity-retry");
  props = { ...props, sshPublicKey: key.publicKey };
});

after(async () => {
  try {
    if (driver) await driver.destroy(() => {});
  } finally {
    ec2?.destroy();
    environment?.restore();
    await moto?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  }
});

it("a second attempt in another AZ replaces the fleet because of the attempt, and moves the master: planned, then applied", async () => {
  const outdir = join(workDir, "stack");
  const { stackDir } = synthSparkCluster({ ...props, subnetIndex: 0 }, outdir);
  driver = await realProviderDriver(stackDir, join(workDir, "scratch"));
  await driver.init();
  await driver.apply(() => {});
  const first = await driver.outputs();
  assert.equal(first.subnetId, props.vpc.subnetIds[0]);

  // What the lifecycle does after a short fleet: the next attempt, synthesized into the same folder.
  synthSparkCluster({ ...props, subnetIndex: 1 }, outdir);
  const plan = (await driver.planJson()) as { resource_changes: ResourceChange[] };
  const change = (type: string) => {
    const found = plan.resource_changes.filter((c) => c.type === type);
    assert.equal(found.length, 1, type);
    return found[0] as ResourceChange;
  };
  const fleet = change("aws_ec2_fleet");
  assert.deepEqual(fleet.change.actions, ["delete", "create"], "the fleet is replaced, never modified");
  assert.equal(fleet.action_reason, "replace_by_triggers", "replaced because the capacity attempt changed");
  assert.deepEqual(change("terraform_data").change.actions, ["update"]);
  const master = change("aws_instance");
  assert.deepEqual(master.change.actions, ["delete", "create"], "the master moves with the cluster");
  assert.equal(master.action_reason, "replace_because_cannot_update", "a new subnet is a new instance");

  // The second attempt applied: the fleet replaced, the master moved. Only these resources (and what
  // they depend on): against moto a whole apply stops at the members' security group rule, which
  // moto answers with ports the provider then "updates" (ModifySecurityGroupRules, refused by moto
  // as InvalidParameterValue), a drift of moto's unrelated to the fleet (docs/aws.md).
  await driver.apply(() => {}, undefined, [fleet.address, master.address, change("terraform_data").address]);
  // (A targeted apply refreshes only the outputs of what it applied: the instances are asked of EC2.)
  const second = await driver.outputs();
  assert.notEqual(second.masterInstanceId, first.masterInstanceId, "a new master");
  assert.notDeepEqual(second.workerInstanceIds, first.workerInstanceIds, "new workers, from the new fleet");
  const ids = [second.masterInstanceId, ...(second.workerInstanceIds as string[])] as string[];
  const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
  const subnets = new Set((described.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.SubnetId));
  assert.deepEqual([...subnets], [props.vpc.subnetIds[1]], "the whole cluster now runs in the next subnet");
  await driver.destroy(() => {});
  assert.equal(await driver.resourceCount(), 0);
  driver = undefined;
});
