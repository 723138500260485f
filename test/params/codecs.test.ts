import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { boolean, cidr, integer, list, pattern, s3Uri } from "../../src/params/codecs.ts";

const accepts = <T>(codec: { decode(raw: unknown): { ok: boolean } }, ...values: T[]) => {
  for (const value of values) assert.equal(codec.decode(value).ok, true, `${JSON.stringify(value)} should be accepted`);
};
const rejects = (
  codec: { decode(raw: unknown): { ok: boolean; problem?: string } },
  value: unknown,
  mention?: RegExp,
) => {
  const decoded = codec.decode(value);
  assert.equal(decoded.ok, false, `${JSON.stringify(value)} should be rejected`);
  if (mention && !decoded.ok) assert.match(decoded.problem ?? "", mention);
};

describe("parameter codecs", () => {
  it("checks CIDR syntax, prefix range and host bits", () => {
    const vpc = cidr({ ipv6: false, minPrefix: 16, maxPrefix: 24 });
    accepts(vpc, "10.42.0.0/16", "172.16.8.0/24");
    rejects(vpc, "10.42.0.0/33", /longer than 32/);
    rejects(vpc, "10.42.0.0/8", /out of range/);
    rejects(vpc, "10.42.1.0/16", /did you mean 10\.42\.0\.0\/16/);
    rejects(vpc, "300.1.1.0/24", /not an IPv4 address/);
    rejects(vpc, "10.0.0.0", /address\/prefix-length/);
    const ssh = cidr({ ipv6: true });
    accepts(ssh, "203.0.113.7/32", "2001:db8::/32", "0.0.0.0/0");
  });

  it("reads integers from text or numbers, with bounds", () => {
    assert.deepEqual(integer(1, 10).decode("3"), { ok: true, value: 3 });
    assert.deepEqual(integer(1, 10).decode(3), { ok: true, value: 3 });
    rejects(integer(1, 10), "three", /not a whole number/);
    rejects(integer(1, 10), "2.5", /not a whole number/);
    rejects(integer(1, 10), "11", /out of range/);
  });

  it("reads booleans as true/false only", () => {
    assert.deepEqual(boolean.decode("TRUE"), { ok: true, value: true });
    assert.deepEqual(boolean.decode(false), { ok: true, value: false });
    rejects(boolean, "yes", /true or false/);
  });

  it("reads lists from JSON (as stored) or comma-separated text (as typed in env)", () => {
    const subnets = list(pattern("a subnet id", /^subnet-[0-9a-f]{8}$/), 1);
    assert.deepEqual(subnets.decode('["subnet-12345678"]'), { ok: true, value: ["subnet-12345678"] });
    assert.deepEqual(subnets.decode("subnet-12345678, subnet-87654321"), {
      ok: true,
      value: ["subnet-12345678", "subnet-87654321"],
    });
    rejects(subnets, "[]", /at least 1/);
    rejects(subnets, '["subnet-1"]', /item 1/);
    rejects(subnets, "[oops", /not a JSON list/);
    assert.equal(subnets.encode(["subnet-12345678"]), '["subnet-12345678"]');
  });

  it("requires s3:// URIs with a valid bucket", () => {
    accepts(s3Uri, "s3://burst-results/runs/", "s3://bucket");
    rejects(s3Uri, "https://bucket/x", /s3:\/\//);
    rejects(s3Uri, "s3://Bad_Bucket/", /bucket name/);
  });
});
