import { readFileSync } from "node:fs";
import { join } from "node:path";
import { App } from "cdktf";
import type { ClusterSynth } from "../contract.ts";
import { type SparkClusterProps, SparkClusterStack } from "./spark-cluster-stack.ts";

export const clusterStackId = "cluster";

/**
 * Synthesizes one run's cluster stack into `outdir` (the engine's only door to CDKTF for aws).
 * Synthesizing again into the same folder rewrites cdk.tf.json and leaves terraform's state and
 * working files alone: that is how a capacity retry changes the cluster before the next apply.
 */
export function synthSparkCluster(props: SparkClusterProps, outdir: string): ClusterSynth {
  // CDKTF's only validation here runs `terraform version` for the terraform_data (the capacity
  // attempt) and fails where burst runs OpenTofu; the lifecycle has already found the binary.
  const app = new App({ outdir, skipValidation: true });
  new SparkClusterStack(app, clusterStackId, props);
  app.synth();
  const stackDir = join(outdir, "stacks", clusterStackId);
  const config = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8")) as {
    resource?: Record<string, Record<string, unknown>>;
  };
  const resourceCount = Object.values(config.resource ?? {}).reduce(
    (sum, byName) => sum + Object.keys(byName).length,
    0,
  );
  return { stackDir, resourceCount };
}
