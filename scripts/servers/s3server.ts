// A real S3 API server for tests and benchmarks: versitygw with its posix backend on a free
// loopback port, a temp data dir (objects are plain files under <dataDir>/<bucket>/<key>) and
// random root credentials.
//
//   const s3 = await startS3Server();
//   try { ... s3.endpoint, s3.accessKeyId, s3.secretAccessKey, s3.client() ... } finally { await s3.stop(); }

import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { ensureS3Server } from "../../src/targets/local/s3-server.ts";
import { type Started, start } from "../../src/util/exec.ts";
import { freePort, waitForPort } from "./ports.ts";

export interface S3ServerOptions {
  /** versitygw binary; default: ensureS3Server() (built into the burst cache on first use). */
  readonly binary?: string;
  /** Serve this directory instead of a fresh temp dir (which stop() then leaves in place). */
  readonly dataDir?: string;
  /** Keep metadata in a sidecar dir instead of xattrs (for filesystems without user xattrs). */
  readonly sidecar?: boolean;
  readonly log?: (line: string) => void;
  /** The address to listen on (default loopback; a test bridge's host side for containers). */
  readonly host?: string;
}

export interface S3Server {
  /** http://<host>:<port> */
  readonly endpoint: string;
  readonly port: number;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly dataDir: string;
  /** The server's pid (its own process group). */
  readonly pid: number | undefined;
  /** An S3 client for this server (path-style, checksums only when required). */
  client(): S3Client;
  /** Kill the server (and its process group); remove the temp data dir unless dataDir was given. */
  stop(): Promise<void>;
}

const alnum = (n: number) => Array.from(randomBytes(n), (b) => "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"[b % 36]).join("");

export async function startS3Server(options: S3ServerOptions = {}): Promise<S3Server> {
  const log = options.log ?? (() => {});
  const binary = options.binary ?? (await ensureS3Server(log)).binary;
  const base = await mkdtemp(join(tmpdir(), "burst-s3-"));
  const dataDir = options.dataDir ?? join(base, "data");
  await mkdir(dataDir, { recursive: true });
  const accessKeyId = `BURST${alnum(15)}`;
  const secretAccessKey = randomBytes(30).toString("base64url");
  const region = "us-east-1";
  const host = options.host ?? "127.0.0.1";

  let lastError = "";
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort(host);
    const args = ["--port", `${host}:${port}`, "--region", region, "posix"];
    if (options.sidecar) {
      const sidecarDir = join(base, "meta");
      await mkdir(sidecarDir, { recursive: true });
      args.push("--sidecar", sidecarDir);
    }
    args.push(dataDir);
    const server: Started = start(binary, args, {
      // Credentials through the environment only: never on a command line other users can read.
      env: { ROOT_ACCESS_KEY: accessKeyId, ROOT_SECRET_KEY: secretAccessKey },
      onLine: (line) => log(`versitygw: ${line}`),
      maxCapture: 256 * 1024,
    });
    const exited = server.done.then(
      (r) => ({ exited: true as const, r }),
      (e: unknown) => ({ exited: true as const, r: undefined, e }),
    );
    const ready = waitForPort(port, host, 20_000).then(() => ({
      exited: false as const,
    }));
    const first = await Promise.race([ready, exited]).catch((e: unknown) => ({
      exited: false as const,
      e,
    }));
    if (!first.exited && !("e" in first)) {
      const endpoint = `http://${host}:${port}`;
      let stopped = false;
      return {
        endpoint,
        port,
        region,
        accessKeyId,
        secretAccessKey,
        dataDir,
        pid: server.pid,
        client: () =>
          new S3Client({
            endpoint,
            region,
            forcePathStyle: true,
            credentials: { accessKeyId, secretAccessKey },
            requestChecksumCalculation: "WHEN_REQUIRED",
            responseChecksumValidation: "WHEN_REQUIRED",
          }),
        async stop() {
          if (stopped) return;
          stopped = true;
          await server.stop();
          await rm(base, { recursive: true, force: true }); // holds dataDir unless the caller gave one
        },
      };
    }
    await server.stop();
    const r = "r" in first ? first.r : undefined;
    lastError = r
      ? `${r.stderr}${r.stdout}`.trim().split("\n").slice(-5).join("\n")
      : String((first as { e?: unknown }).e);
    if (!/address already in use/i.test(lastError)) break;
  }
  await rm(base, { recursive: true, force: true });
  throw new Error(`versitygw did not start: ${lastError}`);
}
