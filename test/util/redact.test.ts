// src/util/redact.ts: the helpers every module uses before printing user-supplied values.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isSecretKey, redactText, redactUrl } from "../../src/util/redact.ts";

describe("redactUrl", () => {
  it("hides user and password", () => {
    assert.equal(redactUrl("https://user:token@github.com/org/repo.git"), "https://***@github.com/org/repo.git");
  });

  it("hides a lone token in an http(s) URL", () => {
    assert.equal(redactUrl("https://ghp_abc@github.com/org/repo.git"), "https://***@github.com/org/repo.git");
  });

  it("keeps a bare ssh user, which is not a secret", () => {
    assert.equal(redactUrl("ssh://git@github.com/org/repo.git"), "ssh://git@github.com/org/repo.git");
    assert.equal(redactUrl("git@github.com:org/repo.git"), "git@github.com:org/repo.git");
  });

  it("hides passwords in any scheme", () => {
    assert.equal(redactUrl("jdbc:postgresql://app:pa55@db/prod"), "jdbc:postgresql://***@db/prod");
  });

  it("leaves URLs without credentials alone", () => {
    assert.equal(redactUrl("s3://bucket/a@b/key"), "s3://bucket/a@b/key");
    assert.equal(redactUrl("https://github.com/org/repo.git"), "https://github.com/org/repo.git");
  });

  it("works on every URL inside a longer text", () => {
    assert.equal(
      redactUrl("cloning https://a:b@h1/x then https://c:d@h2/y"),
      "cloning https://***@h1/x then https://***@h2/y",
    );
  });
});

describe("isSecretKey", () => {
  for (const key of [
    "API_TOKEN",
    "db_password",
    "spark.hadoop.fs.s3a.secret.key",
    "AWS_CREDENTIALS",
    "ClientSecret",
    "PASSWD",
  ]) {
    it(`treats ${key} as secret`, () => assert.equal(isSecretKey(key), true));
  }
  for (const key of ["LOG_LEVEL", "spark.executor.memory", "HOME"]) {
    it(`treats ${key} as plain`, () => assert.equal(isSecretKey(key), false));
  }
});

describe("redactText", () => {
  it("replaces every occurrence of every secret", () => {
    assert.equal(redactText("tok tok and pw", ["tok", "pw"]), "*** *** and ***");
  });

  it("hides a longer secret whole even when a shorter one is inside it", () => {
    assert.equal(redactText("key=abc123", ["abc", "abc123"]), "key=***");
  });

  it("ignores empty secrets instead of mangling the text", () => {
    assert.equal(redactText("hello", ["", "x"]), "hello");
  });

  it("also hides URL credentials", () => {
    assert.equal(redactText("remote: https://u:p@host/r", []), "remote: https://***@host/r");
  });
});
