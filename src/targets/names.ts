// The targets burst knows, by name: the one list the spec schema, the CLI and the scripts check
// against. A target's code is in ./index.ts, loaded lazily by this name.

export const targetNames = ["local", "aws"] as const;
export type TargetName = (typeof targetNames)[number];

export function isTargetName(value: string): value is TargetName {
  return (targetNames as readonly string[]).includes(value);
}

/** The names quoted and joined, for messages: "local" or "aws". */
export const targetNameList = targetNames.map((name) => `"${name}"`).join(" or ");
