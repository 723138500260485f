// A real moto_server (PyPI moto[server]) on a free loopback port, for the EC2 calls the aws target
// makes itself. moto emulates the EC2 API's requests and answers; it boots no machines, so an
// instance's console output is one fixed sample text (no cloud-init, no host key in it).

import { type Started, start } from "../../../src/util/exec.ts";
import { waitForPort } from "../../helpers/ports.ts";

export interface MotoServer {
  /** http://127.0.0.1:<port> */
  readonly endpoint: string;
  readonly pid: number | undefined;
  /** Kill the server's process group and wait until it is gone. */
  stop(): Promise<void>;
}

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
    return {
      endpoint: `http://127.0.0.1:${port}`,
      pid: server.pid,
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
    AWS_REGION: "eu-west-1",
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
