// "Did you mean ...?": only close matches are suggested.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { closeMatches, didYouMean, editDistance } from "../../src/runspec/suggest.ts";

describe("editDistance", () => {
  it("counts a swap of neighbours as one edit", () => assert.equal(editDistance("wrokers", "workers"), 1));
  it("counts insertions, deletions and substitutions", () => {
    assert.equal(editDistance("pyspak", "pyspark"), 1);
    assert.equal(editDistance("kitten", "sitting"), 3);
    assert.equal(editDistance("", "abc"), 3);
  });
});

describe("closeMatches", () => {
  const keys = ["workers", "master", "worker", "spark", "diskGb", "ttlMinutes"];

  it("suggests the nearest keys", () => assert.deepEqual(closeMatches("wrokers", keys), ["workers"]));
  it("ignores case and separators", () => assert.deepEqual(closeMatches("TTL_minutes", keys), ["ttlMinutes"]));
  it("suggests nothing for an unrelated word", () => assert.deepEqual(closeMatches("colour", keys), []));
  it("suggests nothing for a word too short to judge", () => assert.deepEqual(closeMatches("a", ["aws"]), []));
  it("lists ties together", () => assert.deepEqual(closeMatches("rep", ["ref", "repo"]), ["ref", "repo"]));
});

describe("didYouMean", () => {
  it("phrases a suggestion", () => assert.equal(didYouMean("jra", ["pyspark", "jar", "shell"]), "did you mean 'jar'?"));
  it("says nothing without one", () => assert.equal(didYouMean("gcp", ["local", "aws"]), undefined));
});
