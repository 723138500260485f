// Downloads from a Maven repository (BURST_MAVEN_REPO) through a loopback server of the test's
// own: a 404 fails at once with the hint, a 5xx is retried with waits, a bad checksum is refused.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { downloadVerified, fetchText } from "../../src/install/maven.ts";

const jar = Buffer.from("not really a jar\n");
// The real doubling waits, from 50 ms instead of 1 s: the retries are what is tested, not the clock.
const wait = { firstRetryDelayMs: 50 };
const sha1 = createHash("sha1").update(jar).digest("hex");

describe("Maven downloads", () => {
  let server: Server;
  let base = "";
  const hits = new Map<string, number>();
  /** path → the statuses to answer in turn (then 200). */
  const failures = new Map<string, number[]>();
  before(async () => {
    server = createServer((req, res) => {
      const path = req.url ?? "";
      hits.set(path, (hits.get(path) ?? 0) + 1);
      const status = failures.get(path)?.shift();
      if (status !== undefined) {
        res.writeHead(status).end();
        return;
      }
      if (path.endsWith("/good.jar")) res.end(jar);
      else if (path.endsWith("/good.jar.sha1")) res.end(`${sha1}  good.jar\n`);
      else if (path.endsWith("/bad.jar")) res.end(jar);
      else if (path.endsWith("/bad.jar.sha1")) res.end(`${"0".repeat(40)}\n`);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  test("a 404 fails at once, naming the URL and how to use a mirror", async () => {
    await assert.rejects(fetchText(`${base}/missing.pom`), (error: Error & { hint?: string }) => {
      assert.match(error.message, /could not download .*\/missing\.pom: GET .* HTTP 404/);
      assert.match(String(error.hint), /BURST_MAVEN_REPO/);
      return true;
    });
    assert.equal(hits.get("/missing.pom"), 1, "a 4xx is not retried");
  });

  test("a 503 is retried after a wait, then the download succeeds and its sha1 is checked", async () => {
    failures.set("/a/good.jar", [503, 503]);
    const dest = join(await mkdtemp(join(tmpdir(), "burst-maven-")), "good.jar");
    const got = await downloadVerified(`${base}/a/good.jar`, dest, () => {}, wait);
    assert.deepEqual(got, { sha1, bytes: jar.length });
    assert.equal(hits.get("/a/good.jar"), 3, "two failures, then the third try");
    assert.deepEqual(readFileSync(dest), jar);
  });

  test("a file whose sha1 differs from the published one is refused and not kept", async () => {
    const dest = join(await mkdtemp(join(tmpdir(), "burst-maven-")), "bad.jar");
    await assert.rejects(
      downloadVerified(`${base}/b/bad.jar`, dest, () => {}, wait),
      /sha1 mismatch/,
    );
    assert.equal(existsSync(dest), false);
  });
});
