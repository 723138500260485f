// The AWS twin's DNS resolver, the Amazon-provided DNS of a VPC: one UDP server on 169.254.169.253:53
// on the host (the address EC2 documents for it), which each container reaches through its default
// route, as the metadata service. It knows what a VPC's resolver knows about the VPC: every private
// address has a name, ip-10-1-2-3.<region>.compute.internal (ec2.internal in us-east-1), both ways.
// Every other name is NXDOMAIN at once: the twin has no outside network, and a name that cannot
// resolve must fail fast, not after a resolver timeout.
//
// Without it a node kept the host's resolver (an address it cannot reach): each JVM that asked for
// its own canonical name (the Spark master, every worker, the driver) waited 10 s for two timeouts,
// which no EC2 node does.

import { createSocket, type Socket } from "node:dgram";
import { formatIpv4, parseIpv4Cidr } from "../../../stacks/aws/cidr.ts";

export const dnsAddress = "169.254.169.253";

export interface VpcDns {
  readonly port: number;
  /** Every question asked, as "TYPE name" (for assertions: the nodes really used it). */
  readonly questions: string[];
  stop(): Promise<void>;
}

/** EC2's hostname of a private address: ip-10-1-2-3 for 10.1.2.3. */
export function ec2HostName(address: string): string {
  return `ip-${address.replaceAll(".", "-")}`;
}

/** A node's /etc/resolv.conf naming the resolver at `nameserver`, with the region's search domain, as EC2's DHCP gives it. */
export function resolvConfText(nameserver: string, region: string): string {
  return `nameserver ${nameserver}\nsearch ${privateDomain(region)}\n`;
}

/** EC2's private DNS domain for a region. */
export function privateDomain(region: string): string {
  return region === "us-east-1" ? "ec2.internal" : `${region}.compute.internal`;
}

const types = { A: 1, PTR: 12, AAAA: 28 } as const;
const noError = 0;
const nxDomain = 3;
const notImplemented = 4;

interface Question {
  readonly name: string;
  readonly type: number;
  /** The question section's bytes, echoed in the answer. */
  readonly bytes: Buffer;
}

export async function startVpcDns(options: {
  vpcCidr: string;
  region: string;
  host?: string;
  port?: number;
}): Promise<VpcDns> {
  const vpc = parseIpv4Cidr(options.vpcCidr, "VPC CIDR");
  const size = 2 ** (32 - vpc.prefix);
  const domain = privateDomain(options.region);
  const questions: string[] = [];

  /** The address of four octets, when it is one of the VPC's. */
  const vpcAddress = (octets: readonly number[]): number | undefined => {
    if (octets.some((octet) => octet > 255)) return undefined;
    const address = octets.reduce((sum, octet) => sum * 256 + octet, 0);
    return address >= vpc.base && address < vpc.base + size ? address : undefined;
  };
  /** The address a name stands for, when it is one of the VPC's: ip-a-b-c-d, bare or in the domain. */
  const addressOf = (name: string): number | undefined => {
    const match = /^ip-(\d+)-(\d+)-(\d+)-(\d+)(?:\.(.+))?$/.exec(name.toLowerCase());
    if (match === null || (match[5] !== undefined && match[5] !== domain)) return undefined;
    return vpcAddress(match.slice(1, 5).map(Number));
  };
  /** The name of a reverse-lookup question (d.c.b.a.in-addr.arpa), when the address is the VPC's. */
  const nameOfReverse = (name: string): string | undefined => {
    const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\.in-addr\.arpa$/.exec(name.toLowerCase());
    if (match === null) return undefined;
    const address = vpcAddress(match.slice(1, 5).map(Number).reverse());
    return address === undefined ? undefined : `${ec2HostName(formatIpv4(address))}.${domain}`;
  };

  const answer = (query: Buffer): Buffer | undefined => {
    if (query.length < 12) return undefined;
    const id = query.readUInt16BE(0);
    const flags = query.readUInt16BE(2);
    if (flags & 0x8000) return undefined; // an answer, not a question
    const recursionDesired = flags & 0x0100;
    const header = (rcode: number, answers: number, question?: Question) => {
      const out = Buffer.alloc(12);
      out.writeUInt16BE(id, 0);
      // QR, the question's opcode and RD, RA (a VPC resolver recurses), and the rcode.
      out.writeUInt16BE(0x8000 | (flags & 0x7800) | recursionDesired | 0x0080 | rcode, 2);
      out.writeUInt16BE(question ? 1 : 0, 4);
      out.writeUInt16BE(answers, 6);
      return out;
    };
    const question = readQuestion(query);
    if (question === undefined || query.readUInt16BE(4) !== 1 || (flags & 0x7800) !== 0) {
      return header(notImplemented, 0);
    }
    questions.push(`${typeName(question.type)} ${question.name}`);
    const record = (type: number, data: Buffer) => {
      const out = Buffer.alloc(12);
      out.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
      out.writeUInt16BE(type, 2);
      out.writeUInt16BE(1, 4); // IN
      out.writeUInt32BE(60, 6);
      out.writeUInt16BE(data.length, 10);
      return Buffer.concat([out, data]);
    };
    const reverse = nameOfReverse(question.name);
    if (reverse !== undefined) {
      const records = question.type === types.PTR ? [record(types.PTR, encodeName(reverse))] : [];
      return Buffer.concat([header(noError, records.length, question), question.bytes, ...records]);
    }
    const address = addressOf(question.name);
    if (address === undefined) return Buffer.concat([header(nxDomain, 0, question), question.bytes]);
    const data = Buffer.alloc(4);
    data.writeUInt32BE(address, 0);
    // A name the VPC knows: its A record; any other type of it exists but is empty (NODATA).
    const records = question.type === types.A ? [record(types.A, data)] : [];
    return Buffer.concat([header(noError, records.length, question), question.bytes, ...records]);
  };

  const socket: Socket = createSocket("udp4");
  socket.on("message", (query, from) => {
    const reply = answer(query);
    if (reply !== undefined) socket.send(reply, from.port, from.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(options.port ?? 53, options.host ?? dnsAddress, () => {
      socket.off("error", reject);
      resolve();
    });
  });
  return {
    port: socket.address().port,
    questions,
    stop: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

function readQuestion(query: Buffer): Question | undefined {
  const labels: string[] = [];
  let at = 12;
  for (;;) {
    const length = query[at];
    if (length === undefined || length > 63) return undefined; // no compression in a question
    at += 1;
    if (length === 0) break;
    if (at + length > query.length) return undefined;
    labels.push(query.toString("latin1", at, at + length));
    at += length;
  }
  if (at + 4 > query.length) return undefined;
  return {
    name: labels.join("."),
    type: query.readUInt16BE(at),
    bytes: query.subarray(12, at + 4),
  };
}

function encodeName(name: string): Buffer {
  const parts = name.split(".").map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label)]));
  return Buffer.concat([...parts, Buffer.from([0])]);
}

function typeName(type: number): string {
  return Object.entries(types).find(([, value]) => value === type)?.[0] ?? String(type);
}
