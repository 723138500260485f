// What a parameter and a section of them are: a leaf (key, codec, default, environment variable,
// config file, who writes it) and a section (the leaves under one key segment). The engine's own
// sections are in ./schema.ts; each target declares its own in src/targets/<name>/params.ts.

import { isSecretKey } from "../util/redact.ts";
import type { Codec } from "./codecs.ts";

/**
 * Who writes a key into Consul. `npm run config:push --prune` only removes keys the files own;
 * the others are written by a long-lived stack (the VPC stack) or by an operator (secrets never
 * live in git).
 */
export type KeyOwner = "files" | "stack" | "operator";

/** A long-lived stack that writes a published section: "the VPC stack" writes "the VPC outputs" by "npm run vpc -- deploy". */
export interface Publisher {
  /** What people call the stack, in messages: "the VPC stack". */
  readonly name: string;
  /** What people call what it writes: "the VPC outputs". */
  readonly what: string;
  readonly command: string;
}

export interface Leaf<T, Required extends boolean = boolean> {
  /** Relative to the prefix: "aws/region". */
  readonly key: string;
  readonly codec: Codec<T>;
  /** Optional leaves resolve to undefined when absent or set to "". */
  readonly required: Required;
  /** Built-in default, the last source consulted. */
  readonly fallback?: T;
  readonly env: string;
  /** Config file (in config/) whose YAML declares this key. */
  readonly file: string;
  readonly owner: KeyOwner;
  /** For a stack's key: what the stack publishes and the command that writes it. */
  readonly publisher?: Publisher;
  readonly secret: boolean;
  /** The bucket a spec on this leaf's target names as s3://${data}/ or s3://${results}/. */
  readonly names?: NamedBucket;
}

/** The buckets a spec names without knowing them: s3://${data}/, s3://${results}/. */
export type NamedBucket = "data" | "results";

// biome-ignore lint/suspicious/noExplicitAny: a leaf of any value type.
export type AnyLeaf = Leaf<any>;
export type LeafValue<L> = L extends Leaf<infer T, true> ? T : L extends Leaf<infer T, false> ? T | undefined : never;

/** The leaves of a section typed as `T`: a required field is a required leaf, an optional one an optional leaf. */
export type LeavesOf<T> = 0 extends 1 & T
  ? Readonly<Record<string, AnyLeaf>> // T is any: a section of any type
  : { readonly [K in keyof T]-?: Leaf<Exclude<T[K], undefined>, undefined extends T[K] ? false : true> };

/** BURST_<SECTION>_<KEY> in screaming snake case: aws/vpcName -> BURST_AWS_VPC_NAME. */
export const envNameFor = (key: string): string =>
  `BURST_${key
    .split("/")
    .map((segment) =>
      segment
        .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
        .replace(/-/g, "_")
        .toUpperCase(),
    )
    .join("_")}`;

export interface LeafOptions<T> {
  readonly fallback?: T;
  readonly env?: string;
  readonly owner?: KeyOwner;
  readonly publisher?: Publisher;
  readonly secret?: boolean;
  readonly names?: NamedBucket;
}

/** The leaf constructors of one config file: `need` a required leaf, `maybe` an optional one. */
export function leavesIn(file: string) {
  function leaf<T, R extends boolean>(required: R, key: string, codec: Codec<T>, options: LeafOptions<T>): Leaf<T, R> {
    return {
      key,
      codec,
      required,
      fallback: options.fallback,
      env: options.env ?? envNameFor(key),
      file,
      owner: options.owner ?? "files",
      publisher: options.publisher,
      secret: options.secret ?? isSecretKey(key),
      ...(options.names ? { names: options.names } : {}),
    };
  }
  return {
    need: <T>(key: string, codec: Codec<T>, options: LeafOptions<T> = {}) => leaf(true, key, codec, options),
    maybe: <T>(key: string, codec: Codec<T>, options: LeafOptions<T> = {}) => leaf(false, key, codec, options),
  };
}

/** A section of fixed keys, <key>/<leaf>: "aws/region". Resolved on every run, whichever the target. */
export interface FixedSection<T> {
  readonly kind: "fixed";
  /** The keys' first segment: "vpc-config". */
  readonly key: string;
  /** Config file (in config/) declaring it. */
  readonly file: string;
  readonly leaves: LeavesOf<T>;
}

/**
 * A section a long-lived stack publishes under a name another parameter picks:
 * vpc/<aws/vpcName>/vpcId. Required by the targets that declare it when they run, ignored by the
 * others (a half-written one must not block them); without a target, read when present.
 */
export interface PublishedSection<T> {
  readonly kind: "published";
  /** The keys' first segment: "vpc". */
  readonly key: string;
  readonly file: string;
  /** The key whose value names the instance read: "aws/vpcName". */
  readonly nameKey: string;
  /** The leaf names, for "did you mean" and the reference: vpcId, subnetIds... */
  readonly names: readonly (keyof T & string)[];
  readonly leaves: (name: string) => LeavesOf<T>;
  readonly publisher: Publisher;
  /** The hint when a target needs it and none is there: "run `npm run vpc -- deploy` to create the VPC and publish its outputs". */
  readonly missingHint: string;
}

// biome-ignore lint/suspicious/noExplicitAny: a section of any value type.
export type AnyPublishedSection = PublishedSection<any>;
// biome-ignore lint/suspicious/noExplicitAny: a section of any value type.
export type AnySection = FixedSection<any> | AnyPublishedSection;

/** Sections by the name their values have in Params: { aws: …, vpcConfig: …, vpc: … }. */
export type ParamSections = Readonly<Record<string, AnySection>>;

/** The values of sections: a fixed section's always, a published one's when present. */
export type SectionValues<S extends ParamSections> = {
  readonly [P in keyof S as S[P] extends Published ? never : P]: S[P] extends FixedSection<infer T> ? T : never;
} & {
  readonly [P in keyof S as S[P] extends Published ? P : never]?: S[P] extends PublishedSection<infer T> ? T : never;
};
type Published = { readonly kind: "published" };

/** A section's leaves, for a published one those of the instance `name`. */
export const leavesOf = (section: AnySection, name: string): Readonly<Record<string, AnyLeaf>> =>
  section.kind === "fixed" ? section.leaves : section.leaves(name);

type LeafConstructors = ReturnType<typeof leavesIn>;

/** A fixed section whose leaves `build` makes, each declared in `file`. */
export function fixedSection<T>(
  key: string,
  file: string,
  build: (leaf: LeafConstructors) => LeavesOf<T>,
): FixedSection<T> {
  return { kind: "fixed", key, file, leaves: build(leavesIn(file)) };
}

/** A published section whose leaves for one instance `build` makes, each owned by the stack that publishes it. */
export function publishedSection<T>(
  declared: Omit<PublishedSection<T>, "kind" | "leaves">,
  build: (leaf: LeafConstructors, name: string) => LeavesOf<T>,
): PublishedSection<T> {
  const { need, maybe } = leavesIn(declared.file);
  const owned = <V>(options: LeafOptions<V>): LeafOptions<V> => ({
    owner: "stack",
    publisher: declared.publisher,
    ...options,
  });
  const leaf: LeafConstructors = {
    need: (key, codec, options = {}) => need(key, codec, owned(options)),
    maybe: (key, codec, options = {}) => maybe(key, codec, owned(options)),
  };
  return { kind: "published", ...declared, leaves: (name) => build(leaf, name) };
}
