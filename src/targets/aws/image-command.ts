// `npm run vpc -- image [--spark <v>] [--arch x86_64|arm64] [--instance-type <t>] [--prune [--yes]]`:
// bake the node image of the current node role (image-builder.ts) in the deployed VPC, or list and
// prune the old ones. Ctrl-C stops the wait; the builder is terminated all the same.

import { EC2Client } from "@aws-sdk/client-ec2";
import { artifactsBucketUrl, mavenCentral, nodeArtifacts, nodeDownloads } from "../../../stacks/aws/artifacts.ts";
import { nodeRoleHash, renderBakeBootstrap } from "../../../stacks/aws/bootstrap.ts";
import { type Architecture, instanceArchitecture } from "../../../stacks/aws/node-image-lookup.ts";
import { describeSupportedSparkVersions, SUPPORTED_SPARK_VERSIONS } from "../../../stacks/shared/spark-versions.ts";
import { badInput, ExitCode } from "../../errors.ts";
import type { ConsulStore, Params } from "../../params/index.ts";
import { ec2ConsoleReader } from "./host-key.ts";
import { buildNodeImage, pruneNodeImages } from "./image-builder.ts";
import { requireVpcOutputs } from "./vpc-outputs.ts";

export interface ImageCommandOptions {
  readonly params: Params;
  readonly consul?: ConsulStore;
  readonly spark?: string;
  readonly arch?: string;
  readonly instanceType?: string;
  readonly prune: boolean;
  readonly yes: boolean;
  /** How long the builder's install steps may take; default aws/bootMinutes. */
  readonly waitMs?: number;
  readonly pollMs?: number;
  readonly log?: (line: string) => void;
}

/** An instance type of each architecture for the builder when the default one is of the other. */
const builderTypes: Record<Architecture, string> = { x86_64: "m5.large", arm64: "m7g.large" };

export async function imageCommand(options: ImageCommandOptions): Promise<number> {
  const { params } = options;
  const log = options.log ?? ((line: string) => console.log(line));
  const ec2 = new EC2Client({ region: params.aws.region, maxAttempts: 3 });
  try {
    if (options.prune) {
      await pruneNodeImages({
        ec2,
        consul: options.consul,
        prefix: params.prefix,
        vpcName: params.aws.vpcName,
        yes: options.yes,
        log,
      });
      return ExitCode.ok;
    }
    const sparkVersion = options.spark ?? params.defaults.spark;
    if (!SUPPORTED_SPARK_VERSIONS.includes(sparkVersion)) {
      throw badInput(`--spark ${sparkVersion} is not a Spark version burst supports`, {
        hint: `one of ${describeSupportedSparkVersions()}`,
      });
    }
    const defaultType = params.defaults.masterInstanceType;
    const architecture = (options.arch ?? instanceArchitecture(options.instanceType ?? defaultType)) as Architecture;
    if (architecture !== "x86_64" && architecture !== "arm64") {
      throw badInput(`--arch ${architecture} is not an architecture burst bakes for`, { hint: "x86_64 or arm64" });
    }
    const instanceType =
      options.instanceType ??
      (instanceArchitecture(defaultType) === architecture ? defaultType : builderTypes[architecture]);
    if (instanceArchitecture(instanceType) !== architecture) {
      throw badInput(`--instance-type ${instanceType} is not an ${architecture} type`);
    }
    const vpc = requireVpcOutputs(params);
    const subnetId = vpc.subnetIds[0];
    if (subnetId === undefined) throw badInput(`VPC ${params.aws.vpcName} has no subnets`);
    const artifacts = nodeArtifacts(sparkVersion, { mavenRepo: mavenCentral, architecture });
    const bucket = vpc.artifactsBucket;
    if (params.aws.downloads !== "mirror" && !bucket) {
      throw badInput(`VPC ${params.aws.vpcName} has no artifacts bucket, and aws/downloads is "bucket"`, {
        keyPath: `vpc/${params.aws.vpcName}/artifactsBucket`,
        hint: "npm run vpc -- deploy --yes creates it; then npm run vpc -- stage",
      });
    }
    const downloads = nodeDownloads(
      artifacts,
      params.aws.downloads === "mirror" || !bucket
        ? { kind: "mirror" }
        : { kind: "bucket", url: artifactsBucketUrl(bucket, params.aws) },
    );
    const waitMs = options.waitMs ?? params.aws.bootMinutes * 60_000;
    const userData = renderBakeBootstrap({
      sparkVersion,
      region: params.aws.region,
      s3Endpoint: params.aws.s3Endpoint,
      downloads,
      sshUser: params.aws.sshUser,
      // Past the CLI's own wait: the builder stops itself only when the CLI is gone.
      ttlMinutes: Math.ceil(waitMs / 60_000) + 30,
    });
    const roleHash = nodeRoleHash();
    log(
      `Baking the node image: Spark ${sparkVersion}, ${architecture}, node role ${roleHash}, VPC "${params.aws.vpcName}"`,
    );
    const stop = new AbortController();
    const onSignal = () => {
      log("interrupted: terminating the builder");
      stop.abort();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    try {
      const image = await buildNodeImage({
        ec2,
        consul: options.consul,
        prefix: params.prefix,
        vpcName: params.aws.vpcName,
        sparkVersion,
        architecture,
        instanceType,
        baseImageId: params.aws.baseAmi,
        subnetId,
        securityGroupId: vpc.securityGroupId,
        instanceProfileName: vpc.instanceProfileName,
        userData,
        roleHash,
        diskGb: params.defaults.diskGb,
        waitMs,
        pollMs: options.pollMs,
        readConsole: ec2ConsoleReader(ec2),
        log,
        signal: stop.signal,
      });
      log(`Baked ${image.imageId}. Its EBS snapshot is billed monthly; npm run vpc -- image --prune lists old ones.`);
      return ExitCode.ok;
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  } finally {
    ec2.destroy();
  }
}
