// The spec module: spark.yml -> validated, defaulted Spec.

export { describeSpec } from "./describe.ts";
export { SpecError, type SpecIssue } from "./issues.ts";
export { type LoadOptions, loadSpec, parseSpec } from "./load.ts";
export { renderSpecReference } from "./reference.ts";
export type * from "./types.ts";
