// A small client for Consul's HTTP API that honours Consul's own environment variables
// (CONSUL_HTTP_ADDR, CONSUL_HTTP_TOKEN, CONSUL_HTTP_SSL, CONSUL_CACERT, ...) and never waits
// longer than its timeout: an unreachable agent is an error in seconds, not a hang.

import { readdirSync, readFileSync } from "node:fs";
import { request as httpRequest, type IncomingHttpHeaders, type RequestOptions } from "node:http";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import { badInput, infraError } from "../errors.ts";

export const DEFAULT_TIMEOUT_MS = 5_000;

type Env = Readonly<Record<string, string | undefined>>;

interface TlsSettings {
  readonly ca?: readonly Buffer[];
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly rejectUnauthorized: boolean;
  readonly servername?: string;
}

export interface ConsulConnection {
  /** As shown to people: "http://127.0.0.1:8500" or "unix:///run/consul.sock". */
  readonly address: string;
  readonly url: URL;
  readonly socketPath?: string;
  readonly token?: string;
  /** Which variable the token came from, for messages. */
  readonly tokenSource?: string;
  readonly basicAuth?: string;
  readonly tls?: TlsSettings;
  /** Bound on each request, connection included. */
  readonly timeoutMs: number;
}

export interface ConsulRequest {
  readonly method: "GET" | "PUT" | "DELETE";
  /** Below /v1, e.g. "/kv/burst/". */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

export interface ConsulResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** The connection Consul's own CLI would use in this environment. */
export function consulConnectionFromEnv(env: Env, options: { readonly timeoutMs?: number } = {}): ConsulConnection {
  const rawAddress = env.CONSUL_HTTP_ADDR?.trim() || "127.0.0.1:8500";
  const ssl = parseBool(env, "CONSUL_HTTP_SSL") ?? false;
  let url: URL;
  let socketPath: string | undefined;
  if (rawAddress.startsWith("unix://")) {
    socketPath = rawAddress.slice("unix://".length);
    url = new URL("http://localhost");
  } else {
    const withScheme = /^[a-z]+:\/\//i.test(rawAddress) ? rawAddress : `${ssl ? "https" : "http"}://${rawAddress}`;
    try {
      url = new URL(withScheme);
    } catch (cause) {
      throw badInput(`CONSUL_HTTP_ADDR=${JSON.stringify(rawAddress)} is not an address like 127.0.0.1:8500`, { cause });
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw badInput(
        `CONSUL_HTTP_ADDR=${JSON.stringify(rawAddress)}: scheme ${url.protocol} is not http, https or unix`,
      );
    }
  }
  const { token, tokenSource } = tokenFromEnv(env);
  const secure = url.protocol === "https:";
  return {
    address: socketPath ? rawAddress : url.origin,
    url,
    socketPath,
    token,
    tokenSource,
    basicAuth: env.CONSUL_HTTP_AUTH || undefined,
    tls: secure ? tlsFromEnv(env) : undefined,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  };
}

function tokenFromEnv(env: Env): { token?: string; tokenSource?: string } {
  if (env.CONSUL_HTTP_TOKEN) return { token: env.CONSUL_HTTP_TOKEN.trim(), tokenSource: "CONSUL_HTTP_TOKEN" };
  const file = env.CONSUL_HTTP_TOKEN_FILE;
  if (!file) return {};
  return {
    token: readSetting(file, "CONSUL_HTTP_TOKEN_FILE").toString("utf8").trim(),
    tokenSource: "CONSUL_HTTP_TOKEN_FILE",
  };
}

function tlsFromEnv(env: Env): TlsSettings {
  const ca: Buffer[] = [];
  if (env.CONSUL_CACERT) ca.push(readSetting(env.CONSUL_CACERT, "CONSUL_CACERT"));
  if (env.CONSUL_CAPATH) {
    const dir = env.CONSUL_CAPATH;
    let names: string[];
    try {
      names = readdirSync(dir).filter((name) => /\.(pem|crt)$/.test(name));
    } catch (cause) {
      throw badInput(`CONSUL_CAPATH=${dir} cannot be read`, { cause });
    }
    for (const name of names) ca.push(readSetting(join(dir, name), "CONSUL_CAPATH"));
  }
  return {
    ca: ca.length > 0 ? ca : undefined,
    cert: env.CONSUL_CLIENT_CERT ? readSetting(env.CONSUL_CLIENT_CERT, "CONSUL_CLIENT_CERT") : undefined,
    key: env.CONSUL_CLIENT_KEY ? readSetting(env.CONSUL_CLIENT_KEY, "CONSUL_CLIENT_KEY") : undefined,
    rejectUnauthorized: parseBool(env, "CONSUL_HTTP_SSL_VERIFY") ?? true,
    servername: env.CONSUL_TLS_SERVER_NAME || undefined,
  };
}

function readSetting(path: string, variable: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw badInput(`${variable}=${path} cannot be read`, { cause, hint: `point ${variable} at a readable file` });
  }
}

// Consul's CLI parses these with Go's strconv.ParseBool.
function parseBool(env: Env, name: string): boolean | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  if (["1", "t", "T", "true", "TRUE", "True"].includes(raw)) return true;
  if (["0", "f", "F", "false", "FALSE", "False"].includes(raw)) return false;
  throw badInput(`${name}=${JSON.stringify(raw)} is not true or false`);
}

/** One HTTP exchange. Network failures and timeouts become infrastructure errors; statuses are the caller's. */
export function consulRequest(connection: ConsulConnection, call: ConsulRequest): Promise<ConsulResponse> {
  const query = new URLSearchParams(call.query ?? {}).toString();
  const path = `/v1${call.path}${query ? `?${query}` : ""}`;
  const payload = call.body === undefined ? undefined : Buffer.from(JSON.stringify(call.body));
  const headers: Record<string, string> = { accept: "application/json" };
  if (connection.token) headers["x-consul-token"] = connection.token;
  if (payload) headers["content-type"] = "application/json";
  const options: RequestOptions = {
    method: call.method,
    path,
    headers,
    auth: connection.basicAuth,
    // No pooled sockets: a finished call leaves nothing open that could keep the process alive.
    agent: false,
    ...(connection.socketPath
      ? { socketPath: connection.socketPath }
      : { host: connection.url.hostname.replace(/^\[|\]$/g, ""), port: connection.url.port || undefined }),
    ...(connection.tls ?? {}),
  };
  const send = connection.url.protocol === "https:" ? httpsRequest : httpRequest;
  const what = `${call.method} ${connection.address}${path}`;

  return new Promise<ConsulResponse>((resolvePromise, reject) => {
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const req = send(options, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        finish(() =>
          resolvePromise({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        ),
      );
      res.on("error", (cause) => finish(() => reject(unreachable(connection, what, cause))));
    });
    const timer = setTimeout(() => {
      finish(() =>
        reject(
          infraError(
            `Consul at ${connection.address} did not answer within ${connection.timeoutMs / 1000}s (${call.method} ${call.path})`,
            {
              hint: "check CONSUL_HTTP_ADDR and that the agent is up (`consul members`)",
            },
          ),
        ),
      );
      req.destroy();
    }, connection.timeoutMs);
    req.on("error", (cause) => finish(() => reject(unreachable(connection, what, cause))));
    req.end(payload);
  });
}

function unreachable(connection: ConsulConnection, what: string, cause: unknown) {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const reason =
    code === "ECONNREFUSED"
      ? "connection refused"
      : code === "ENOTFOUND" || code === "EAI_AGAIN"
        ? "host not found"
        : code === "ENOENT"
          ? "no such socket"
          : ((cause as Error | undefined)?.message ?? String(cause));
  const tlsHint = /certificate|self.signed|SSL|TLS/i.test(reason) ? " and CONSUL_CACERT / CONSUL_HTTP_SSL" : "";
  return infraError(`cannot reach Consul at ${connection.address}: ${reason}`, {
    cause,
    hint: `is the agent running? check CONSUL_HTTP_ADDR${tlsHint} (request: ${what})`,
  });
}
