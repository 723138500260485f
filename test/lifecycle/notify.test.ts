import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { notifyRun, type RunSummary } from "../../src/lifecycle/notify.ts";

const summary: RunSummary = {
  runId: "20261205-063000-ab12",
  name: "wordcount",
  target: "local",
  outcome: "failed",
  exitCode: 1,
  seconds: 42.4,
  message: 'step "count" exited with code 1',
};

describe("notifyRun", () => {
  let server: Server;
  let base: string;
  /** Status the next requests get, per path; the bodies received, per path. */
  const statuses = new Map<string, number[]>();
  const received = new Map<string, string[]>();

  before(async () => {
    server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => {
        body += chunk;
      });
      request.on("end", () => {
        const path = request.url ?? "/";
        received.set(path, [...(received.get(path) ?? []), body]);
        response.statusCode = statuses.get(path)?.shift() ?? 200;
        response.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test("posts the summary as JSON with a Slack-style text line", async () => {
    await notifyRun(`${base}/ok`, summary);
    const [body] = received.get("/ok") ?? [];
    const posted = JSON.parse(body ?? "{}");
    assert.equal(posted.runId, summary.runId);
    assert.equal(posted.outcome, "failed");
    assert.match(posted.text, /^❌ burst wordcount \(20261205-063000-ab12\) failed in 42s on local\nstep "count"/);
  });

  test("a failed job's digest rides along: the object for machines, its summary line in the text", async () => {
    const digest = {
      kind: "python-exception" as const,
      summary: "KeyError: 'no weight for customer 7' at scores.py:8 in score",
      exception: "KeyError: 'no weight for customer 7'",
      at: "scores.py:8 in score",
    };
    await notifyRun(`${base}/digest`, { ...summary, digest });
    const posted = JSON.parse(received.get("/digest")?.[0] ?? "{}");
    assert.deepEqual(posted.digest, digest);
    assert.match(posted.text, /\nKeyError: 'no weight for customer 7' at scores\.py:8 in score$/);
  });

  test("a 5xx is retried, and the post that then succeeds ends it", async () => {
    statuses.set("/flaky", [503]);
    await notifyRun(`${base}/flaky`, summary, { attempts: 3 });
    assert.equal(received.get("/flaky")?.length, 2);
  });

  test("gives up after the attempts, naming their number and the status, never the secret URL", async () => {
    statuses.set("/down", [500, 502]);
    const url = `${base}/down`;
    const error = await notifyRun(url, summary, { attempts: 2 }).then(
      () => assert.fail("notifyRun resolved"),
      (thrown: unknown) => thrown as Error,
    );
    assert.equal(error.message, "webhook failed after 2 attempt(s): HTTP 502");
    assert.ok(!error.message.includes(url) && !String(error.stack).includes(url));
    assert.equal(received.get("/down")?.length, 2);
  });

  test("a 4xx other than 429 is not retried", async () => {
    statuses.set("/gone", [404]);
    await assert.rejects(notifyRun(`${base}/gone`, summary, { attempts: 3 }), {
      message: "webhook failed after 1 attempt(s): HTTP 404",
    });
    assert.equal(received.get("/gone")?.length, 1);
  });
});
