// The spec module: spark.yml -> validated, defaulted Spec.

export { describeSpec } from "./describe.ts";
export { environmentsOf, overlayFiles } from "./environments.ts";
export { SpecError, type SpecIssue } from "./issues.ts";
export { isLegacySpec, type LegacyTranslation, translateLegacy } from "./legacy.ts";
export { type LoadOptions, loadSpec, parseSpec } from "./load.ts";
export { renderSpecReference } from "./reference.ts";
export type * from "./types.ts";
export { resolveWebhook } from "./webhook.ts";
