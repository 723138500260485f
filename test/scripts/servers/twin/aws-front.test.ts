// The twin's front on loopback, over a stand-in upstream (a loopback server playing moto): every
// call is passed on and recorded with its service and action; GetConsoleOutput of an instance the
// twin boots is answered with that container's console; moto's misnamed CompleteMultipartUpload
// answer is corrected to what S3 sends.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, describe, it } from "node:test";
import { type AwsFront, s3Operation, startAwsFront } from "../../../../scripts/servers/twin/aws-front.ts";

const sign = (service: string) =>
  `AWS4-HMAC-SHA256 Credential=AKID/20261207/eu-west-1/${service}/aws4_request, SignedHeaders=host, Signature=0`;

describe("the twin's AWS front", () => {
  let upstream: Server;
  let front: AwsFront;
  const seen: string[] = [];
  before(async () => {
    upstream = createServer(async (request, response) => {
      seen.push(`${request.method} ${request.url}`);
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const form = Buffer.concat(chunks).toString();
      if (form.includes("Action=DeleteFleets")) {
        // moto 5.2.1: a fleet whose instances all ended cannot be deleted "with termination".
        if (form.includes("TerminateInstances=true")) {
          response
            .writeHead(400, { "content-type": "text/xml" })
            .end(
              "<Response><Errors><Error><Code>InvalidParameterCombination</Code><Message>No instances specified</Message></Error></Errors></Response>",
            );
        } else {
          response
            .writeHead(200, { "content-type": "text/xml" })
            .end("<DeleteFleetsResponse><fleetId>fleet-1</fleetId></DeleteFleetsResponse>");
        }
        return;
      }
      if (request.url?.includes("uploadId=")) {
        response.writeHead(200, { "content-type": "application/xml" });
        response.end("<CompleteMultipartUploadResponse><Bucket>b</Bucket></CompleteMultipartUploadResponse>");
        return;
      }
      response.writeHead(200, { "content-type": "text/xml" }).end("<moto/>");
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    const address = upstream.address();
    const port = typeof address === "object" && address ? address.port : 0;
    front = await startAwsFront({
      moto: `http://127.0.0.1:${port}`,
      hosts: ["127.0.0.1"],
      consoleOf: (id) => (id === "i-booted" ? "burst-host-key: ssh-ed25519 AAAA\n" : undefined),
    });
  });
  after(async () => {
    await front.stop();
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
  });

  const ec2 = (body: string) =>
    fetch(front.endpoint("127.0.0.1"), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: sign("ec2") },
      body,
    });

  it("answers GetConsoleOutput of a booted instance with its console, base64 as EC2 does", async () => {
    const response = await ec2("Action=GetConsoleOutput&Version=2016-11-15&InstanceId=i-booted");
    const xml = await response.text();
    const output = /<output>([^<]*)<\/output>/.exec(xml)?.[1] ?? "";
    assert.equal(Buffer.from(output, "base64").toString(), "burst-host-key: ssh-ed25519 AAAA\n");
    assert.match(xml, /<instanceId>i-booted<\/instanceId>/);
    assert.equal(seen.length, 0, "moto was not asked");
  });

  it("passes everything else to moto and records it with its response", async () => {
    const response = await ec2("Action=GetConsoleOutput&Version=2016-11-15&InstanceId=i-other");
    assert.equal(await response.text(), "<moto/>");
    const call = front.calls.at(-1);
    assert.equal(call?.service, "ec2");
    assert.equal(call?.action, "GetConsoleOutput");
    assert.deepEqual(call?.params, { InstanceId: "i-other" });
    assert.equal(call?.from, "127.0.0.1");
    assert.equal(call?.status, 200);
    assert.equal(call?.response, "<moto/>");
    assert.equal(call?.signed, true);
  });

  it("deletes a fleet whose instances all ended, as EC2 does, where moto refuses it", async () => {
    const response = await ec2("Action=DeleteFleets&Version=2016-11-15&FleetId.1=fleet-1&TerminateInstances=true");
    assert.equal(response.status, 200);
    assert.match(await response.text(), /<fleetId>fleet-1<\/fleetId>/);
    assert.equal(front.calls.at(-1)?.status, 200);
  });

  it("names S3 calls by their REST operation, signed or not", async () => {
    await fetch(`${front.endpoint("127.0.0.1")}/burst-data/in/a.txt`, {
      method: "PUT",
      body: "x",
      headers: { authorization: sign("s3") },
    });
    await fetch(`${front.endpoint("127.0.0.1")}/artifacts/spark.tgz`);
    const [put, get] = front.calls.slice(-2);
    assert.deepEqual(
      [put?.service, put?.action, put?.params],
      ["s3", "PutObject", { bucket: "burst-data", key: "in/a.txt" }],
    );
    assert.deepEqual([get?.action, get?.signed], ["GetObject", false]);
  });

  it("names a JSON-protocol call (Service Quotas) by its X-Amz-Target operation", async () => {
    await fetch(front.endpoint("127.0.0.1"), {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "ServiceQuotasV20190624.GetServiceQuota",
        authorization: sign("servicequotas"),
      },
      body: JSON.stringify({ ServiceCode: "ec2", QuotaCode: "L-1216C47A" }),
    });
    const call = front.calls.at(-1);
    assert.deepEqual([call?.service, call?.action], ["servicequotas", "GetServiceQuota"]);
  });

  it("corrects moto's CompleteMultipartUpload root element to S3's", async () => {
    const response = await fetch(`${front.endpoint("127.0.0.1")}/b/k?uploadId=u1`, {
      method: "POST",
      headers: { "content-type": "application/xml", authorization: sign("s3") },
      body: "<CompleteMultipartUpload/>",
    });
    assert.equal(
      await response.text(),
      "<CompleteMultipartUploadResult><Bucket>b</Bucket></CompleteMultipartUploadResult>",
    );
  });
});

describe("s3Operation", () => {
  const op = (method: string, path: string, headers: Record<string, string> = {}) =>
    s3Operation(method, new URL(path, "http://twin"), headers).action;
  it("names object, bucket and multipart operations", () => {
    assert.equal(op("GET", "/b/k"), "GetObject");
    assert.equal(op("HEAD", "/b/k"), "HeadObject");
    assert.equal(op("PUT", "/b/k", { "x-amz-copy-source": "/b/j" }), "CopyObject");
    assert.equal(op("DELETE", "/b/k"), "DeleteObject");
    assert.equal(op("GET", "/b?list-type=2&prefix=x/"), "ListObjectsV2");
    assert.equal(op("HEAD", "/b"), "HeadBucket");
    assert.equal(op("POST", "/b?delete"), "DeleteObjects");
    assert.equal(op("GET", "/b?uploads"), "ListMultipartUploads");
    assert.equal(op("POST", "/b/k?uploads"), "CreateMultipartUpload");
    assert.equal(op("PUT", "/b/k?partNumber=1&uploadId=u"), "UploadPart");
    assert.equal(op("POST", "/b/k?uploadId=u"), "CompleteMultipartUpload");
    assert.equal(op("DELETE", "/b/k?uploadId=u"), "AbortMultipartUpload");
    assert.equal(op("GET", "/b?policy"), "GetBucketPolicy");
    assert.equal(op("PUT", "/b?publicAccessBlock"), "PutBucketPublicAccessBlock");
  });
});
