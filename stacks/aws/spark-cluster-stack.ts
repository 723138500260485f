import { DataResource, Fn, LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { badInput } from "../../src/errors.ts";
import type { ClusterOutputs } from "../contract.ts";
import { artifactsBucketUrl, type DownloadOrigin, mavenCentral, nodeArtifacts, nodeDownloads } from "./artifacts.ts";
import { type NodeBootstrapInput, type NodeDownloads, nodeLayout } from "./bootstrap.ts";
import { capacityAttemptKey } from "./capacity.ts";
import { checkClusterProps } from "./cluster/check-props.ts";
import { instanceArchitecture, NodeImage } from "./cluster/node-image.ts";
import { RunAccess } from "./cluster/run-access.ts";
import { SparkMaster } from "./cluster/spark-master.ts";
import { SparkWorkers } from "./cluster/spark-workers.ts";
import type { SparkClusterProps } from "./cluster-props.ts";
import { masterAddressSeed } from "./master-address.ts";
import { awsProvider } from "./provider.ts";
import { runTags } from "./tags.ts";

export type { AwsClusterShape, SparkClusterProps } from "./cluster-props.ts";

/** Terraform outputs beyond the ClusterOutputs contract. */
export const awsExtraOutputNames = [
  "masterPrivateIp",
  "masterInstanceId",
  "workerInstanceIds",
  "runId",
  "availabilityZone",
  "subnetId",
] as const;

/**
 * One run's Spark cluster on EC2: an on-demand master and `workers` spot or on-demand workers,
 * all launched at once into one subnet (one AZ: shuffle never crosses zones), booting Spark from
 * a script, reachable over SSH from the caller only, tagged with the run, and gone by themselves
 * when the TTL runs out.
 */
export class SparkClusterStack extends TerraformStack {
  readonly outputs: ClusterOutputs;

  constructor(scope: Construct, id: string, props: SparkClusterProps) {
    super(scope, id);
    // One state per run, beside the stack in the run folder (CDKTF's default path is absolute to
    // the synthesizing process's cwd, which concurrent runs would share).
    new LocalBackend(this, { path: "terraform.tfstate" });
    checkClusterProps(props);
    const name = `burst-${resourceName(props.runId)}`;
    const tags = runTags(props, props.tags);
    awsProvider(this, props.params.region, tags, props.endpoints);

    const access = new RunAccess(this, "access", {
      name,
      vpcId: props.vpc.vpcId,
      callerCidr: props.callerCidr,
      sshAllowedCidrs: props.params.sshAllowedCidrs,
      sshPublicKey: props.sshPublicKey,
    });
    const node = {
      name,
      image: new NodeImage(this, "image", {
        imageId: props.params.bakedAmi || props.params.baseAmi,
        architecture: instanceArchitecture(props.masterInstanceType),
      }),
      instanceProfileName: props.vpc.instanceProfileName,
      keyName: access.keyPair.keyName,
      diskGb: props.diskGb,
      tags,
    };
    const securityGroupIds = [props.vpc.securityGroupId, access.securityGroup.id, access.membersGroup.id];
    const bootstrap = bootstrapSettings(props);

    const subnetId = props.vpc.subnetIds[props.subnetIndex ?? 0] ?? "";
    // EC2 cannot modify an instant fleet (ModifyFleet is refused), and the provider would modify one
    // for a new subnet or template version: a new capacity attempt replaces the fleet instead.
    const capacityAttempt = new DataResource(this, "capacity_attempt", {
      input: {
        attempt: capacityAttemptKey({
          spot: props.spot,
          subnetIndex: props.subnetIndex ?? 0,
          masterAddressAttempt: props.masterAddressAttempt,
        }),
      },
    });
    const master = new SparkMaster(this, "master", {
      node,
      instanceType: props.masterInstanceType,
      subnetId,
      securityGroupIds,
      bootstrap,
      addressSeed: masterAddressSeed(props.runId, props.masterAddressAttempt ?? 0),
    });
    const workers =
      props.workers > 0
        ? new SparkWorkers(this, "workers", {
            node,
            workers: props.workers,
            instanceType: props.workerInstanceType,
            spot: props.spot,
            maxPrice: props.maxPrice,
            subnetId,
            securityGroupIds,
            masterHost: master.privateIp,
            bootstrap,
            replacedBy: capacityAttempt,
          })
        : undefined;
    const workerInstanceIds = workers?.instanceIds ?? [];

    this.outputs = {
      masterHost: props.params.sshAddress === "private" ? master.privateIp : master.publicIp,
      sshPort: 22,
      sshUser: props.params.sshUser,
      // EC2 does not return host keys; the CLI reads them from the master's console output.
      hostKey: "",
      sparkMasterUrl: `spark://${master.privateIp}:${nodeLayout.masterPort}`,
      uiUrl: `http://localhost:${nodeLayout.masterUiPort}`,
      workDir: nodeLayout.workDir,
      sparkHome: nodeLayout.sparkHome,
      nodeIds: Fn.concat([[master.instanceId], workerInstanceIds]),
      placement: { availabilityZone: master.availabilityZone, subnetId },
    };
    const { placement, ...contractOutputs } = this.outputs;
    for (const [outputName, value] of Object.entries(contractOutputs)) {
      new TerraformOutput(this, outputName, { value });
    }
    new TerraformOutput(this, "availabilityZone", { value: placement?.availabilityZone });
    new TerraformOutput(this, "subnetId", { value: placement?.subnetId });
    new TerraformOutput(this, "masterPrivateIp", { value: master.privateIp });
    new TerraformOutput(this, "masterInstanceId", { value: master.instanceId });
    new TerraformOutput(this, "workerInstanceIds", { value: workerInstanceIds });
    new TerraformOutput(this, "runId", { value: props.runId });
  }
}

/** What every node's boot script needs to know, whatever its role. */
function bootstrapSettings(props: SparkClusterProps): Omit<NodeBootstrapInput, "role" | "masterHost"> {
  return {
    sparkVersion: props.sparkVersion,
    region: props.params.region,
    s3Endpoint: props.params.s3Endpoint,
    downloads: downloadsFor(props),
    bakedAmi: Boolean(props.params.bakedAmi),
    ttlMinutes: props.ttlMinutes,
    expiresAt: props.expiresAt,
    sshUser: props.params.sshUser,
    workerCores: props.workerCores,
    workerMemory: props.workerMemory,
    sparkConf: props.sparkConf,
  };
}

/** pyspark, the node's Python packages and the s3a jars from the VPC's artifacts bucket, or from PyPI and Maven Central when aws/downloads says so. */
function downloadsFor(props: SparkClusterProps): NodeDownloads {
  const artifacts = nodeArtifacts(props.sparkVersion, {
    mavenRepo: props.mavenRepo ?? mavenCentral,
    architecture: instanceArchitecture(props.masterInstanceType),
  });
  if (props.params.downloads === "mirror") return nodeDownloads(artifacts, { kind: "mirror" });
  const bucket = props.vpc.artifactsBucket;
  const url = props.artifactsUrl ?? (bucket ? artifactsBucketUrl(bucket, props.params) : undefined);
  if (url === undefined) {
    throw badInput(`VPC ${props.params.vpcName} has no artifacts bucket, and aws/downloads is "bucket"`, {
      keyPath: `vpc/${props.params.vpcName}/artifactsBucket`,
      hint: "npm run vpc -- deploy --yes creates it; then npm run vpc -- stage (or set aws.downloads: mirror)",
    });
  }
  const origin: DownloadOrigin = { kind: "bucket", url };
  return nodeDownloads(artifacts, origin);
}

/** AWS names (security group, key pair, launch template) allow letters, digits and ".-_". */
export function resourceName(runId: string): string {
  return runId.replace(/[^A-Za-z0-9._-]+/g, "-").slice(0, 100);
}
