import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket/index.js";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls/index.js";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy/index.js";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block/index.js";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js";
import { Construct } from "constructs";

export interface ArtifactsBucketProps {
  /** The VPC's name (aws/vpcName). */
  readonly name: string;
  /** The VPC's S3 gateway endpoint: the only way in for reads. */
  readonly s3EndpointId: string;
}

/** An S3 bucket name prefix (at most 37 characters: terraform appends 26) from the VPC's name. */
export function artifactsBucketPrefix(vpcName: string): string {
  return `burst-${vpcName
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .slice(0, 20)}-artifacts-`;
}

/** The bucket policy: objects readable by anyone, but only through the VPC's S3 gateway endpoint. */
export function artifactsReadPolicy(bucketArn: string, s3EndpointId: string) {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "NodesReadThroughTheVpcEndpoint",
        Effect: "Allow",
        Principal: "*",
        Action: "s3:GetObject",
        Resource: `${bucketArn}/*`,
        Condition: { StringEquals: { "aws:SourceVpce": s3EndpointId } },
      },
    ],
  };
}

/**
 * Where Spark and the s3a jars are staged once per region (`npm run vpc -- stage`), so nodes
 * fetch them from inside AWS (free through the gateway endpoint, no internet mirror at boot).
 * Private and encrypted; nodes read it with plain unsigned HTTPS, which the bucket policy allows
 * only from this VPC's endpoint: no credentials and no AWS CLI needed on a node. Its contents
 * can be staged again any time, so destroying the VPC empties it.
 */
export class ArtifactsBucket extends Construct {
  readonly bucket: S3Bucket;

  constructor(scope: Construct, id: string, props: ArtifactsBucketProps) {
    super(scope, id);
    this.bucket = new S3Bucket(this, "bucket", {
      bucketPrefix: artifactsBucketPrefix(props.name),
      forceDestroy: true,
    });
    new S3BucketOwnershipControls(this, "ownership", {
      bucket: this.bucket.id,
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket: this.bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    });
    // An aws:SourceVpce condition makes the policy non-public, so blocking public policies stays on.
    const publicAccess = new S3BucketPublicAccessBlock(this, "public_access", {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketPolicy(this, "read_through_endpoint", {
      bucket: this.bucket.id,
      policy: JSON.stringify(artifactsReadPolicy(this.bucket.arn, props.s3EndpointId)),
      dependsOn: [publicAccess],
    });
  }
}
