import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { conditionHolds, evaluate, evaluateAll, type Policy, wildcardMatch } from "./iam-policy-eval.ts";

const allow = (extra: object = {}): Policy => ({
  Version: "2012-10-17",
  Statement: [{ Sid: "A", Effect: "Allow", Action: "ec2:Describe*", Resource: "*", ...extra }],
});

describe("IAM evaluator: wildcards", () => {
  it("matches * as any run and ? as one character, everything else literally", () => {
    assert.ok(wildcardMatch("ec2:Describe*", "ec2:DescribeInstances"));
    assert.ok(wildcardMatch("burst-?", "burst-a"));
    assert.ok(!wildcardMatch("burst-?", "burst-ab"));
    assert.ok(!wildcardMatch("a.b", "axb"), "a dot is literal");
    assert.ok(wildcardMatch("arn:aws:iam::1:role/burst-*-node", "arn:aws:iam::1:role/burst-eu-west-1-x-node"));
  });

  it("compares actions case-insensitively and resources case-sensitively", () => {
    assert.ok(evaluate(allow(), { action: "EC2:describeinstances", resource: "x" }).allowed);
    const policy = allow({ Resource: "arn:aws:s3:::Bucket/*" });
    assert.ok(!evaluate(policy, { action: "ec2:DescribeTags", resource: "arn:aws:s3:::bucket/k" }).allowed);
  });
});

describe("IAM evaluator: decisions", () => {
  it("denies implicitly when nothing matches, allows on a matching Allow", () => {
    assert.deepEqual(evaluate(allow(), { action: "ec2:RunInstances", resource: "*" }), {
      allowed: false,
      reason: "implicit-deny",
      statements: [],
    });
    assert.equal(evaluate(allow(), { action: "ec2:DescribeVpcs", resource: "*" }).reason, "allow");
  });

  it("lets an explicit Deny win over any Allow", () => {
    const policy: Policy = {
      Version: "2012-10-17",
      Statement: [
        { Sid: "All", Effect: "Allow", Action: "*", Resource: "*" },
        { Sid: "NoTerminate", Effect: "Deny", Action: "ec2:TerminateInstances", Resource: "*" },
      ],
    };
    const decision = evaluate(policy, { action: "ec2:TerminateInstances", resource: "arn:aws:ec2:r:1:instance/i-1" });
    assert.deepEqual(decision, { allowed: false, reason: "explicit-deny", statements: ["NoTerminate"] });
  });

  it("applies NotAction and NotResource as complements", () => {
    const policy: Policy = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", NotAction: "iam:*", NotResource: "arn:aws:s3:::secret/*", Resource: undefined }],
    };
    assert.ok(evaluate(policy, { action: "ec2:RunInstances", resource: "arn:aws:s3:::open/k" }).allowed);
    assert.ok(!evaluate(policy, { action: "iam:CreateUser", resource: "arn:aws:s3:::open/k" }).allowed);
    assert.ok(!evaluate(policy, { action: "ec2:RunInstances", resource: "arn:aws:s3:::secret/k" }).allowed);
  });

  it("allows a multi-resource call only when every resource check is allowed", () => {
    const policy: Policy = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "ec2:RunInstances", Resource: "arn:aws:ec2:*:*:subnet/*" }],
    };
    const subnet = { action: "ec2:RunInstances", resource: "arn:aws:ec2:r:1:subnet/s-1" };
    const instance = { action: "ec2:RunInstances", resource: "arn:aws:ec2:r:1:instance/*" };
    assert.ok(evaluateAll(policy, [subnet]).allowed);
    assert.deepEqual(evaluateAll(policy, [subnet, instance]).denied, [instance]);
  });
});

describe("IAM evaluator: conditions", () => {
  const ctx = { "aws:RequestTag/burst:run-id": "r-1", "aws:TagKeys": ["burst:run-id", "Name"] };

  it("StringEquals: any listed value matches; a missing key does not; key names ignore case", () => {
    assert.ok(conditionHolds("StringEquals", { "aws:requesttag/burst:run-id": ["x", "r-1"] }, ctx));
    assert.ok(
      !conditionHolds("StringEquals", { "aws:RequestTag/burst:run-id": "R-1" }, ctx),
      "values are case-sensitive",
    );
    assert.ok(!conditionHolds("StringEquals", { "aws:RequestTag/other": "r-1" }, ctx));
  });

  it("negated operators hold when the key is missing; IfExists holds when it is missing", () => {
    assert.ok(conditionHolds("StringNotEquals", { "aws:RequestTag/other": "x" }, ctx));
    assert.ok(!conditionHolds("StringNotEquals", { "aws:RequestTag/burst:run-id": "r-1" }, ctx));
    assert.ok(conditionHolds("StringEqualsIfExists", { "aws:RequestTag/other": "x" }, ctx));
    assert.ok(!conditionHolds("StringEqualsIfExists", { "aws:RequestTag/burst:run-id": "x" }, ctx));
  });

  it("StringLike and StringNotLike use wildcards", () => {
    assert.ok(conditionHolds("StringLike", { "aws:RequestTag/burst:run-id": "r-*" }, ctx));
    assert.ok(!conditionHolds("StringNotLike", { "aws:RequestTag/burst:run-id": "r-*" }, ctx));
  });

  it("Null: 'false' requires the key, 'true' requires its absence", () => {
    assert.ok(conditionHolds("Null", { "aws:RequestTag/burst:run-id": "false" }, ctx));
    assert.ok(!conditionHolds("Null", { "aws:ResourceTag/burst:run-id": "false" }, ctx));
    assert.ok(conditionHolds("Null", { "aws:ResourceTag/burst:run-id": "true" }, ctx));
  });

  it("ForAnyValue needs one matching value; ForAllValues needs every value to match and holds on none", () => {
    assert.ok(conditionHolds("ForAnyValue:StringLike", { "aws:TagKeys": "burst:*" }, ctx));
    assert.ok(!conditionHolds("ForAllValues:StringLike", { "aws:TagKeys": "burst:*" }, ctx));
    assert.ok(conditionHolds("ForAllValues:StringLike", { "aws:TagKeys": ["burst:*", "Name"] }, ctx));
    assert.ok(conditionHolds("ForAllValues:StringEquals", { "aws:TagKeys": "x" }, {}), "vacuous on a missing key");
    assert.ok(!conditionHolds("ForAnyValue:StringEquals", { "aws:TagKeys": "x" }, {}));
    assert.ok(conditionHolds("ForAllValues:StringNotLike", { "aws:TagKeys": "aws:*" }, ctx));
  });

  it("ArnLike compares ARN parts; ArnEquals is exact", () => {
    const c = { "aws:SourceArn": "arn:aws:ec2:eu-west-1:123:instance/i-1" };
    assert.ok(conditionHolds("ArnLike", { "aws:SourceArn": "arn:aws:ec2:*:123:instance/*" }, c));
    assert.ok(!conditionHolds("ArnLike", { "aws:SourceArn": "arn:aws:ec2:*:999:instance/*" }, c));
    assert.ok(!conditionHolds("ArnEquals", { "aws:SourceArn": "arn:aws:ec2:*:123:instance/*" }, c));
  });

  it("every key of a block and every block of a statement must hold", () => {
    const policy = allow({
      Condition: {
        StringEquals: { "aws:RequestTag/burst:run-id": "r-1", "aws:RequestTag/Name": "n" },
      },
    });
    const check = { action: "ec2:DescribeTags", resource: "*" };
    assert.ok(!evaluate(policy, { ...check, context: ctx }).allowed);
    assert.ok(evaluate(policy, { ...check, context: { ...ctx, "aws:RequestTag/Name": "n" } }).allowed);
  });

  it("refuses what it does not implement instead of guessing", () => {
    assert.throws(() => conditionHolds("NumericLessThan", { "aws:x": "1" }, { "aws:x": "0" }), /not supported/);
    assert.throws(() => conditionHolds("StringEquals", { "aws:x": "${aws:username}" }, {}), /policy variables/);
    assert.throws(() => conditionHolds("StringEquals", { "aws:TagKeys": "a" }, ctx), /multivalued/);
  });
});
