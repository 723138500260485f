import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { freePort } from "../../scripts/servers/ports.ts";
import { BurstError } from "../../src/errors.ts";
import { ConsulStore, FileStore, LayeredStore, resolveParams } from "../../src/params/index.ts";
import { cleanEnv } from "./fixtures.ts";

// Generous: a bound that proves "fails in seconds, never hangs", not a performance target.
const BOUND_MS = 10_000;

const infra = (pattern: RegExp) => (error: unknown) => {
  assert.ok(error instanceof BurstError, `expected a BurstError, got ${String(error)}`);
  assert.equal(error.exitCode, 3);
  assert.match(error.render(), pattern);
  return true;
};

describe("Consul down or unreachable", () => {
  // Accepts connections and never answers: the case only a timeout can end.
  let silent: Server;
  const sockets: Socket[] = [];
  let silentAddress: string;

  before(async () => {
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const address = silent.address();
    assert.ok(address && typeof address === "object");
    silentAddress = `127.0.0.1:${address.port}`;
  });
  after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  const timed = async (work: () => Promise<unknown>) => {
    const began = Date.now();
    await work();
    return Date.now() - began;
  };

  it("fails fast with 'connection refused' when nothing listens", async () => {
    const store = new LayeredStore([
      ConsulStore.fromEnv({ CONSUL_HTTP_ADDR: `127.0.0.1:${await freePort()}` }),
      new FileStore(),
    ]);
    const elapsed = await timed(() =>
      assert.rejects(
        resolveParams({ store, env: cleanEnv() }),
        infra(
          /cannot reach Consul at http:\/\/127\.0\.0\.1:\d+: connection refused[\s\S]*hint: is the agent running\?/,
        ),
      ),
    );
    assert.ok(elapsed < BOUND_MS, `took ${elapsed} ms`);
  });

  it("gives up on an agent that accepts but never answers, within its timeout", async () => {
    const store = ConsulStore.fromEnv({ CONSUL_HTTP_ADDR: silentAddress }, { timeoutMs: 2_000 });
    const elapsed = await timed(() => assert.rejects(store.read("burst/"), infra(/did not answer within 2s/)));
    assert.ok(elapsed >= 1_900 && elapsed < BOUND_MS, `took ${elapsed} ms`);
  });

  it("rejects a malformed CONSUL_HTTP_ADDR as bad input", () => {
    assert.throws(
      () => ConsulStore.fromEnv({ CONSUL_HTTP_ADDR: "ftp://consul:21" }),
      (error: unknown) => {
        assert.ok(error instanceof BurstError);
        assert.equal(error.exitCode, 2);
        assert.match(error.message, /scheme ftp: is not http, https or unix/);
        return true;
      },
    );
  });
});
