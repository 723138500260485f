// A stand-in for the EC2 instance metadata service on loopback, enforcing IMDSv2: a token comes
// only from PUT /latest/api/token with a TTL header, and metadata answers only to a valid token
// (401 otherwise, as IMDS does once IMDSv1 is disabled). Serves spot/instance-action: 404 until
// the test posts a notice.

import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";

export interface ImdsStandIn {
  /** host:port for spot-watch.sh --imds */
  readonly address: string;
  /** Every request as "METHOD path status". */
  readonly requests: readonly string[];
  /** From now on instance-action answers 200 with this notice. */
  interrupt(notice: { action: "terminate" | "stop" | "hibernate"; time: string }): void;
  /** Forget every token issued so far (as if they expired). */
  expireTokens(): void;
  close(): Promise<void>;
}

export async function startImdsStandIn(): Promise<ImdsStandIn> {
  const tokens = new Set<string>();
  const requests: string[] = [];
  let notice: string | undefined;
  const server: Server = createServer((req, res) => {
    const answer = (status: number, body = "") => {
      requests.push(`${req.method} ${req.url} ${status}`);
      res.writeHead(status, { "content-type": "text/plain" }).end(body);
    };
    if (req.url === "/latest/api/token") {
      const ttl = Number(req.headers["x-aws-ec2-metadata-token-ttl-seconds"]);
      if (req.method !== "PUT") return answer(405);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21600) return answer(400);
      const token = randomBytes(24).toString("base64url");
      tokens.add(token);
      return answer(200, token);
    }
    const token = req.headers["x-aws-ec2-metadata-token"];
    if (typeof token !== "string" || !tokens.has(token)) return answer(401);
    if (req.method !== "GET") return answer(405);
    if (req.url === "/latest/meta-data/spot/instance-action") return notice ? answer(200, notice) : answer(404);
    return answer(404);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    address: `127.0.0.1:${port}`,
    requests,
    interrupt(n) {
      notice = JSON.stringify(n);
    },
    expireTokens() {
      tokens.clear();
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
