// Codecs turn a raw parameter (a string from Consul, a file or the environment; or a native
// value from a flag or the spec) into a typed value, or say in words what is wrong with it.

import { isIPv4, isIPv6 } from "node:net";

export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

export interface Codec<T> {
  /** What a valid value looks like, for messages: "an AWS region like eu-west-1". */
  readonly expected: string;
  decode(raw: unknown): Decoded<T>;
  /** The string stored in Consul for a typed value (lists as JSON). */
  encode(value: T): string;
}

const ok = <T>(value: T): Decoded<T> => ({ ok: true, value });
const bad = <T>(problem: string): Decoded<T> => ({ ok: false, problem });
const show = (raw: unknown): string => JSON.stringify(raw) ?? String(raw);

/** A string matching `test`; `test` returns a problem or undefined. */
export function text(expected: string, test: (value: string) => string | undefined = () => undefined): Codec<string> {
  return {
    expected,
    decode(raw) {
      if (typeof raw !== "string") return bad(`expected ${expected}, got ${typeof raw} ${show(raw)}`);
      const value = raw.trim();
      const problem = value === "" ? "must not be empty" : test(value);
      return problem === undefined
        ? ok(value)
        : bad(`${show(raw)} is not ${expected}${problem ? ` (${problem})` : ""}`);
    },
    encode: (value) => value,
  };
}

export const pattern = (expected: string, regex: RegExp): Codec<string> =>
  text(expected, (value) => (regex.test(value) ? undefined : ""));

/** One of a few words. */
export function oneOf<T extends string>(...words: readonly T[]): Codec<T> {
  const expected = words.map((word) => `"${word}"`).join(" or ");
  return {
    expected,
    decode(raw) {
      const value = typeof raw === "string" ? raw.trim() : raw;
      return words.includes(value as T) ? ok(value as T) : bad(`${show(raw)} is not ${expected}`);
    },
    encode: (value) => value,
  };
}

export function integer(min: number, max: number): Codec<number> {
  const expected = `a whole number from ${min} to ${max}`;
  return {
    expected,
    decode(raw) {
      const value =
        typeof raw === "number" ? raw : typeof raw === "string" && /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
      if (!Number.isInteger(value)) return bad(`${show(raw)} is not a whole number`);
      if (value < min || value > max) return bad(`${value} is out of range: expected ${expected}`);
      return ok(value);
    },
    encode: (value) => String(value),
  };
}

export const boolean: Codec<boolean> = {
  expected: "true or false",
  decode(raw) {
    if (typeof raw === "boolean") return ok(raw);
    const word = typeof raw === "string" ? raw.trim().toLowerCase() : "";
    if (word === "true") return ok(true);
    if (word === "false") return ok(false);
    return bad(`${show(raw)} is not true or false`);
  },
  encode: (value) => String(value),
};

/**
 * A list of strings, each checked by `item`. Stored as a JSON array; a comma-separated string
 * is accepted too, because that is what people type into an environment variable.
 */
export function list(item: Codec<string>, minItems = 0): Codec<readonly string[]> {
  return {
    expected: `a ${minItems > 0 ? "non-empty " : ""}list, each ${item.expected}`,
    decode(raw) {
      let items: unknown;
      if (Array.isArray(raw)) items = raw;
      else if (typeof raw !== "string") return bad(`expected a list, got ${typeof raw} ${show(raw)}`);
      else if (raw.trim().startsWith("[")) {
        try {
          items = JSON.parse(raw);
        } catch {
          return bad(`${show(raw)} is not a JSON list`);
        }
      } else
        items = raw
          .split(",")
          .map((part) => part.trim())
          .filter((part) => part !== "");
      if (!Array.isArray(items)) return bad(`${show(raw)} is not a list`);
      const values: string[] = [];
      for (const [index, element] of items.entries()) {
        const decoded = item.decode(element);
        if (!decoded.ok) return bad(`item ${index + 1}: ${decoded.problem}`);
        values.push(decoded.value);
      }
      return values.length < minItems ? bad(`expected at least ${minItems} item(s), got ${values.length}`) : ok(values);
    },
    encode: (value) => JSON.stringify(value),
  };
}

// ---- formats ------------------------------------------------------------------------------

// A target's own names and ids (AWS regions, AMI ids) are its codecs, beside its parameters.

export const instanceType = pattern("an EC2 instance type like m5.xlarge", /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/);
export const sparkVersion = pattern("a Spark version like 3.5.3", /^\d+\.\d+\.\d+$/);
export const unixUser = pattern("a unix user name like admin", /^[a-z_][a-z0-9_-]{0,31}$/);
/** A name used as a Consul key segment and in cloud resource names. */
export const simpleName = pattern("a name of lowercase letters, digits and dashes", /^[a-z0-9][a-z0-9-]{0,62}$/);
export const sparkMemory = pattern("a Spark memory size like 512m or 2g", /^\d+[kmgt]$/i);

// S3 bucket naming rules, minus the rarely met ones (no "xn--" prefix etc.).
const bucketRule = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
export const bucketName = text("an S3 bucket name like burst-results", (value) =>
  bucketRule.test(value) && !value.includes("..") ? undefined : "3-63 lowercase letters, digits, dots and dashes",
);

/** A spec's named buckets (src/runspec/s3.ts): the target's data and results buckets. */
const bucketPlaceholder = /^\$\{(data|results)\}$/;

export const s3Uri = text("an S3 URI like s3://bucket/prefix/ or s3://${results}/prefix/", (value) => {
  const match = /^s3a?:\/\/([^/]+)(\/.*)?$/.exec(value);
  if (!match?.[1]) return "it must start with s3://";
  if (bucketPlaceholder.test(match[1])) return undefined;
  return bucketRule.test(match[1]) ? undefined : `"${match[1]}" is not a valid bucket name`;
});

export const httpUrl = text("an http(s) URL", (value) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "it does not parse as a URL";
  }
  return url.protocol === "https:" || url.protocol === "http:" ? undefined : `scheme ${url.protocol} is not http(s)`;
});

/** An IPv4 or IPv6 CIDR block whose host bits are zero (AWS rejects the others). */
export function cidr(options: {
  readonly ipv6: boolean;
  readonly minPrefix?: number;
  readonly maxPrefix?: number;
}): Codec<string> {
  const range =
    options.minPrefix !== undefined ? ` with a prefix length from /${options.minPrefix} to /${options.maxPrefix}` : "";
  return text(`${options.ipv6 ? "an IPv4 or IPv6" : "an IPv4"} CIDR block like 10.42.0.0/16${range}`, (value) => {
    const [address = "", bits = "", ...rest] = value.split("/");
    if (rest.length > 0 || !/^\d{1,3}$/.test(bits)) return "expected address/prefix-length";
    const prefix = Number(bits);
    if (isIPv4(address)) {
      if (prefix > 32) return `/${prefix} is longer than 32 bits`;
      if (options.minPrefix !== undefined && (prefix < options.minPrefix || prefix > (options.maxPrefix ?? 32))) {
        return `/${prefix} is out of range`;
      }
      const network = canonicalIPv4(address, prefix);
      return network === address ? undefined : `host bits are set; did you mean ${network}/${prefix}?`;
    }
    if (options.ipv6 && isIPv6(address)) return prefix <= 128 ? undefined : `/${prefix} is longer than 128 bits`;
    return `${JSON.stringify(address)} is not an ${options.ipv6 ? "IP" : "IPv4"} address`;
  });
}

function canonicalIPv4(address: string, prefix: number): string {
  const value = address.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const network = (value & mask) >>> 0;
  return [24, 16, 8, 0].map((shift) => (network >>> shift) & 255).join(".");
}
