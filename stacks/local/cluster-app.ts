import { join } from "node:path";
import { App } from "cdktf";
import type { ClusterSynth } from "../contract.ts";
import { type LocalClusterProps, LocalClusterStack } from "./local-cluster-stack.ts";

export { localS3Region } from "./s3-region.ts";

export const clusterStackId = "cluster";

/** Synthesizes one run's local cluster stack into `outdir` (the local target's only door to CDKTF). */
export function synthLocalCluster(props: LocalClusterProps, outdir: string): ClusterSynth {
  // CDKTF's only validation here runs `terraform version` for every terraform_data (~50 ms each)
  // and fails where burst runs OpenTofu; the lifecycle has already found the binary.
  const app = new App({ outdir, skipValidation: true });
  const stack = new LocalClusterStack(app, clusterStackId, props);
  app.synth();
  return { stackDir: join(outdir, "stacks", clusterStackId), resourceCount: stack.resourceCount };
}
