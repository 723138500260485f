// S3 URIs in a spec: bucket naming rules, s3a:// -> s3:// and the buckets a run touches.

import type { Check } from "./decoder.ts";
import { type Problem, quote } from "./issues.ts";

const S3_URI = /^(s3a?):\/\/([^/]*)(\/.*)?$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
// s3://bucket or s3a://bucket inside free text such as a job argument.
const S3_IN_TEXT = /\bs3a?:\/\/([^/\s"',;]*)/g;

export const BUCKET_RULE =
  "3-63 lowercase letters, digits, dots and dashes, starting and ending with a letter or digit";

/** Why a bucket name is invalid, or undefined when AWS would accept it. */
export function bucketProblem(bucket: string): Problem | undefined {
  if (BUCKET.test(bucket) && !bucket.includes("..") && !IPV4.test(bucket)) return undefined;
  const lower = bucket.toLowerCase().replace(/_/g, "-");
  const fixed = lower !== bucket && BUCKET.test(lower) ? `bucket names are lowercase: try ${lower}` : undefined;
  return {
    expected: `a bucket name of ${BUCKET_RULE}`,
    found: `bucket ${quote(bucket)}`,
    hint: fixed,
  };
}

function nonS3Hint(uri: string): string {
  const virtualHosted = /^https?:\/\/([a-z0-9.-]+)\.s3[.-][^/]*amazonaws\.com(\/.*)?$/.exec(uri);
  if (virtualHosted) return `write it as s3://${virtualHosted[1]}${virtualHosted[2] ?? "/"}`;
  if (/^s3n:\/\//.test(uri)) return `s3n:// is retired; write ${uri.replace(/^s3n/, "s3")}`;
  if (/^[a-z0-9][a-z0-9.-]+\//.test(uri)) return `add the scheme: s3://${uri}`;
  return "an S3 location looks like s3://bucket/prefix/";
}

/** The buckets a spec may name by role instead of by name: the target's own (aws: the VPC's). */
export const BUCKET_ROLES = ["data", "results"] as const;
export type BucketRole = (typeof BUCKET_ROLES)[number];
const PLACEHOLDER = /^\$\{([^}]*)\}$/;
// s3://${role} or s3a://${role} anywhere in a text, with the scheme kept.
const PLACEHOLDER_IN_TEXT = /\b(s3a?:\/\/)\$\{([^}/]*)\}/g;

/** The role a bucket placeholder names ("${data}" -> "data"), or undefined for a plain name. */
export const placeholderRole = (bucket: string): string | undefined => PLACEHOLDER.exec(bucket)?.[1];

/** Why a URI's bucket is neither a valid name nor a known placeholder. */
function uriBucketProblem(bucket: string): Problem | undefined {
  const role = placeholderRole(bucket);
  if (role === undefined) return bucketProblem(bucket);
  if ((BUCKET_ROLES as readonly string[]).includes(role)) return undefined;
  return {
    expected: `a bucket name, or \${data} / \${results} for the target's own buckets`,
    found: `bucket ${quote(bucket)}`,
    hint: "the placeholders are ${data} and ${results}",
  };
}

/** Replaces s3://${role} in a text with the role's bucket; the roles it could not fill are returned. */
export function fillBucketRoles(
  text: string,
  bucketOfRole: (role: BucketRole) => string | undefined,
): { readonly text: string; readonly unfilled: readonly BucketRole[] } {
  const unfilled: BucketRole[] = [];
  const filled = text.replace(PLACEHOLDER_IN_TEXT, (whole, scheme: string, role: string) => {
    if (!(BUCKET_ROLES as readonly string[]).includes(role)) return whole;
    const bucket = bucketOfRole(role as BucketRole);
    if (bucket === undefined) {
      unfilled.push(role as BucketRole);
      return whole;
    }
    return `${scheme}${bucket}`;
  });
  return { text: filled, unfilled };
}

/** Accepts s3://bucket[/key] and s3a://bucket[/key], the bucket also as ${data} or ${results}. */
export const s3Uri: Check<string> = {
  doc: `s3:// or s3a:// URI; bucket: ${BUCKET_RULE}, or \${data} / \${results} for the target's own`,
  test: (uri) => {
    const match = S3_URI.exec(uri);
    if (!match) return { expected: "an s3:// URI like s3://bucket/prefix/", hint: nonS3Hint(uri) };
    return uriBucketProblem(match[2] ?? "");
  },
};

/** s3a:// is what Hadoop wants; everything outside Spark speaks s3://. */
export const toS3 = (uri: string): string => uri.replace(/^s3a:\/\//, "s3://");

/** A prefix always ends in "/", so joining keys onto it never glues two names together. */
export const toS3Prefix = (uri: string): string => {
  const s3 = toS3(uri);
  return s3.endsWith("/") ? s3 : `${s3}/`;
};

export const bucketOf = (uri: string): string | undefined => S3_URI.exec(uri)?.[2];

/** Buckets named by s3:// or s3a:// URIs anywhere in the text. */
export const bucketsInText = (text: string): string[] => [...text.matchAll(S3_IN_TEXT)].map((m) => m[1] ?? "");

/** Every s3:// or s3a:// URI inside free text names a valid bucket. */
export const s3UrisInTextAreValid: Check<string> = {
  doc: "any s3:// or s3a:// URI inside must name a valid bucket, or ${data} / ${results}",
  test: (text) => {
    for (const bucket of bucketsInText(text)) {
      const problem = uriBucketProblem(bucket);
      if (problem) return problem;
    }
    return undefined;
  },
};
