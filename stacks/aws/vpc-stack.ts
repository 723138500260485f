import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { AwsParams, VpcConfig, VpcOutputs } from "../../src/targets/aws/params.ts";
import { type AwsApiEndpoints, awsProvider } from "./provider.ts";
import { stateLocation, useStateBackend } from "./state-backend.ts";
import { tagKeys } from "./tags.ts";
import { ArtifactsBucket } from "./vpc/artifacts-bucket.ts";
import { ClusterSecurityGroup } from "./vpc/cluster-security-group.ts";
import { JobBuckets } from "./vpc/job-buckets.ts";
import { Network } from "./vpc/network.ts";
import { NodeInstanceProfile } from "./vpc/node-instance-profile.ts";

export interface VpcStackProps {
  readonly params: AwsParams;
  readonly vpcConfig: VpcConfig;
  /** Folder for the state file when no state bucket is configured. */
  readonly localStateDir: string;
  /** AWS API endpoints other than AWS's own (AWS_ENDPOINT_URL*); absent for real AWS. */
  readonly endpoints?: AwsApiEndpoints;
}

/**
 * The long-lived network every burst cluster in a region launches into, managed by ops: a VPC
 * across `azCount` zones, the cluster security baseline, the nodes' instance profile and the
 * bucket nodes download Spark from (staged by `npm run vpc -- stage`), and the account's data and
 * results buckets a spec names as s3://${data}/ and s3://${results}/. Its outputs are what `burst/vpc/<vpcName>/...` holds in Consul. Carries no run id, so no sweeper
 * ever deletes it.
 */
export class VpcStack extends TerraformStack {
  readonly outputs: VpcOutputs;

  constructor(scope: Construct, id: string, props: VpcStackProps) {
    super(scope, id);
    const name = props.params.vpcName;
    useStateBackend(
      this,
      stateLocation(props.params, `vpc/${name}/terraform.tfstate`, props.localStateDir),
      props.endpoints,
    );
    awsProvider(
      this,
      props.params.region,
      { [tagKeys.vpc]: name, "burst:managed-by": "burst vpc stack" },
      props.endpoints,
    );

    const network = new Network(this, "network", { ...props.vpcConfig, name, region: props.params.region });
    const cluster = new ClusterSecurityGroup(this, "cluster", {
      name,
      vpcId: network.vpc.id,
      sshAllowedCidrs: props.params.sshAllowedCidrs,
    });
    const jobs = new JobBuckets(this, "jobs", { name, region: props.params.region });
    const nodes = new NodeInstanceProfile(this, "nodes", {
      name,
      region: props.params.region,
      buckets: props.params.buckets,
      ownBuckets: [jobs.buckets.data.bucket, jobs.buckets.results.bucket],
    });
    const artifacts = new ArtifactsBucket(this, "artifacts", { name, s3EndpointId: network.s3Endpoint.id });

    this.outputs = {
      vpcId: network.vpc.id,
      subnetIds: network.publicSubnets.map((subnet) => subnet.id),
      securityGroupId: cluster.group.id,
      instanceProfileName: nodes.profile.name,
      artifactsBucket: artifacts.bucket.bucket,
      dataBucket: jobs.buckets.data.bucket,
      resultsBucket: jobs.buckets.results.bucket,
    };
    for (const [outputName, value] of Object.entries(this.outputs)) {
      new TerraformOutput(this, outputName, { value });
    }
    new TerraformOutput(this, "privateSubnetIds", { value: network.privateSubnets.map((subnet) => subnet.id) });
    new TerraformOutput(this, "nodeRoleArn", { value: nodes.role.arn });
    new TerraformOutput(this, "region", { value: props.params.region });
  }
}
