// A real Consul agent for tests: `consul agent -dev` on free loopback ports (HTTP, server RPC,
// serf LAN; DNS, gRPC, HTTPS and serf WAN disabled), optionally with ACLs in default-deny mode.
//
//   const consul = await startConsulAgent({ acl: true });
//   try { ... consul.env(token) ... } finally { await consul.stop(); }
//
// The binary comes from scripts/setup/consul.sh (cached per version; the first build takes minutes).
// A missing binary is built, never skipped: a test that cannot get Consul fails and says why.

import { randomUUID } from "node:crypto";
import { createSocket } from "node:dgram";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, type Started, start } from "../../src/util/exec.ts";

const repoRoot = join(import.meta.dirname, "..", "..");

export interface ConsulAgent {
  /** For CONSUL_HTTP_ADDR: "127.0.0.1:<port>". */
  readonly address: string;
  /** With ACLs: the initial management token. */
  readonly managementToken?: string;
  /** Environment for code under test: CONSUL_HTTP_ADDR and, when given, CONSUL_HTTP_TOKEN. */
  env(token?: string): Record<string, string>;
  /** A raw API call with the management token (for test setup): parsed JSON, or the text. */
  api(method: "GET" | "PUT" | "DELETE", path: string, body?: unknown): Promise<unknown>;
  /** A new token holding one policy with these HCL rules. */
  createToken(rules: string): Promise<string>;
  /** Every key/value under a prefix, decoded. */
  kv(prefix: string): Promise<Map<string, string>>;
  /** Stops the agent (SIGTERM, then SIGKILL) and removes its directory. */
  stop(): Promise<void>;
}

export interface ConsulAgentOptions {
  /** ACLs enabled with default_policy "deny" and a random initial management token. */
  readonly acl?: boolean;
}

let binaryPromise: Promise<string> | undefined;

/** The cached consul binary, built by scripts/setup/consul.sh when missing (slow, once). */
export function consulBinary(): Promise<string> {
  binaryPromise ??= (async () => {
    const fromEnv = process.env.BURST_CONSUL_BIN;
    if (fromEnv) return fromEnv;
    const result = await run("bash", [join(repoRoot, "scripts", "setup", "consul.sh")], {
      timeoutMs: 45 * 60_000,
      onLine: (line, stream) => stream === "stderr" && process.stderr.write(`${line}\n`),
    });
    const path = result.stdout.trim().split("\n").pop();
    if (result.code !== 0 || !path) {
      throw new Error(
        `scripts/setup/consul.sh failed (exit ${result.code}); cannot run Consul tests:\n${result.stderr.slice(-2000)}`,
      );
    }
    return path;
  })();
  return binaryPromise;
}

export async function startConsulAgent(options: ConsulAgentOptions = {}): Promise<ConsulAgent> {
  const binary = await consulBinary();
  let lastError: unknown;
  // A port probed free can be taken before consul binds it; a fresh set of ports fixes that.
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      return await launch(binary, options);
    } catch (error) {
      lastError = error;
      if (!/address already in use|bind/i.test(String(error))) throw error;
    }
  }
  throw lastError;
}

async function launch(binary: string, options: ConsulAgentOptions): Promise<ConsulAgent> {
  const dir = await mkdtemp(join(tmpdir(), "burst-consul-"));
  const [http, server, serfLan] = await freeLoopbackPorts(3);
  const managementToken = options.acl ? randomUUID() : undefined;
  const config = `
node_name = "burst-test-${randomUUID().slice(0, 8)}"
bind_addr = "127.0.0.1"
client_addr = "127.0.0.1"
advertise_addr = "127.0.0.1"
data_dir = "${join(dir, "data")}"
disable_update_check = true
log_level = "warn"
ui_config { enabled = false }
ports {
  http = ${http}
  server = ${server}
  serf_lan = ${serfLan}
  serf_wan = -1
  dns = -1
  grpc = -1
  grpc_tls = -1
  https = -1
}
${managementToken ? `acl {\n  enabled = true\n  default_policy = "deny"\n  tokens { initial_management = "${managementToken}" }\n}` : ""}
`;
  const configFile = join(dir, "agent.hcl");
  await writeFile(configFile, config);

  const agent = start(binary, ["agent", "-dev", "-config-file", configFile], { killGraceMs: 5_000 });
  const address = `127.0.0.1:${http}`;
  const stop = async () => {
    await agent.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilReady(agent, address, `127.0.0.1:${server}`, managementToken);
  } catch (error) {
    await stop();
    throw error;
  }

  const api = async (method: "GET" | "PUT" | "DELETE", path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`http://${address}/v1${path}`, {
      method,
      headers: managementToken ? { "x-consul-token": managementToken } : {},
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    if (!response.ok && response.status !== 404) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  };

  return {
    address,
    managementToken,
    env: (token) => ({ CONSUL_HTTP_ADDR: address, ...(token ? { CONSUL_HTTP_TOKEN: token } : {}) }),
    api,
    async createToken(rules) {
      const name = `test-${randomUUID()}`;
      await api("PUT", "/acl/policy", { Name: name, Rules: rules });
      const token = (await api("PUT", "/acl/token", { Policies: [{ Name: name }] })) as { SecretID: string };
      return token.SecretID;
    },
    async kv(prefix) {
      const pairs = (await api("GET", `/kv/${prefix}?recurse=true`)) as
        | Array<{ Key: string; Value: string | null }>
        | string;
      const values = new Map<string, string>();
      if (typeof pairs === "string") return values;
      for (const pair of pairs)
        values.set(pair.Key, pair.Value === null ? "" : Buffer.from(pair.Value, "base64").toString("utf8"));
      return values;
    },
    stop,
  };
}

async function waitUntilReady(
  agent: Started,
  address: string,
  serverAddress: string,
  token: string | undefined,
): Promise<void> {
  let exited = false;
  void agent.done.then(() => {
    exited = true;
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (exited) {
      const result = await agent.done;
      throw new Error(
        `consul agent exited with ${result.code ?? result.signal} before electing a leader:\n${result.stdout.slice(-1500)}${result.stderr.slice(-1500)}`,
      );
    }
    if ((await probe(address, "/v1/status/leader")) === JSON.stringify(serverAddress)) {
      // The initial management token works only once the new leader has set ACLs up.
      if (!token || (await probe(address, "/v1/acl/token/self", token)) !== undefined) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`consul agent at ${address} had no leader after 60 s`);
}

/** The body of a 200 answer, or undefined for anything else (including no answer yet). */
async function probe(address: string, path: string, token?: string): Promise<string | undefined> {
  try {
    const response = await fetch(`http://${address}${path}`, {
      headers: token ? { "x-consul-token": token } : {},
      signal: AbortSignal.timeout(1_000),
    });
    const text = await response.text();
    return response.ok ? text.trim() : undefined;
  } catch {
    return undefined;
  }
}

/** Distinct ports free for TCP on 127.0.0.1, held together while choosing; also free for UDP (serf gossips over both). */
async function freeLoopbackPorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    while (ports.length < count) {
      const server = createServer();
      servers.push(server);
      const port = await new Promise<number>((resolve, reject) => {
        server.once("error", reject);
        server.listen({ port: 0, host: "127.0.0.1", exclusive: true }, () => {
          const address = server.address();
          if (address && typeof address === "object") resolve(address.port);
          else reject(new Error("no port assigned"));
        });
      });
      if (await udpFree(port)) ports.push(port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket("udp4");
    socket.once("error", () => {
      socket.close();
      resolve(false);
    });
    socket.bind(port, "127.0.0.1", () => socket.close(() => resolve(true)));
  });
}
