import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, describe, it } from "node:test";
import { freePort } from "../../../scripts/servers/ports.ts";
import { BurstError, ExitCode } from "../../../src/errors.ts";
import {
  checkIpUrl,
  detectPublicIp,
  placeholderCallerCidr,
  resolveCallerCidr,
} from "../../../src/targets/aws/caller-cidr.ts";

/** A loopback stand-in for checkip.amazonaws.com: each path answers differently. */
function checkIpServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    if (request.url === "/v4") response.end("198.51.100.23\n");
    else if (request.url === "/v6") response.end("2001:db8::23\n");
    else if (request.url === "/html") response.end("<html>captive portal</html>");
    else if (request.url === "/down") response.writeHead(503).end("unavailable");
    // "/slow" never answers.
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

async function badInputOf(action: () => Promise<unknown>): Promise<BurstError> {
  try {
    await action();
  } catch (error) {
    assert.ok(
      error instanceof BurstError && error.exitCode === ExitCode.badInput,
      `expected bad input, got ${String(error)}`,
    );
    return error;
  }
  return assert.fail("expected a rejection");
}

describe("detectPublicIp", () => {
  let server: { url: string; close(): Promise<void> };
  before(async () => {
    server = await checkIpServer();
  });
  after(() => server.close());

  it("asks checkip.amazonaws.com by default", () => {
    assert.equal(checkIpUrl, "https://checkip.amazonaws.com");
  });

  it("turns the plain-text answer into a single-address CIDR (/32, or /128 for IPv6)", async () => {
    assert.equal(await detectPublicIp(`${server.url}/v4`), "198.51.100.23/32");
    assert.equal(await detectPublicIp(`${server.url}/v6`), "2001:db8::23/128");
  });

  for (const [path, why] of [
    ["/html", /not an IP address/],
    ["/down", /HTTP 503/],
    ["/slow", /no answer within 0\.3 s/],
  ] as const) {
    it(`fails as bad input telling to set BURST_CALLER_CIDR when the service answers ${path.slice(1)}`, async () => {
      const error = await badInputOf(() => detectPublicIp(`${server.url}${path}`, 300));
      assert.match(error.message, why);
      assert.match(error.hint ?? "", /set BURST_CALLER_CIDR/);
    });
  }

  it("fails the same way when nothing listens", async () => {
    const closedPort = await freePort();
    const error = await badInputOf(() => detectPublicIp(`http://127.0.0.1:${closedPort}/`, 1000));
    assert.match(error.hint ?? "", /BURST_CALLER_CIDR=203\.0\.113\.7\/32/);
  });
});

describe("resolveCallerCidr", () => {
  const never = () => assert.fail("must not detect");

  it("prefers BURST_CALLER_CIDR, checked and normalised, in both modes", async () => {
    for (const mode of ["plan", "launch"] as const) {
      assert.deepEqual(await resolveCallerCidr(mode, { env: { BURST_CALLER_CIDR: " 198.51.100.7 " }, detect: never }), {
        cidr: "198.51.100.7/32",
        source: "env",
      });
    }
    assert.deepEqual(await resolveCallerCidr("launch", { env: { BURST_CALLER_CIDR: "10.0.0.0/8" }, detect: never }), {
      cidr: "10.0.0.0/8",
      source: "env",
    });
  });

  it("refuses ranges that open SSH to much of the internet", async () => {
    const error = await badInputOf(() =>
      resolveCallerCidr("plan", { env: { BURST_CALLER_CIDR: "0.0.0.0/0" }, detect: never }),
    );
    assert.equal(error.keyPath, "BURST_CALLER_CIDR");
  });

  it("uses a TEST-NET-1 placeholder in a dry run, which the stack accepts and nobody can come from", async () => {
    assert.equal(placeholderCallerCidr, "192.0.2.1/32");
    assert.deepEqual(await resolveCallerCidr("plan", { env: {}, detect: never }), {
      cidr: "192.0.2.1/32",
      source: "placeholder",
    });
  });

  it("detects at launch when the variable is unset or empty", async () => {
    const detect = async () => "198.51.100.23/32";
    assert.deepEqual(await resolveCallerCidr("launch", { env: { BURST_CALLER_CIDR: "" }, detect }), {
      cidr: "198.51.100.23/32",
      source: "detected",
    });
  });

  it("with aws.sshAddress private, never asks the internet: BURST_CALLER_CIDR or a bad-input error naming it", async () => {
    const error = await badInputOf(() =>
      resolveCallerCidr("launch", { env: {}, detect: never, sshAddress: "private" }),
    );
    assert.equal(error.keyPath, "aws/sshAddress");
    assert.match(error.hint ?? "", /BURST_CALLER_CIDR/);
    assert.deepEqual(
      await resolveCallerCidr("launch", {
        env: { BURST_CALLER_CIDR: "10.8.0.5" },
        detect: never,
        sshAddress: "private",
      }),
      { cidr: "10.8.0.5/32", source: "env" },
    );
  });
});
