// Every parameter burst knows: the shared sections (defaults, notify) declared here, and each
// target's, declared by the target (src/targets/<name>/params.ts) and listed by the registry
// (src/targets/names.ts). Lookup by key, "did you mean" and the secrets all read this one list.

import { type TargetName, targetParamSections } from "../targets/names.ts";
import { isSecretKey } from "../util/redact.ts";
import { httpUrl, instanceType, integer, s3Uri, simpleName, sparkVersion } from "./codecs.ts";
import { type AnyLeaf, type AnySection, fixedSection, leavesOf } from "./section.ts";
import type { Params, SpecDefaults } from "./types.ts";

export { type AnyLeaf, envNameFor, type KeyOwner, type Leaf, type LeafValue } from "./section.ts";

const defaultsSection = fixedSection<SpecDefaults>("defaults", "defaults.yml", ({ need }) => ({
  // ${results}: the target's results bucket (local/resultsBucket, or the VPC's resultsBucket on aws).
  results: need("defaults/results", s3Uri, { fallback: "s3://${results}/runs/" }),
  workers: need("defaults/workers", integer(1, 1000), { fallback: 2 }),
  masterInstanceType: need("defaults/masterInstanceType", instanceType, { fallback: "m5.xlarge" }),
  workerInstanceType: need("defaults/workerInstanceType", instanceType, { fallback: "m5.xlarge" }),
  spark: need("defaults/spark", sparkVersion, { fallback: "3.5.3" }),
  ttlMinutes: need("defaults/ttlMinutes", integer(5, 7 * 24 * 60), { fallback: 120 }),
  diskGb: need("defaults/diskGb", integer(8, 16_384), { fallback: 50 }),
}));
export const defaultsLeaves = defaultsSection.leaves;

const notifySection = fixedSection<{ readonly webhook?: string }>("notify", "defaults.yml", ({ maybe }) => ({
  // Set by an operator in Consul or the environment, never committed: prune keeps it.
  webhook: maybe("notify/webhook", httpUrl, { owner: "operator", secret: true }),
}));
export const notifyLeaves = notifySection.leaves;

/** The sections every target reads, whatever it is. */
export const sharedSections = { defaults: defaultsSection, notify: notifySection } as const;

/** A section and the name of its values in Params ("vpcConfig"), with the target that declares it. */
export interface DeclaredSection {
  readonly property: string;
  readonly section: AnySection;
  /** Undefined for a shared section. */
  readonly target?: TargetName;
}

/** Every section, in the order people read them (defaults, each target's, notify); each declared once (test/params/schema.test.ts). */
const declared: readonly DeclaredSection[] = [
  { property: "defaults", section: defaultsSection },
  ...(Object.entries(targetParamSections) as [TargetName, Record<string, AnySection>][]).flatMap(([target, sections]) =>
    Object.entries(sections).map(([property, section]) => ({ property, section, target })),
  ),
  { property: "notify", section: notifySection },
];

/** Every section (defaults, each target's, notify); with a target, the shared ones and that target's. */
export function sectionsOf(target?: TargetName): readonly DeclaredSection[] {
  return declared.filter((entry) => target === undefined || entry.target === undefined || entry.target === target);
}

const fixedByKey = new Map(
  declared.flatMap(({ section }) =>
    section.kind === "fixed"
      ? Object.values(section.leaves as Record<string, AnyLeaf>).map((leaf) => [leaf.key, leaf] as const)
      : [],
  ),
);
const published = declared.flatMap(({ section }) => (section.kind === "published" ? [section] : []));

/** Who writes the published sections, for messages: "the VPC stack". */
export const publisherNames = (): readonly string[] => [...new Set(published.map((section) => section.publisher.name))];

/** Every fixed key, and each published one with <name> for its instance: for "did you mean" and documentation. */
export const knownKeys = (): readonly string[] => [
  ...fixedByKey.keys(),
  ...published.flatMap((section) => section.names.map((name) => `${section.key}/<name>/${name}`)),
];

/** The leaf describing a stored key, or undefined for a key burst does not know. */
export function leafForKey(key: string): AnyLeaf | undefined {
  const fixed = fixedByKey.get(key);
  if (fixed) return fixed;
  const [root, name, leaf, ...rest] = key.split("/");
  const section = published.find((candidate) => candidate.key === root);
  if (!section || !name || !leaf || rest.length > 0 || !simpleName.decode(name).ok) return undefined;
  const leaves = leavesOf(section, name);
  return Object.hasOwn(leaves, leaf) ? leaves[leaf] : undefined;
}

/** The folder of the published instance `key` is in: "vpc/main/vpcId" -> "vpc/main/"; undefined for other keys. */
export function publishedFolderOf(key: string): string | undefined {
  const [root, name, ...rest] = key.split("/");
  return published.some((section) => section.key === root) && name && rest.length > 0 ? `${root}/${name}/` : undefined;
}

/** The resolved value of a fixed key: "aws/vpcName" -> params.aws.vpcName. */
export function valueOfKey(params: Params, key: string): unknown {
  for (const { property, section } of declared) {
    if (section.kind !== "fixed") continue;
    for (const [name, leaf] of Object.entries(section.leaves as Record<string, AnyLeaf>)) {
      if (leaf.key === key)
        return ((params as Record<string, unknown>)[property] as Record<string, unknown> | undefined)?.[name];
    }
  }
  return undefined;
}

/** Secret values are masked in every output: by schema, or by a key name that says so. */
export const isSecretParam = (key: string): boolean =>
  leafForKey(key)?.secret === true || isSecretKey(key) || /webhook/i.test(key);
