// Infrastructure parameters: what ops configure once (config/*.yml -> Consul KV) and every
// burst reads at synthesis. Keys are "<prefix><section>/<name>", e.g. "burst/aws/region".
// Each target's sections and their types are its own (src/targets/<name>/params.ts).

import type { TargetName, targetParamSections } from "../targets/names.ts";
import type { SectionValues } from "./section.ts";

/** Where a parameter's effective value came from, in precedence order (first wins). */
export type ParamSourceKind = "flag" | "env" | "spec" | "consul" | "file" | "default";

export interface ParamProvenance {
  readonly source: ParamSourceKind;
  /** Human pointer: "--region", "BURST_AWS_REGION", "consul:burst/aws/region", "config/aws.yml:3". */
  readonly where: string;
}

/** Spec defaults that ops set centrally (burst/defaults/...). */
export interface SpecDefaults {
  readonly results: string;
  readonly workers: number;
  readonly masterInstanceType: string;
  readonly workerInstanceType: string;
  readonly spark: string;
  readonly ttlMinutes: number;
  readonly diskGb: number;
}

/** The values of every target's sections, by their name: aws, vpcConfig, vpc (present once published), local. */
export type TargetParams = UnionToIntersection<
  { [T in TargetName]: SectionValues<(typeof targetParamSections)[T]> }[TargetName]
>;

// The targets' sections joined into one type: { aws } | { local } -> { aws } & { local }.
type UnionToIntersection<U> = (U extends unknown ? (union: U) => void : never) extends (all: infer I) => void
  ? I
  : never;

/** Every parameter: the shared sections and each target's (TargetParams: params.aws, params.local...). */
export type Params = TargetParams & {
  readonly prefix: string;
  readonly defaults: SpecDefaults;
  /** Optional webhook for run summaries. Secret: masked in every output. */
  readonly notifyWebhook?: string;
  /** Provenance of every leaf, keyed by the key relative to the prefix ("aws/region"). */
  readonly provenance: ReadonlyMap<string, ParamProvenance>;
};
