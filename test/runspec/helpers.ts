// Shared fixtures for the spec tests: ops defaults, fixture paths and an assertion for bad specs.

import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SpecDefaults } from "../../src/params/types.ts";
import { SpecError } from "../../src/runspec/issues.ts";
import { type LoadOptions, parseSpec } from "../../src/runspec/load.ts";
import type { Spec } from "../../src/runspec/types.ts";

export const FIXTURES = fileURLToPath(new URL("../fixtures/specs/", import.meta.url));

/** Inline specs pretend to live here, so ../jobs-style paths hit the fixture folders. */
export const INLINE_FILE = join(FIXTURES, "good", "inline.yml");

/** Deliberately unlike config/defaults.yml, so a test can tell where a value came from. */
export const DEFAULTS: SpecDefaults = {
  results: "s3://ops-results/burst/",
  workers: 3,
  masterInstanceType: "m6i.large",
  workerInstanceType: "c7gd.2xlarge",
  spark: "3.5.1",
  ttlMinutes: 90,
  diskGb: 40,
};

/** What ${data} and ${results} stand for: the local target's buckets, as config/local.yml names them. */
export const NAMED_BUCKETS: LoadOptions["namedBuckets"] = () => ({
  data: "burst-data",
  results: "burst-results",
  params: { data: "local/dataBucket", results: "local/resultsBucket" },
  hint: "set them in config/local.yml",
});

export const OPTIONS: LoadOptions = { defaults: DEFAULTS, namedBuckets: NAMED_BUCKETS };

/** The smallest valid spec; tests append or replace lines to break it in one place. */
export const MINIMAL = `name: wordcount
code: { repo: https://github.com/org/jobs.git }
job: { type: pyspark, entrypoint: main.py }
`;

export const parse = (text: string, options: LoadOptions = OPTIONS): Spec => parseSpec(text, INLINE_FILE, options);

export function specErrorOf(run: () => unknown): SpecError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof SpecError, `expected a SpecError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected the spec to be rejected");
}

export async function specErrorOfAsync(run: () => Promise<unknown>): Promise<SpecError> {
  try {
    await run();
  } catch (error) {
    assert.ok(error instanceof SpecError, `expected a SpecError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected the spec to be rejected");
}

export interface Expected {
  /** "line:col", or undefined for file-level problems. */
  readonly at?: string;
  /** Key path, or undefined when the problem has none (syntax errors, file problems). */
  readonly key?: string;
  /** Part of the message after "key.path: ". */
  readonly says: string;
  readonly hint?: string;
}

/** The error is bad-input (exit 2) with exactly one problem, reported at file:line:col: key.path. */
export function assertRejected(error: SpecError, file: string, expected: Expected): void {
  assert.equal(error.kind, "bad-input");
  assert.equal(error.exitCode, 2);
  const rendered = error.render();
  assert.equal(error.issues.length, 1, `expected one problem, got:\n${rendered}`);
  const where = expected.at ? `${file}:${expected.at}` : file;
  const key = expected.key ? `${expected.key}: ` : "";
  const firstLine = rendered.split("\n")[0] ?? "";
  assert.ok(firstLine.startsWith(`${where}: ${key}`), `expected "${where}: ${key}..." but got:\n${rendered}`);
  assert.ok(firstLine.includes(expected.says), `expected the message to say "${expected.says}", got:\n${rendered}`);
  assert.equal(error.keyPath, expected.key);
  assert.equal(error.location?.file, file);
  if (expected.hint !== undefined)
    assert.ok(error.hint?.includes(expected.hint), `expected hint "${expected.hint}", got:\n${rendered}`);
}
