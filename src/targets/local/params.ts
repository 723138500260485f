// The local target's parameters (local/...): how big each local Spark worker is and the local S3
// server's buckets. Plain data, loaded by every command that reads parameters.

import { bucketName, integer, sparkMemory } from "../../params/codecs.ts";
import { fixedSection, type ParamSections } from "../../params/section.ts";

/** burst/local/... */
export interface LocalParams {
  readonly workerCores: number;
  readonly workerMemory: string;
  /** The local S3 server's buckets a spec names as ${data} and ${results}. */
  readonly dataBucket: string;
  readonly resultsBucket: string;
}

const localSection = fixedSection<LocalParams>("local", "local.yml", ({ need }) => ({
  workerCores: need("local/workerCores", integer(1, 256), { fallback: 1 }),
  workerMemory: need("local/workerMemory", sparkMemory, { fallback: "1g" }),
  // The local S3 server's buckets a spec names as ${data} and ${results}; it creates them.
  dataBucket: need("local/dataBucket", bucketName, { fallback: "burst-data", names: "data" }),
  resultsBucket: need("local/resultsBucket", bucketName, { fallback: "burst-results", names: "results" }),
}));
export const localLeaves = localSection.leaves;

/** The local target's parameter sections, by their name in Params: params.local. */
export const localParamSections = { local: localSection } as const satisfies ParamSections;
