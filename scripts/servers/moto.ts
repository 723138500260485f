// The one moto_server helper (PyPI moto[server]): a real emulator of the AWS APIs (EC2, IAM, S3,
// STS...) on a loopback port the kernel picks. The SDK clients burst builds and the real
// hashicorp/aws provider both talk to it. It boots no machines: an instance's console output is
// one fixed sample text, and the addresses it hands out belong to no machine (never dial them).

import { EC2Client } from "@aws-sdk/client-ec2";
import { type Started, start } from "../../src/util/exec.ts";
import { waitForPort } from "./ports.ts";

// The SDK warns once per process that Node 20 support ends; it is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

export interface MotoServer {
  /** http://127.0.0.1:<port> */
  readonly endpoint: string;
  readonly pid: number | undefined;
  /** An EC2 client on this server (test credentials, one attempt per call). */
  client(): EC2Client;
  /** Forget every resource (between tests). */
  reset(): Promise<void>;
  /** AWS_ENDPOINT_URL, credentials and region for a child process (burst, terraform) using this server. */
  env(): Record<string, string>;
  /** Kill the server's process group and wait until it is gone. */
  stop(): Promise<void>;
}

export const motoRegion = "eu-west-1";

/**
 * Starts moto_server on a port the kernel picks (-p 0) and reads the port from its banner: a port
 * chosen beforehand could be taken by another test's server, which we would then talk to instead.
 */
export async function startMoto(): Promise<MotoServer> {
  let announce: (port: number) => void = () => {};
  const announced = new Promise<number>((resolve) => {
    announce = resolve;
  });
  const server: Started = start("moto_server", ["-H", "127.0.0.1", "-p", "0"], {
    maxCapture: 64 * 1024,
    onLine: (line) => {
      const port = /Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(line)?.[1];
      if (port !== undefined) announce(Number(port));
    },
  });
  const exited = server.done.then((result) => {
    throw new Error(
      `moto_server exited: ${`${result.stderr}${result.stdout}`.trim().split("\n").slice(-3).join("\n")}`,
    );
  });
  exited.catch(() => {}); // once started, its exit at stop() is expected
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("moto_server did not announce its port within 30 s")), 30_000);
  });
  try {
    const port = await Promise.race([announced, exited, timeout]).finally(() => clearTimeout(timer));
    await waitForPort(port, "127.0.0.1", 10_000);
    const endpoint = `http://127.0.0.1:${port}`;
    return {
      endpoint,
      pid: server.pid,
      client: () =>
        new EC2Client({
          endpoint,
          region: motoRegion,
          credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
          maxAttempts: 1,
        }),
      reset: async () => {
        const response = await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
        if (!response.ok) throw new Error(`moto reset: HTTP ${response.status}`);
      },
      env: () => ({
        AWS_ENDPOINT_URL: endpoint,
        AWS_ACCESS_KEY_ID: "testing",
        AWS_SECRET_ACCESS_KEY: "testing",
        AWS_REGION: motoRegion,
        AWS_EC2_METADATA_DISABLED: "true",
      }),
      stop: async () => {
        await server.stop();
      },
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/** Credentials and region for moto (it accepts any), plus `variables` (undefined unsets); restore() puts them back. */
export function useMotoEnvironment(variables: Record<string, string | undefined>): { restore(): void } {
  const all: Record<string, string | undefined> = {
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    AWS_REGION: motoRegion,
    ...variables,
  };
  const saved = Object.fromEntries(Object.keys(all).map((name) => [name, process.env[name]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(all);
  return { restore: () => apply(saved) };
}
