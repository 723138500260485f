// component: scripts/config-push.ts as its own process (against a loopback server that never answers)
// `npm run config:push` when Consul accepts connections and never answers: the client's default
// timeout ends the wait within seconds, and the script exits 3 (a broken machine), saying so.
import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { runScript } from "../params/fixtures.ts";

// Generous: a bound that proves "fails in seconds, never hangs", not a performance target.
const BOUND_MS = 10_000;

describe("config:push against a Consul that never answers", () => {
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

  it("the default timeout is a few seconds, and config:push exits 3", async () => {
    const began = Date.now();
    const push = await runScript("config-push", [], { CONSUL_HTTP_ADDR: silentAddress });
    const elapsed = Date.now() - began;
    assert.equal(push.code, 3, push.stderr);
    assert.match(push.stderr, /config:push: Consul at http:\/\/127\.0\.0\.1:\d+ did not answer within 5s/);
    assert.ok(elapsed < BOUND_MS + 5_000, `took ${elapsed} ms (includes starting node)`);
  });
});
