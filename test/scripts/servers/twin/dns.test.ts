// The twin's VPC resolver on loopback, asked by a real DNS client (node's c-ares resolver): the
// VPC's private names both ways, as EC2's resolver gives them, and an answer (not a timeout) for
// every other name.
import assert from "node:assert/strict";
import { Resolver } from "node:dns/promises";
import { after, before, describe, it } from "node:test";
import { privateDomain, startVpcDns, type VpcDns } from "../../../../scripts/servers/twin/dns.ts";

describe("the twin's VPC resolver", () => {
  let dns: VpcDns;
  let resolver: Resolver;
  before(async () => {
    dns = await startVpcDns({ vpcCidr: "10.174.0.0/16", region: "eu-west-1", host: "127.0.0.1", port: 0 });
    // One try, no retry: a server that did not answer shows as ETIMEOUT, not as a slow success.
    resolver = new Resolver({ timeout: 3000, tries: 1 });
    resolver.setServers([`127.0.0.1:${dns.port}`]);
  });
  after(async () => {
    await dns?.stop();
  });

  const codeOf = async (lookup: Promise<unknown>) => {
    try {
      await lookup;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code;
    }
    return "answered";
  };

  it("names a VPC address as EC2 does, and resolves that name back (what Java's getCanonicalHostName does)", async () => {
    assert.deepEqual(await resolver.reverse("10.174.7.100"), ["ip-10-174-7-100.eu-west-1.compute.internal"]);
    assert.deepEqual(await resolver.resolve4("ip-10-174-7-100.eu-west-1.compute.internal"), ["10.174.7.100"]);
    assert.deepEqual(
      await resolver.resolve4("ip-10-174-0-5"),
      ["10.174.0.5"],
      "the bare hostname, as with the search domain",
    );
    assert.deepEqual(await resolver.resolve4("IP-10-174-0-5.EU-WEST-1.COMPUTE.INTERNAL"), ["10.174.0.5"]);
    assert.ok(dns.questions.includes("PTR 100.7.174.10.in-addr.arpa"), dns.questions.join("\n"));
  });

  it("a VPC name has no IPv6 address: an empty answer, not an error of the name", async () => {
    assert.equal(await codeOf(resolver.resolve6("ip-10-174-7-100.eu-west-1.compute.internal")), "ENODATA");
  });

  it("answers NXDOMAIN at once for names and addresses outside the VPC (the twin has no outside network)", async () => {
    assert.equal(await codeOf(resolver.resolve4("example.com")), "ENOTFOUND");
    assert.equal(await codeOf(resolver.resolve4("ip-10-99-0-1.eu-west-1.compute.internal")), "ENOTFOUND");
    assert.equal(await codeOf(resolver.resolve4("ip-10-174-0-5.us-east-1.compute.internal")), "ENOTFOUND");
    assert.equal(await codeOf(resolver.reverse("10.99.0.1")), "ENOTFOUND");
    assert.equal(await codeOf(resolver.resolve4("ip-10-174-0-999")), "ENOTFOUND");
  });

  it("EC2's private domain: ec2.internal in us-east-1, <region>.compute.internal elsewhere", () => {
    assert.equal(privateDomain("us-east-1"), "ec2.internal");
    assert.equal(privateDomain("eu-west-1"), "eu-west-1.compute.internal");
  });
});
