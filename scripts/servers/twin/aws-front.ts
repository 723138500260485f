// The AWS twin's front door: an HTTP proxy in front of moto_server that everything talks to (the
// CLI and terraform on loopback, the nodes on the VPC's bridge). It passes every request to moto
// unchanged, records each API call (who sent it, the service, the action and its parameters) for
// the IAM check, and answers one action itself: GetConsoleOutput returns the console of the
// container that plays the instance, which moto cannot know.

import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";

/** One API call as it reached the twin. */
export interface RecordedCall {
  /** Milliseconds since the epoch. */
  readonly at: number;
  /** The caller's address: loopback for the CLI and terraform, a node's private address for a node. */
  readonly from: string;
  /** ec2, iam, sts, s3... from the request's SigV4 scope; "s3" for an unsigned request. */
  readonly service: string;
  /** The API action, e.g. RunInstances, or for S3 the REST operation, e.g. PutObject. */
  readonly action: string;
  /** Query-protocol parameters (EC2, IAM, STS); for S3 the bucket, key and sub-resource. */
  readonly params: Readonly<Record<string, string>>;
  /** moto's HTTP status, or the twin's own for an action it answers. */
  status: number;
  /** Whether the request was signed (anonymous reads of the artifacts bucket are not). */
  readonly signed: boolean;
  /** The answer's body, for query-protocol calls (the ids a create call returned). */
  response?: string;
}

export interface AwsFrontOptions {
  /** moto's own endpoint, http://127.0.0.1:<port>. */
  readonly moto: string;
  /** Addresses to listen on (loopback, and the bridge's host address for nodes); one port for all. */
  readonly hosts: readonly string[];
  /** The console text of the container playing `instanceId`, or undefined to let moto answer. */
  readonly consoleOf: (instanceId: string) => string | undefined;
  /** Runs once moto has answered a query-protocol call, before the caller gets the answer (CreateImage saves a root). */
  readonly onAnswer?: (call: RecordedCall) => Promise<void>;
}

export interface AwsFront {
  readonly port: number;
  /** http://<host>:<port> */
  endpoint(host: string): string;
  /** Every call so far, in arrival order (the array is live). */
  readonly calls: RecordedCall[];
  /** Listens on one more address, on the same port (the bridge's, once the VPC exists). */
  addHost(host: string): Promise<void>;
  stop(): Promise<void>;
}

/** EC2 keeps the last 64 KiB of a console. */
const consoleLimit = 64 * 1024;

export async function startAwsFront(options: AwsFrontOptions): Promise<AwsFront> {
  const moto = new URL(options.moto);
  const calls: RecordedCall[] = [];

  const handle = async (incoming: IncomingMessage, outgoing: ServerResponse) => {
    const isForm = (incoming.headers["content-type"] ?? "").includes("application/x-www-form-urlencoded");
    // Query-protocol bodies are small forms, read whole to find the action; anything else streams.
    const body = isForm ? await readAll(incoming) : undefined;
    const call = describeCall(incoming, body);
    calls.push(call);
    if (call.service === "ec2" && call.action === "GetConsoleOutput") {
      const instanceId = call.params.InstanceId ?? "";
      const text = options.consoleOf(instanceId);
      if (text !== undefined) {
        outgoing.writeHead(200, { "content-type": "text/xml" }).end(consoleOutputXml(instanceId, text));
        return;
      }
    }
    const upstream = request(
      {
        host: moto.hostname,
        port: moto.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (answer) => {
        call.status = answer.statusCode ?? 0;
        if (body !== undefined) {
          // A query-protocol answer is a small XML document: kept, so the ids it made can be traced.
          readAll(answer)
            .then(
              async (bytes) => {
                let status = answer.statusCode ?? 502;
                let headers = answer.headers;
                const retried =
                  status === 400 && bytes.includes("No instances specified")
                    ? await deleteEndedFleet(call, body)
                    : undefined;
                if (retried !== undefined) {
                  const again = await forward(moto, incoming, retried);
                  ({ status, headers } = again);
                  bytes = again.bytes;
                  call.status = status;
                }
                call.response = bytes.toString("utf8");
                await options.onAnswer?.(call);
                outgoing.writeHead(status, wholeBody(headers, bytes.length)).end(bytes);
              },
              (error: Error) => outgoing.destroy(error),
            )
            .catch((error: Error) => outgoing.destroy(error));
          return;
        }
        if (call.action === "CompleteMultipartUpload" && answer.statusCode === 200) {
          // moto 5.2.1 names the root element CompleteMultipartUploadResponse; S3 (and the SDK for
          // Java that s3a uses, which fails on anything else) says CompleteMultipartUploadResult.
          readAll(answer).then(
            (bytes) => {
              const fixed = Buffer.from(
                bytes.toString("utf8").replaceAll("CompleteMultipartUploadResponse", "CompleteMultipartUploadResult"),
              );
              outgoing.writeHead(200, wholeBody(answer.headers, fixed.length)).end(fixed);
            },
            (error: Error) => outgoing.destroy(error),
          );
          return;
        }
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    upstream.on("error", (error) => {
      call.status = 502;
      if (!outgoing.headersSent) outgoing.writeHead(502, { "content-type": "text/plain" });
      outgoing.end(`twin: moto did not answer: ${error.message}`);
    });
    if (body !== undefined) upstream.end(body);
    else incoming.pipe(upstream);
  };

  /**
   * moto 5.2.1 refuses DeleteFleets(TerminateInstances=true) of a fleet whose instances have all
   * ended (its terminate step gets no ids: "No instances specified"); EC2 deletes the fleet. With
   * nothing left to terminate, the same call without TerminateInstances is what EC2 does.
   */
  const deleteEndedFleet = async (call: RecordedCall, body: Buffer): Promise<Buffer | undefined> => {
    if (call.action !== "DeleteFleets" || call.params.TerminateInstances !== "true") return undefined;
    const form = new URLSearchParams(body.toString("utf8"));
    form.set("TerminateInstances", "false");
    return Buffer.from(form.toString());
  };

  const servers: Server[] = [];
  let port = 0;
  const addHost = async (host: string) => {
    const server = createServer((incoming, outgoing) => {
      handle(incoming, outgoing).catch((error: Error) => {
        if (!outgoing.headersSent) outgoing.writeHead(500, { "content-type": "text/plain" });
        outgoing.end(`twin: ${error.message}`);
      });
    });
    // The first listener picks the port; the others take the same one on their own address.
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address();
    if (port === 0 && typeof address === "object" && address !== null) port = address.port;
    servers.push(server);
  };
  for (const host of options.hosts) await addHost(host);
  return {
    get port() {
      return port;
    },
    endpoint: (host) => `http://${host}:${port}`,
    calls,
    addHost,
    stop: async () => {
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            }),
        ),
      );
    },
  };
}

/** One request to moto with `body`, answered whole. */
function forward(
  moto: URL,
  incoming: IncomingMessage,
  body: Buffer,
): Promise<{ status: number; headers: IncomingMessage["headers"]; bytes: Buffer }> {
  return new Promise((resolve, reject) => {
    const upstream = request(
      {
        host: moto.hostname,
        port: moto.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, "content-length": String(body.length) },
      },
      (answer) =>
        readAll(answer).then(
          (bytes) => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, bytes }),
          reject,
        ),
    );
    upstream.on("error", reject);
    upstream.end(body);
  });
}

/** Headers for a body sent whole: its length, not the upstream's chunked framing. */
function wholeBody(headers: IncomingMessage["headers"], length: number): IncomingMessage["headers"] {
  const { "transfer-encoding": _, ...rest } = headers;
  return { ...rest, "content-length": String(length) };
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => resolve(Buffer.concat(chunks)));
    stream.on("error", reject);
  });
}

/** The service from SigV4's credential scope (…/<date>/<region>/<service>/aws4_request). */
function signedService(incoming: IncomingMessage, url: URL): string | undefined {
  const authorization = incoming.headers.authorization ?? "";
  const fromHeader = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(authorization)?.[1];
  if (fromHeader) return fromHeader;
  return /^[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request$/.exec(url.searchParams.get("X-Amz-Credential") ?? "")?.[1];
}

export function describeCall(incoming: IncomingMessage, body: Buffer | undefined): RecordedCall {
  const url = new URL(incoming.url ?? "/", "http://twin");
  const service = signedService(incoming, url);
  const base = {
    at: Date.now(),
    from: (incoming.socket.remoteAddress ?? "").replace(/^::ffff:/, ""),
    status: 0,
    signed: service !== undefined,
  };
  // JSON-protocol services (Service Quotas) name the operation in X-Amz-Target: "<Service>.<Operation>".
  const target = incoming.headers["x-amz-target"];
  if (typeof target === "string" && target.includes(".")) {
    return { ...base, service: service ?? "unknown", action: target.slice(target.lastIndexOf(".") + 1), params: {} };
  }
  const form = body !== undefined ? new URLSearchParams(body.toString("utf8")) : undefined;
  const action = form?.get("Action") ?? url.searchParams.get("Action");
  if (action) {
    const params: Record<string, string> = {};
    for (const [key, value] of [...url.searchParams, ...(form ?? [])]) {
      if (key !== "Action" && key !== "Version" && !key.startsWith("X-Amz-")) params[key] = value;
    }
    return { ...base, service: service ?? "unknown", action, params };
  }
  return { ...base, service: service ?? "s3", ...s3Operation(incoming.method ?? "GET", url, incoming.headers) };
}

/** The S3 REST operation a path-style request names (the subset a burst and terraform send). */
export function s3Operation(
  method: string,
  url: URL,
  headers: IncomingMessage["headers"],
): { action: string; params: Record<string, string> } {
  const [bucket = "", ...rest] = url.pathname.replace(/^\/+/, "").split("/");
  const key = decodeURIComponent(rest.join("/"));
  const query = url.searchParams;
  const subresource = [...query.keys()].find(
    (name) =>
      ![
        "prefix",
        "delimiter",
        "max-keys",
        "list-type",
        "continuation-token",
        "start-after",
        "encoding-type",
        "uploads",
        "delete",
        "fetch-owner",
        "x-id",
        "partNumber",
        "uploadId",
        "versionId",
      ].includes(name) && !name.startsWith("X-Amz-"),
  );
  const params: Record<string, string> = { bucket, ...(key ? { key } : {}), ...(subresource ? { subresource } : {}) };
  const sub = subresource ? subresource[0]?.toUpperCase() + subresource.slice(1) : "";
  if (bucket === "") return { action: method === "GET" ? "ListBuckets" : `${method} /`, params };
  if (!key) {
    if (sub && method === "GET") return { action: `GetBucket${sub}`, params };
    if (sub && method === "PUT") return { action: `PutBucket${sub}`, params };
    if (sub && method === "DELETE") return { action: `DeleteBucket${sub}`, params };
    if (method === "POST" && query.has("delete")) return { action: "DeleteObjects", params };
    if (method === "GET" && query.has("uploads")) return { action: "ListMultipartUploads", params };
    if (method === "GET") return { action: query.get("list-type") === "2" ? "ListObjectsV2" : "ListObjects", params };
    if (method === "HEAD") return { action: "HeadBucket", params };
    if (method === "PUT") return { action: "CreateBucket", params };
    if (method === "DELETE") return { action: "DeleteBucket", params };
    return { action: `${method} bucket`, params };
  }
  if (method === "POST" && query.has("uploads")) return { action: "CreateMultipartUpload", params };
  if (method === "POST" && query.has("uploadId")) return { action: "CompleteMultipartUpload", params };
  if (method === "PUT" && query.has("uploadId")) return { action: "UploadPart", params };
  if (method === "DELETE" && query.has("uploadId")) return { action: "AbortMultipartUpload", params };
  if (method === "GET" && query.has("uploadId")) return { action: "ListParts", params };
  if (sub && method === "GET") return { action: `GetObject${sub}`, params };
  if (sub && method === "PUT") return { action: `PutObject${sub}`, params };
  if (method === "PUT" && headers["x-amz-copy-source"]) return { action: "CopyObject", params };
  if (method === "PUT") return { action: "PutObject", params };
  if (method === "GET") return { action: "GetObject", params };
  if (method === "HEAD") return { action: "HeadObject", params };
  if (method === "DELETE") return { action: "DeleteObject", params };
  return { action: `${method} object`, params };
}

function consoleOutputXml(instanceId: string, text: string): string {
  const bytes = Buffer.from(text, "utf8");
  const output = bytes.subarray(Math.max(0, bytes.length - consoleLimit)).toString("base64");
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<GetConsoleOutputResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">',
    `<requestId>${randomUUID()}</requestId>`,
    `<instanceId>${instanceId}</instanceId>`,
    `<timestamp>${new Date().toISOString()}</timestamp>`,
    `<output>${output}</output>`,
    "</GetConsoleOutputResponse>",
  ].join("");
}
