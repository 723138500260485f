// The twin's metadata service on loopback: IMDSv2's token dance, the caller known by its address,
// the role's credentials, and a spot notice once raised (what spot-watch.sh and the SDKs read).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Imds, startImds } from "../../../../scripts/servers/twin/imds.ts";

describe("the twin's IMDSv2", () => {
  let imds: Imds;
  let base: string;
  let assumed = 0;
  before(async () => {
    imds = await startImds("127.0.0.1", 0);
    base = `http://127.0.0.1:${imds.port}`;
    imds.register({
      instanceId: "i-0123456789abcdef0",
      privateIp: "127.0.0.1",
      region: "eu-west-1",
      availabilityZone: "eu-west-1a",
      instanceType: "m5.large",
      imageId: "ami-12345678",
      accountId: "123456789012",
      spot: true,
      role: {
        name: "burst-main-node",
        credentials: async () => {
          assumed++;
          return { AccessKeyId: "AKIA1", SecretAccessKey: "s3cr3t", Token: "tok", Expiration: "2030-01-01T00:00:00Z" };
        },
      },
    });
  });
  after(() => imds.stop());

  const token = async (ttl = "60") => {
    const response = await fetch(`${base}/latest/api/token`, {
      method: "PUT",
      headers: { "x-aws-ec2-metadata-token-ttl-seconds": ttl },
    });
    return { status: response.status, text: await response.text() };
  };
  const get = async (path: string, value?: string) => {
    const response = await fetch(`${base}${path}`, { headers: value ? { "x-aws-ec2-metadata-token": value } : {} });
    return { status: response.status, text: await response.text() };
  };

  it("answers only with a session token (IMDSv2), and refuses a bad TTL", async () => {
    assert.equal((await get("/latest/meta-data/instance-id")).status, 401);
    assert.equal((await token("0")).status, 400);
    const session = await token();
    assert.equal(session.status, 200);
    assert.deepEqual(await get("/latest/meta-data/instance-id", session.text), {
      status: 200,
      text: "i-0123456789abcdef0",
    });
    assert.equal((await get("/latest/meta-data/instance-id", "forged")).status, 401);
  });

  it("serves identity, placement and the role's credentials as the SDKs read them", async () => {
    const session = (await token()).text;
    assert.equal((await get("/latest/meta-data/placement/availability-zone", session)).text, "eu-west-1a");
    assert.equal((await get("/latest/meta-data/local-ipv4", session)).text, "127.0.0.1");
    assert.equal((await get("/latest/meta-data/iam/security-credentials/", session)).text, "burst-main-node");
    const credentials = JSON.parse(
      (await get("/latest/meta-data/iam/security-credentials/burst-main-node", session)).text,
    );
    assert.equal(credentials.Code, "Success");
    assert.equal(credentials.AccessKeyId, "AKIA1");
    assert.equal(credentials.Token, "tok");
    assert.equal(assumed, 1);
    const document = JSON.parse((await get("/latest/dynamic/instance-identity/document", session)).text);
    assert.equal(document.region, "eu-west-1");
    assert.equal(document.instanceId, "i-0123456789abcdef0");
  });

  it("has no spot notice until one is raised, then a terminate action two minutes out", async () => {
    const session = (await token()).text;
    assert.equal((await get("/latest/meta-data/spot/instance-action", session)).status, 404);
    const raisedAt = Date.now();
    imds.raiseSpotInterruption("i-0123456789abcdef0");
    const notice = await get("/latest/meta-data/spot/instance-action", session);
    assert.equal(notice.status, 200);
    const parsed = JSON.parse(notice.text);
    assert.equal(parsed.action, "terminate");
    const lead = Date.parse(parsed.time) - raisedAt;
    assert.ok(lead > 110_000 && lead <= 121_000, `notice ${lead} ms ahead`);
    assert.ok((imds.requests.get("i-0123456789abcdef0") ?? []).includes("GET /latest/meta-data/spot/instance-action"));
  });

  it("does not answer an address it does not know", async () => {
    imds.forget("127.0.0.1");
    assert.equal((await token()).status, 404);
  });
});
