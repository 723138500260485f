// What each target is before it loads: its name and the parameter sections it reads, apart from
// the registry (./index.ts) that loads its code. The spec's types need the names and the
// parameters need the sections, while the registry's types need both (through the contract).
// A new target is one line here and its loader in ./index.ts (the compiler checks both cover
// the same names). Each target's sections are plain data in src/targets/<name>/params.ts.

import { awsParamSections } from "./aws/params.ts";
import { localParamSections } from "./local/params.ts";

/** Each target's parameter sections (besides the shared `defaults` and `notify`), by name. */
export const targetParamSections = {
  local: localParamSections,
  aws: awsParamSections,
} as const;

export type TargetName = keyof typeof targetParamSections;

export const targetNames = Object.keys(targetParamSections) as readonly TargetName[];
