// The registry: every target burst knows, by name. The spec schema, the CLI, the parameters and
// the scripts read their target lists from here; a new target is one line below and its name in
// ./names.ts (the registry must cover every name: the compiler checks). A target's code
// loads only when it is used: the aws one pulls in the AWS SDK and provider bindings, which are
// large, and `burst --help` or `validate` loads none.
import type { Target } from "./contract.ts";
import { type TargetName, targetNames } from "./names.ts";

export { type TargetName, targetNames };

/** Parameter sections (src/params/schema.ts) a target reads besides `defaults` and `notify`. */
export type TargetParamSection = "aws" | "vpcConfig" | "vpc" | "local";

interface Registration {
  /** The target's parameters: `vpc` ones are required when it runs, and ignored by targets that do not read them. */
  readonly params: readonly TargetParamSection[];
  readonly load: () => Promise<Target>;
}

const registry = {
  local: { params: ["local"], load: async () => (await import("./local/target.ts")).localTarget },
  aws: { params: ["aws", "vpcConfig", "vpc"], load: async () => (await import("./aws/target.ts")).awsTarget },
} as const satisfies Record<TargetName, Registration>;

export function isTargetName(value: string): value is TargetName {
  return Object.hasOwn(registry, value);
}

/** The names quoted and joined, for messages: "local" or "aws". */
export const targetNameList = targetNames.map((name) => `"${name}"`).join(" or ");

export function loadTarget(name: TargetName): Promise<Target> {
  return registry[name].load();
}

/** Whether `target` reads the parameters of `section`. */
export function targetReadsParams(target: TargetName, section: TargetParamSection): boolean {
  return (registry[target].params as readonly TargetParamSection[]).includes(section);
}
