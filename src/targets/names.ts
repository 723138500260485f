// The names of the targets burst knows, apart from the registry (./index.ts) that loads them: the
// spec's types need the names, and the registry's types need the spec's (through the contract).

export const targetNames = ["local", "aws"] as const;

export type TargetName = (typeof targetNames)[number];
