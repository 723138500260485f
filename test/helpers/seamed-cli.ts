// Entry point: the burst CLI with test seams (src/lifecycle/seams.ts), for the fault tests: the seams come in
// as an option of main(), built here from the test's environment; burst itself reads none of these.
//   BURST_TEST_SIGNAL_DURING=<phase>:<SIGNAL>  the CLI signals itself once <phase>'s work has begun
//   BURST_TEST_HOLD_PHASE=<phase>              <phase> stays open ~3 s after its work starts
//   BURST_TEST_CRASH_PHASE=<phase>             an error nothing catches, ~2 s into <phase>
//   BURST_TEST_TIMEOUT_SECONDS=<n>             every step times out after n seconds
//   BURST_TEST_S3_FAULT=503 | 503x<n> | slow   the CLI reaches S3 through a loopback proxy that
//                                              answers every request (or the first n) with 503
//                                              SlowDown, or holds every answer past a 1 s timeout
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import type { Phase } from "../../src/lifecycle/events.ts";
import type { RunSeams } from "../../src/lifecycle/seams.ts";
import type { S3Access } from "../../src/storage/s3.ts";

const SEAM_VARIABLES = [
  "BURST_TEST_SIGNAL_DURING",
  "BURST_TEST_HOLD_PHASE",
  "BURST_TEST_CRASH_PHASE",
  "BURST_TEST_TIMEOUT_SECONDS",
  "BURST_TEST_S3_FAULT",
] as const;

/** A loopback proxy in front of the run's S3 server that fails as `fault` says. */
async function faultyS3(access: S3Access, fault: string): Promise<S3Access> {
  const upstream = new URL(access.endpoint ?? "");
  const failFirst = fault === "503" ? Number.POSITIVE_INFINITY : Number(/^503x(\d+)$/.exec(fault)?.[1] ?? 0);
  let failed = 0;
  let forwarded = 0;
  const server = createServer((req, res) => {
    if (fault === "slow") {
      // Hold the answer: the client gives up after its request timeout, then retries.
      req.resume();
      setTimeout(() => res.destroy(), 30_000).unref();
      return;
    }
    if (failed < failFirst) {
      failed++;
      req.resume();
      res.writeHead(503, { "content-type": "application/xml" });
      res.end(
        '<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
      );
      return;
    }
    forwarded++;
    const proxied = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    proxied.on("error", () => res.destroy());
    req.pipe(proxied);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  server.unref();
  process.on("exit", () =>
    process.stderr.write(`test seam: S3 proxy (${fault}) failed ${failed} requests, forwarded ${forwarded}\n`),
  );
  const { port } = server.address() as AddressInfo;
  return { ...access, endpoint: `http://127.0.0.1:${port}`, ...(fault === "slow" ? { requestTimeoutMs: 1000 } : {}) };
}

function seamsFromEnv(env: Readonly<Record<string, string | undefined>>): RunSeams {
  const [signalPhase, signal] = (env.BURST_TEST_SIGNAL_DURING ?? "").split(":");
  const hold = env.BURST_TEST_HOLD_PHASE;
  const crash = env.BURST_TEST_CRASH_PHASE;
  const timeout = Number(env.BURST_TEST_TIMEOUT_SECONDS);
  const s3Fault = env.BURST_TEST_S3_FAULT;
  let signalled = false;
  return {
    ...(s3Fault ? { objectStore: (access: S3Access) => faultyS3(access, s3Fault) } : {}),
    ...(Number.isFinite(timeout) && timeout > 0 ? { stepTimeoutSeconds: timeout } : {}),
    duringPhase: async (phase: Phase) => {
      if (phase === signalPhase && signal && !signalled) {
        signalled = true;
        // Delivered by the kernel like any other signal; Node runs the handlers on its next turn,
        // while this phase's work is waiting on its first I/O.
        process.stderr.write(`test seam: ${signal} sent during ${phase}\n`);
        process.kill(process.pid, signal);
      }
      if (phase === crash) {
        setTimeout(() => {
          throw new Error(`test crash in ${phase} (BURST_TEST_CRASH_PHASE)`);
        }, 2000);
      }
      if (phase === hold) await new Promise((resolve) => setTimeout(resolve, 3000));
    },
  };
}

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const seams = seamsFromEnv(process.env);
for (const name of SEAM_VARIABLES) delete process.env[name];
const { main } = await import("../../src/cli/burst.ts");
process.exitCode = await main(process.argv.slice(2), process, { seams });
