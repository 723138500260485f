// Where runs are visible beyond this machine: Consul when CONSUL_HTTP_ADDR is set, run.json only
// otherwise. Against a loopback HTTP server the test starts, answering as a Consul agent would for
// the calls it is asked (a real agent: test/e2e/registry.test.ts).
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach, describe, test } from "node:test";
import { BurstError } from "../../src/errors.ts";
import { registryFromEnv } from "../../src/lifecycle/registry.ts";
import type { RunRecord } from "../../src/lifecycle/run-record.ts";

const record = {
  runId: "20261122-030101-a1b2",
  name: "wordcount",
  owner: "alice",
  target: "local",
  phase: "run",
  destroyed: false,
} as unknown as RunRecord;

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly token?: string;
  readonly body: string;
}

describe("registryFromEnv", () => {
  test("without CONSUL_HTTP_ADDR there is no registry: runs are only in their run folders", () => {
    assert.equal(registryFromEnv({}), undefined);
    assert.equal(registryFromEnv({ CONSUL_HTTP_ADDR: "" }), undefined);
  });

  test("records go beside the parameters' prefix, never under it", () => {
    assert.equal(registryFromEnv({ CONSUL_HTTP_ADDR: "127.0.0.1:8500" })?.description, "consul:burst-runs/");
    assert.equal(
      registryFromEnv({ CONSUL_HTTP_ADDR: "127.0.0.1:8500", BURST_CONSUL_PREFIX: "team/burst/" })?.description,
      "consul:team/burst-runs/",
    );
  });
});

describe("ConsulRunRegistry", () => {
  let server: Server;
  let address: string;
  const seen: Seen[] = [];
  let answer: (request: IncomingMessage, response: ServerResponse) => void = () => {};

  before(async () => {
    server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      request.on("end", () => {
        const token = request.headers["x-consul-token"];
        seen.push({ method: request.method ?? "", url: request.url ?? "", token: token as string | undefined, body });
        answer(request, response);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    seen.length = 0;
  });

  const registry = () => {
    const found = registryFromEnv({ CONSUL_HTTP_ADDR: address, CONSUL_HTTP_TOKEN: "s3cret-token" });
    assert.ok(found);
    return found;
  };

  test("publishes a run's record as the value of <prefix>-runs/<run-id>, with the token", async () => {
    answer = (_, response) => response.writeHead(200, { "content-type": "application/json" }).end("true");
    await registry().publish(record);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.method, "PUT");
    assert.equal(seen[0]?.url, `/v1/kv/burst-runs/${record.runId}`);
    assert.equal(seen[0]?.token, "s3cret-token");
    assert.deepEqual(JSON.parse(seen[0]?.body ?? ""), record);
  });

  test("a refused write is an infrastructure error that says which permission the token lacks", async () => {
    answer = (_, response) => response.writeHead(403).end("Permission denied");
    const error = await registry()
      .publish(record)
      .then(
        () => assert.fail("a refused write must fail"),
        (caught: unknown) => caught as BurstError,
      );
    assert.ok(error instanceof BurstError);
    assert.equal(error.exitCode, 3);
    assert.equal(error.message, `could not record run ${record.runId} in Consul (burst-runs/): HTTP 403`);
    assert.equal(error.hint, 'the token needs write on the key prefix "burst-runs/"');
    assert.doesNotMatch(error.render(), /s3cret-token/);
  });

  test("lists every record under the prefix, skipping keys without a readable record", async () => {
    const value = (text: string) => Buffer.from(text).toString("base64");
    answer = (_, response) =>
      response.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify([
          { Key: `burst-runs/${record.runId}`, Value: value(JSON.stringify(record)) },
          { Key: "burst-runs/empty", Value: null },
          { Key: "burst-runs/garbled", Value: value("{not json") },
        ]),
      );
    assert.deepEqual(await registry().list(), [record]);
    assert.equal(seen[0]?.method, "GET");
    assert.match(seen[0]?.url ?? "", /^\/v1\/kv\/burst-runs\/\?(.*&)?recurse=true/);
  });

  test("no key under the prefix yet (404) is no runs, not an error", async () => {
    answer = (_, response) => response.writeHead(404).end();
    assert.deepEqual(await registry().list(), []);
  });

  test("any other answer to a listing is an infrastructure error naming the prefix and status", async () => {
    answer = (_, response) => response.writeHead(500).end("rpc error");
    await assert.rejects(registry().list(), (error: unknown) => {
      assert.ok(error instanceof BurstError);
      assert.equal(error.exitCode, 3);
      assert.equal(error.message, "could not list runs in Consul (burst-runs/): HTTP 500");
      return true;
    });
  });
});
