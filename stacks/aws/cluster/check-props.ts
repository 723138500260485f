import { badInput } from "../../../src/errors.ts";
import type { SparkClusterProps } from "../cluster-props.ts";
import { instanceArchitecture } from "./node-image.ts";

/** Refuses, at synthesis and with the spec's key, what EC2 would reject minutes later. */
export function checkClusterProps(props: SparkClusterProps): void {
  if (props.vpc.subnetIds.length === 0) {
    throw badInput(`VPC ${props.params.vpcName} has no subnets in its parameters`, {
      hint: `deploy it with \`npm run vpc -- deploy\` (it writes burst/vpc/${props.params.vpcName}/...)`,
    });
  }
  const masterSubnet = props.subnetIndex ?? 0;
  if (!Number.isInteger(masterSubnet) || masterSubnet < 0 || masterSubnet >= props.vpc.subnetIds.length) {
    throw new RangeError(`subnetIndex ${masterSubnet} is outside the VPC's ${props.vpc.subnetIds.length} subnets`);
  }
  if (!Number.isInteger(props.workers) || props.workers < 0) {
    throw badInput(`workers must be a whole number >= 0, got ${props.workers}`, { keyPath: "cluster.workers" });
  }
  if (!Number.isInteger(props.diskGb) || props.diskGb < 8 || props.diskGb > 16384) {
    throw badInput(`diskGb must be between 8 and 16384, got ${props.diskGb}`, { keyPath: "cluster.diskGb" });
  }
  if (!Number.isInteger(props.ttlMinutes) || props.ttlMinutes < 1) {
    throw badInput(`ttlMinutes must be a whole number >= 1, got ${props.ttlMinutes}`, {
      keyPath: "cluster.ttlMinutes",
    });
  }
  const masterArch = instanceArchitecture(props.masterInstanceType);
  const workerArch = instanceArchitecture(props.workerInstanceType);
  if (props.workers > 0 && masterArch !== workerArch) {
    throw badInput(
      `the master (${props.masterInstanceType}, ${masterArch}) and the workers (${props.workerInstanceType}, ${workerArch}) need one architecture: every node boots the same image`,
      {
        keyPath: "cluster.worker.instanceType",
        hint: "pick both from Graviton families (m7g, c7g, ...) or both from x86_64 ones",
      },
    );
  }
  if (props.spot && props.maxPrice !== undefined && !(props.maxPrice > 0)) {
    throw badInput(`maxPrice must be a positive USD amount, got ${props.maxPrice}`, {
      keyPath: "cluster.worker.maxPrice",
    });
  }
}
