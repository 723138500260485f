// The registry: every target burst knows, by name. The spec schema, the CLI, the parameters and
// the scripts read their target lists from here; a new target is one line below and one in
// ./names.ts, its name and parameter sections (the registry must cover every name: the compiler
// checks). A target's code loads only when it is used: the aws one pulls in the AWS SDK and
// provider bindings, which are large, and `burst --help` or `validate` loads none.
import type { Target } from "./contract.ts";
import { type TargetName, targetNames } from "./names.ts";

export { type TargetName, targetNames };

/** How to load each target's code. */
const registry = {
  local: async () => (await import("./local/target.ts")).localTarget,
  aws: async () => (await import("./aws/target.ts")).awsTarget,
} as const satisfies Record<TargetName, () => Promise<Target>>;

export function isTargetName(value: string): value is TargetName {
  return Object.hasOwn(registry, value);
}

/** The names quoted and joined, for messages: "local" or "aws". */
export const targetNameList = targetNames.map((name) => `"${name}"`).join(" or ");

export function loadTarget(name: TargetName): Promise<Target> {
  return registry[name]();
}
