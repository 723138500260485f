import type { TargetName } from "../spec/types.ts";
import type { Target } from "./contract.ts";

/** Targets load lazily: the aws one pulls in the AWS provider bindings, which are large. */
const targets: Record<TargetName, () => Promise<Target>> = {
  local: async () => (await import("./local/target.ts")).localTarget,
  aws: async () => (await import("./aws/target.ts")).awsTarget,
};

export function loadTarget(name: TargetName): Promise<Target> {
  return targets[name]();
}
