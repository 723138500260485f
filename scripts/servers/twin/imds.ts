// The AWS twin's instance metadata service (IMDSv2 only, as burst's launch templates require):
// one server on 169.254.169.254:80 on the host, which each container reaches through its default
// route; the caller's source address says which instance is asking. It serves what a burst node
// and the AWS SDKs on it read: the instance's identity and placement, the instance profile role's
// credentials (from moto's STS), and a spot interruption notice once a test raises one.

import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";

export const imdsAddress = "169.254.169.254";

export interface InstanceIdentity {
  readonly instanceId: string;
  readonly privateIp: string;
  readonly region: string;
  readonly availabilityZone: string;
  readonly instanceType: string;
  readonly imageId: string;
  readonly accountId: string;
  readonly spot: boolean;
  /** The instance profile role's name and temporary credentials, when it has one. */
  readonly role?: { readonly name: string; readonly credentials: () => Promise<RoleCredentials> };
}

export interface RoleCredentials {
  readonly AccessKeyId: string;
  readonly SecretAccessKey: string;
  readonly Token: string;
  readonly Expiration: string;
}

export interface Imds {
  readonly port: number;
  /** Makes an instance known by its private address (the address its requests come from). */
  register(identity: InstanceIdentity): void;
  forget(privateIp: string): void;
  /** A spot interruption notice for the instance: spot/instance-action answers from now on. */
  raiseSpotInterruption(instanceId: string, action?: "terminate" | "stop" | "hibernate"): void;
  /** Paths asked, per instance id (for assertions: the nodes really used it). */
  readonly requests: Map<string, string[]>;
  stop(): Promise<void>;
}

export async function startImds(host = imdsAddress, port = 80): Promise<Imds> {
  const byAddress = new Map<string, InstanceIdentity>();
  const notices = new Map<string, { action: string; time: string }>();
  const tokens = new Map<string, number>();
  const requests = new Map<string, string[]>();

  const server: Server = createServer((incoming, outgoing) => {
    const from = (incoming.socket.remoteAddress ?? "").replace(/^::ffff:/, "");
    const identity = byAddress.get(from);
    const path = new URL(incoming.url ?? "/", "http://imds").pathname.replace(/\/+$/, "") || "/";
    const reply = (status: number, body: string, type = "text/plain") =>
      outgoing.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) }).end(body);
    if (identity === undefined) return reply(404, "not an instance of this twin");
    requests.set(identity.instanceId, [...(requests.get(identity.instanceId) ?? []), `${incoming.method} ${path}`]);
    if (incoming.method === "PUT" && path === "/latest/api/token") {
      const ttl = Number(incoming.headers["x-aws-ec2-metadata-token-ttl-seconds"]);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21600) return reply(400, "bad token TTL");
      const token = randomBytes(24).toString("base64url");
      tokens.set(token, Date.now() + ttl * 1000);
      outgoing.setHeader("x-aws-ec2-metadata-token-ttl-seconds", String(ttl));
      return reply(200, token);
    }
    // IMDSv2 only (httpTokens: required): no valid token, no answer.
    const token = String(incoming.headers["x-aws-ec2-metadata-token"] ?? "");
    if ((tokens.get(token) ?? 0) < Date.now()) return reply(401, "");
    if (incoming.method !== "GET") return reply(405, "");
    answer(identity, path).then(
      (body) =>
        body === undefined
          ? reply(404, "")
          : reply(200, body, body.startsWith("{") ? "application/json" : "text/plain"),
      (error: Error) => reply(500, error.message),
    );
  });

  const answer = async (identity: InstanceIdentity, path: string): Promise<string | undefined> => {
    const meta = "/latest/meta-data";
    const role = identity.role;
    const notice = notices.get(identity.instanceId);
    const hostname = `ip-${identity.privateIp.replaceAll(".", "-")}.${identity.region}.compute.internal`;
    const values: Record<string, string | undefined> = {
      [`${meta}/instance-id`]: identity.instanceId,
      [`${meta}/instance-type`]: identity.instanceType,
      [`${meta}/ami-id`]: identity.imageId,
      [`${meta}/local-ipv4`]: identity.privateIp,
      [`${meta}/hostname`]: hostname,
      [`${meta}/local-hostname`]: hostname,
      [`${meta}/instance-life-cycle`]: identity.spot ? "spot" : "on-demand",
      [`${meta}/placement/availability-zone`]: identity.availabilityZone,
      [`${meta}/placement/region`]: identity.region,
      [`${meta}/iam/security-credentials`]: role?.name,
      [`${meta}/spot/instance-action`]: notice ? JSON.stringify(notice) : undefined,
      "/latest/dynamic/instance-identity/document": JSON.stringify({
        accountId: identity.accountId,
        architecture: "x86_64",
        availabilityZone: identity.availabilityZone,
        imageId: identity.imageId,
        instanceId: identity.instanceId,
        instanceType: identity.instanceType,
        privateIp: identity.privateIp,
        region: identity.region,
        version: "2017-09-30",
      }),
    };
    if (path in values) return values[path];
    if (role && path === `${meta}/iam/security-credentials/${role.name}`) {
      const credentials = await role.credentials();
      return JSON.stringify({
        Code: "Success",
        LastUpdated: new Date().toISOString(),
        Type: "AWS-HMAC",
        ...credentials,
      });
    }
    if (role && path === `${meta}/iam/info`) {
      return JSON.stringify({
        Code: "Success",
        LastUpdated: new Date().toISOString(),
        InstanceProfileArn: "",
        InstanceProfileId: "",
      });
    }
    return undefined;
  };

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const bound = server.address();
  return {
    port: typeof bound === "object" && bound !== null ? bound.port : port,
    register: (identity) => byAddress.set(identity.privateIp, identity),
    forget: (privateIp) => byAddress.delete(privateIp),
    raiseSpotInterruption: (instanceId, action = "terminate") => {
      notices.set(instanceId, { action, time: new Date(Date.now() + 120_000).toISOString().replace(/\.\d+Z$/, "Z") });
    },
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
