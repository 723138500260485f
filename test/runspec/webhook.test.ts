// notify: a webhook told how the run ended. Its URL is a secret: no output ever shows it whole.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { BurstError } from "../../src/errors.ts";
import { describeSpec } from "../../src/runspec/describe.ts";
import { resolveWebhook } from "../../src/runspec/webhook.ts";
import { assertRejected, type Expected, INLINE_FILE, MINIMAL, parse, specErrorOf } from "./helpers.ts";

const SECRET_PATH = "services/T000/B000/XXXXsecretXXXX";
const withNotify = (body: string): string => `${MINIMAL}notify:\n${body}`;

describe("notify", () => {
  it("is off when absent", () => {
    assert.ok(!("notify" in parse(MINIMAL)));
  });

  it("is off when null", () => {
    assert.ok(!("notify" in parse(`${MINIMAL}notify: null\n`)));
  });

  it("notifies on success and failure unless told otherwise", () => {
    const spec = parse(withNotify(`  webhook: https://hooks.example.com/${SECRET_PATH}\n`));
    assert.deepEqual(spec.notify, { webhook: `https://hooks.example.com/${SECRET_PATH}`, on: ["success", "failure"] });
  });

  it("keeps a ${NAME} reference as written, to be read when the run notifies", () => {
    const spec = parse(withNotify("  webhook: ${SLACK_WEBHOOK}\n  on: [failure]\n"));
    assert.deepEqual(spec.notify, { webhook: "${SLACK_WEBHOOK}", on: ["failure"] });
  });

  for (const local of ["http://127.0.0.1:8787/hook", "http://localhost:9000/", "http://[::1]:8080/x"]) {
    it(`accepts a plain-http webhook on this machine: ${local}`, () => {
      assert.equal(parse(withNotify(`  webhook: "${local}"\n`)).notify?.webhook, local);
    });
  }
});

describe("describeSpec", () => {
  it("shows only the origin of a webhook URL", () => {
    const spec = parse(withNotify(`  webhook: https://hooks.example.com/${SECRET_PATH}\n`));
    const text = describeSpec(spec);
    assert.equal(parseYaml(text).notify.webhook, "https://hooks.example.com/***");
    assert.ok(!text.includes(SECRET_PATH), `the webhook leaked:\n${text}`);
  });

  it("shows a ${NAME} reference, which holds no secret", () => {
    const spec = parse(withNotify("  webhook: ${SLACK_WEBHOOK}\n"));
    assert.equal(parseYaml(describeSpec(spec)).notify.webhook, "${SLACK_WEBHOOK}");
  });

  it("leaves the spec itself untouched", () => {
    const spec = parse(withNotify(`  webhook: https://hooks.example.com/${SECRET_PATH}\n`));
    describeSpec(spec);
    assert.equal(spec.notify?.webhook, `https://hooks.example.com/${SECRET_PATH}`);
  });
});

interface Case extends Expected {
  readonly title: string;
  readonly yaml: string;
}

const catalogue: readonly Case[] = [
  {
    title: "a plain-http webhook to another host, without echoing its secret path",
    yaml: withNotify(`  webhook: http://hooks.example.com/${SECRET_PATH}\n`),
    at: "5:12",
    key: "notify.webhook",
    says: 'expected an https URL or a ${NAME} environment variable reference, found "http://hooks.example.com/***" (the rest is hidden: it is a secret)',
    hint: "use https",
  },
  {
    title: "a webhook that is not a URL",
    yaml: withNotify("  webhook: hooks.example.com/secret\n"),
    at: "5:12",
    key: "notify.webhook",
    says: "found text that is not a URL",
  },
  {
    title: "an environment variable without braces",
    yaml: withNotify("  webhook: $SLACK_WEBHOOK\n"),
    at: "5:12",
    key: "notify.webhook",
    says: "found text that is not a URL",
    hint: "write an environment variable reference as ${NAME}",
  },
  {
    title: "a webhook of another scheme",
    yaml: withNotify("  webhook: ftp://files.example.com/hook\n"),
    at: "5:12",
    key: "notify.webhook",
    says: 'found "ftp://files.example.com/***"',
  },
  {
    title: "no webhook",
    yaml: withNotify("  on: [failure]\n"),
    at: "5:3",
    key: "notify.webhook",
    says: 'expected required key "webhook" (string), found no such key',
  },
  {
    title: "an empty list of outcomes",
    yaml: withNotify("  webhook: ${HOOK}\n  on: []\n"),
    at: "6:7",
    key: "notify.on",
    says: "expected at least one of success, failure, found an empty list",
    hint: "remove notify to turn notifications off",
  },
  {
    title: "a misspelled outcome",
    yaml: withNotify("  webhook: ${HOOK}\n  on: [sucess]\n"),
    at: "6:8",
    key: "notify.on[0]",
    says: 'expected one of success, failure, found string "sucess"',
    hint: "did you mean 'success'?",
  },
  {
    title: "outcomes written as one word",
    yaml: withNotify("  webhook: ${HOOK}\n  on: failure\n"),
    at: "6:7",
    key: "notify.on",
    says: 'expected a list, found string "failure"',
    hint: "write on as a list",
  },
];

describe("a malformed notify is rejected with its exact position", () => {
  for (const bad of catalogue) {
    it(bad.title, () => {
      const error = specErrorOf(() => parse(bad.yaml));
      assertRejected(error, INLINE_FILE, bad);
      assert.ok(!error.render().includes(SECRET_PATH), "an error message leaked the webhook");
    });
  }
});

describe("resolveWebhook", () => {
  const reference = { webhook: "${TEAM_HOOK}", on: ["failure"] } as const;

  it("returns a literal URL as written", () => {
    assert.equal(
      resolveWebhook({ webhook: "https://hooks.example.com/x", on: ["success"] }, {}),
      "https://hooks.example.com/x",
    );
  });

  it("reads a ${NAME} reference from the environment", () => {
    assert.equal(
      resolveWebhook(reference, { TEAM_HOOK: " https://hooks.example.com/y \n" }),
      "https://hooks.example.com/y",
    );
  });

  it("fails with bad input when the variable is not set", () => {
    assert.throws(
      () => resolveWebhook(reference, {}),
      (error: unknown) =>
        error instanceof BurstError &&
        error.exitCode === 2 &&
        error.message === "notify.webhook: environment variable TEAM_HOOK is not set" &&
        (error.hint ?? "").includes("export TEAM_HOOK="),
    );
  });

  it("fails without echoing the secret when the variable holds a plain-http URL", () => {
    assert.throws(
      () => resolveWebhook(reference, { TEAM_HOOK: `http://hooks.example.com/${SECRET_PATH}` }),
      (error: unknown) =>
        error instanceof BurstError &&
        error.message.startsWith("notify.webhook: expected TEAM_HOOK to hold an https URL") &&
        !error.message.includes(SECRET_PATH),
    );
  });
});
