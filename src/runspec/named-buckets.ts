// What s3://${data}/ and s3://${results}/ stand for on each target: a bucket the user need not
// name, so an example runs unchanged on a fresh account (aws: the VPC's own, named with the
// account and region) and on this machine (local: the local S3 server's, which it creates).
// Which parameters those are, each target's sections say (a leaf marked `names`).

import { sectionsOf, valueOfKey } from "../params/schema.ts";
import { type AnyLeaf, leavesOf, type NamedBucket } from "../params/section.ts";
import type { Params } from "../params/types.ts";
import type { NamedBuckets, TargetName } from "./types.ts";

interface Found {
  readonly value?: string;
  readonly leaf: AnyLeaf;
}

/** The target's named buckets, from the resolved parameters. */
export function namedBucketsOf(params: Params): (target: TargetName) => NamedBuckets {
  const values = params as unknown as Readonly<Record<string, Readonly<Record<string, unknown>> | undefined>>;
  return (target) => {
    const found: Partial<Record<NamedBucket, Found>> = {};
    for (const { property, section } of sectionsOf(target)) {
      // A published section's instance is named by another leaf (aws/vpcName).
      const instance = section.kind === "published" ? String(valueOfKey(params, section.nameKey) ?? "") : "";
      for (const [field, leaf] of Object.entries(leavesOf(section, instance))) {
        if (!leaf.names) continue;
        const value = values[property]?.[field];
        found[leaf.names] = { leaf, value: typeof value === "string" && value !== "" ? value : undefined };
      }
    }
    const { data, results } = found;
    if (!data || !results) throw new Error(`target ${target} declares no \${data} and \${results} buckets`);
    const publisher = data.leaf.publisher ?? results.leaf.publisher;
    return {
      data: data.value,
      results: results.value,
      params: { data: data.leaf.key, results: results.leaf.key },
      hint: publisher
        ? `run \`${publisher.command} --yes\` (it creates the buckets and publishes them), or write the bucket's name`
        : `set them in config/${data.leaf.file}`,
    };
  };
}
