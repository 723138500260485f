// The AWS twin (rung 5 of docs/aws.md): emulated AWS whose instances really boot. moto_server
// answers the AWS APIs behind a recording front (aws-front.ts); every instance moto launches
// becomes a Debian 12 system container booted with its own user data at its own private address
// (instances.ts); an IMDSv2 service gives each its identity, role credentials and spot notices
// (imds.ts). Starting it does what an operator does once: parameters pushed to Consul, the VPC
// deployed with the real provider (it makes the account's data and results buckets), pyspark, its
// wheels and the s3a jars staged into the artifacts bucket. A `burst --target aws` run with
// `env()` then needs nothing else.
//
// What is contacted: loopback (moto, Consul, the front), and the addresses of the bridges and
// containers made here. Nodes reach only the host's own addresses: the twin refuses to start when
// this machine forwards packets (net.ipv4.ip_forward=1), as a node's stray request could then leave.

import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DescribeImagesCommand, DescribeSubnetsCommand, type EC2Client } from "@aws-sdk/client-ec2";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { cacheRoot } from "../../../src/home.ts";
import { run } from "../../../src/util/exec.ts";
import { nodeArtifacts } from "../../../stacks/aws/artifacts.ts";
import { hostArchitecture, wheelhouseFiles } from "../../setup/node-wheelhouse.ts";
import { type ConsulAgent, startConsulAgent } from "../consul.ts";
import { type MotoServer, motoRegion, startMoto } from "../moto.ts";
import { BridgeNetwork, ensureNodeRoot, serveDirectory } from "../node-container.ts";
import { runVpcScript } from "../vpc-script.ts";
import { type AwsFront, startAwsFront } from "./aws-front.ts";
import { dnsAddress, resolvConfText, startVpcDns, type VpcDns } from "./dns.ts";
import { type Imds, imdsAddress, startImds } from "./imds.ts";
import { Machines } from "./instances.ts";

const repoRoot = join(import.meta.dirname, "..", "..", "..");
const mirrorScript = join(repoRoot, "scripts", "servers", "node-mirror.sh");
/** moto's account. */
export const twinAccountId = "123456789012";
/** Buckets the examples name (config/aws.yml aws.buckets), made as an operator would. */

export interface TwinOptions {
  readonly sparkVersion?: string;
  /** Progress lines (default: stderr). */
  readonly log?: (line: string) => void;
  /** Extra Consul parameters (key under burst/ → value), set after config:push. */
  readonly params?: Readonly<Record<string, string>>;
}

export interface Twin {
  readonly moto: MotoServer;
  readonly consul: ConsulAgent;
  readonly front: AwsFront;
  readonly imds: Imds;
  readonly machines: Machines;
  /** The VPC's CIDR and the bridges of its subnets. */
  readonly vpcCidr: string;
  readonly bridges: readonly BridgeNetwork[];
  /** The environment a shell (or a test's burst) needs to run `burst --target aws` on the twin. */
  env(): Record<string, string>;
  /** An EC2 client on moto itself (not recorded by the front). */
  ec2(): EC2Client;
  /** The VPC's resolver: what the nodes asked it. */
  readonly dns: VpcDns;
  /** Whether an address belongs to the twin: loopback, the VPC, the metadata service or the resolver. */
  owns(address: string): boolean;
  stop(): Promise<void>;
}

export async function startTwin(options: TwinOptions = {}): Promise<Twin> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const sparkVersion = options.sparkVersion ?? "3.5.3";
  preflight();
  const cleanups: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log(`twin: cleanup: ${(error as Error).message}`);
      }
    }
  };
  try {
    const step = async <T>(what: string, work: () => Promise<T> | T): Promise<T> => {
      const started = Date.now();
      const result = await work();
      log(`twin: ${what} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      return result;
    };
    const scratch = await mkdtemp(join(tmpdir(), "burst-twin-"));
    cleanups.push(() => rm(scratch, { recursive: true, force: true }));
    const root = await step("Debian 12 node root ready", () => ensureNodeRoot());
    const mirrorDir = await step("node mirror ready (s3a jars, a job's wheel)", async () => {
      const made = await run("bash", [mirrorScript, sparkVersion], {
        timeoutMs: 30 * 60_000,
      });
      if (made.code !== 0) throw new Error(`node-mirror.sh failed: ${made.stderr.slice(-1500)}`);
      return made.stdout.trim().split("\n").pop() ?? "";
    });
    const moto = await step("moto_server started", () => startMoto());
    cleanups.push(() => moto.stop());
    const consul = await step("Consul started", () => startConsulAgent());
    cleanups.push(() => consul.stop());
    const machinesRef: { current?: Machines } = {};
    const front = await startAwsFront({
      moto: moto.endpoint,
      hosts: ["127.0.0.1"],
      consoleOf: (instanceId) => machinesRef.current?.byId(instanceId)?.container.console(),
      // EC2 makes an image of the instance's disk: the twin keeps a copy of the container's changes under the new id.
      onAnswer: async (call) => {
        const imageId = /<imageId>(ami-[0-9a-f]+)<\/imageId>/.exec(call.response ?? "")?.[1];
        if (call.action !== "CreateImage" || call.status !== 200 || imageId === undefined) return;
        await machinesRef.current?.saveImage(call.params.InstanceId ?? "", imageId);
      },
    });
    cleanups.push(() => front.stop());
    const ec2 = moto.client();
    cleanups.push(() => ec2.destroy());
    const awsEnv = {
      AWS_ENDPOINT_URL: front.endpoint("127.0.0.1"),
      AWS_ACCESS_KEY_ID: "testing",
      AWS_SECRET_ACCESS_KEY: "testing",
      AWS_REGION: motoRegion,
      AWS_EC2_METADATA_DISABLED: "true",
    };
    const operatorEnv = { ...process.env, ...awsEnv, ...consul.env() };

    // What ops set once: the files pushed, then this region's image, remote state, the VPC's range.
    const vpcCidr = `10.${100 + Math.floor(Math.random() * 100)}.0.0/16`;
    await step("parameters pushed to Consul", async () => {
      const push = await run(
        process.execPath,
        ["--import", import.meta.resolve("tsx"), join(repoRoot, "scripts", "config-push.ts")],
        {
          cwd: repoRoot,
          env: operatorEnv,
        },
      );
      if (push.code !== 0) throw new Error(`config:push failed: ${push.stderr}${push.stdout}`);
      const images = await ec2.send(
        new DescribeImagesCommand({ Filters: [{ Name: "name", Values: ["*debian*12*", "*xenial*"] }] }),
      );
      const image = images.Images?.[0]?.ImageId;
      if (!image) throw new Error("moto lists no image to boot");
      const s3 = moto.s3();
      try {
        // The VPC's remote state; the examples' data and results buckets are the VPC stack's own.
        await s3.send(
          new CreateBucketCommand({
            Bucket: "burst-tfstate",
            CreateBucketConfiguration: { LocationConstraint: motoRegion },
          }),
        );
      } finally {
        s3.destroy();
      }
      const put = (key: string, value: string) => consul.api("PUT", `/kv/burst/${key}`, value);
      await put("aws/region", motoRegion);
      await put("aws/baseAmi", image);
      await put("aws/stateBucket", "burst-tfstate");
      await put("vpc-config/cidr", vpcCidr);
      // The CLI reaches nodes at their private addresses: this machine is "inside" the VPC.
      await put("aws/sshAddress", "private");
      for (const [key, value] of Object.entries(options.params ?? {})) await put(key, value);
    });
    const vpc = (args: string[]) =>
      runVpcScript(args, {
        // vpc.ts writes cdktf.out/ in its working folder: the twin's scratch, not the checkout.
        cwd: scratch,
        env: operatorEnv,
        timeoutMs: 15 * 60_000,
      });
    await step("VPC deployed with the real provider (npm run vpc -- deploy --yes)", async () => {
      const deployed = await vpc(["deploy", "--yes"]);
      if (deployed.code !== 0)
        throw new Error(`vpc deploy failed:\n${deployed.stdout.slice(-2000)}\n${deployed.stderr.slice(-2000)}`);
    });
    const outputs = await consul.kv("burst/vpc/main/");
    const subnetIds = JSON.parse(outputs.get("burst/vpc/main/subnetIds") ?? "[]") as string[];
    const subnets = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: subnetIds }));
    const bridges: BridgeNetwork[] = [];
    cleanups.push(() => {
      for (const bridge of bridges) bridge.delete();
    });
    for (const subnet of subnets.Subnets ?? []) bridges.push(new BridgeNetwork(subnet.CidrBlock ?? ""));
    const [first] = bridges;
    if (first === undefined) throw new Error("the VPC has no subnets");
    // The metadata service's link-local address on the host: nodes reach it through their default route.
    first.addHostAddress(`${imdsAddress}/32`);
    const imds = await startImds();
    cleanups.push(() => imds.stop());
    // The VPC's resolver at the address EC2 documents for it, reached the same way (dns.ts).
    first.addHostAddress(`${dnsAddress}/32`);
    const dns = await startVpcDns({ vpcCidr, region: motoRegion });
    cleanups.push(() => dns.stop());
    const resolvConf = join(scratch, "resolv.conf");
    await writeFile(resolvConf, resolvConfText(dnsAddress, motoRegion));
    await front.addHost(first.hostAddress);
    const nodeS3 = front.endpoint(first.hostAddress);
    const mirror = await serveDirectory(mirrorDir, first.hostAddress);
    cleanups.push(() => new Promise<void>((resolve) => mirror.server.close(() => resolve())));
    // Nodes reach no package index: a job's requirements come from this mirror, as from a site's.
    const pipConfig = join(scratch, "pip.conf");
    await writeFile(
      pipConfig,
      `[global]\nno-index = true\nfind-links = ${mirror.url}/wheels/\ntrusted-host = ${first.hostAddress}\n`,
    );
    await consul.api("PUT", "/kv/burst/aws/s3Endpoint", nodeS3);

    await step("pyspark, the node's wheels and the s3a jars staged (npm run vpc -- stage)", async () => {
      const jars = nodeArtifacts(sparkVersion, { mavenRepo: "" })
        .filter((artifact) => artifact.kind === "jar")
        .map((artifact) => join(cacheRoot(), "maven", artifact.key.replace(/^maven2\//, "")));
      for (const jar of jars) if (!existsSync(jar)) throw new Error(`${jar} is missing: run bash scripts/setup.sh`);
      const python = wheelhouseFiles(sparkVersion).map((file) => file.path);
      for (const file of python) {
        if (!existsSync(file)) throw new Error(`${file} is missing: run bash scripts/setup-tests.sh`);
      }
      const files = [...python, ...jars];
      const staged = await vpc(["stage", "--arch", hostArchitecture(), ...files.flatMap((file) => ["--from", file])]);
      if (staged.code !== 0) throw new Error(`vpc stage failed:\n${staged.stdout}\n${staged.stderr}`);
    });

    const iam = moto.iam();
    cleanups.push(() => iam.destroy());
    const machines = new Machines({
      ec2,
      iam,
      moto: moto.endpoint,
      imds,
      root,
      region: motoRegion,
      accountId: twinAccountId,
      bridgeFor: (cidr) => {
        const bridge = bridges.find((candidate) => candidate.cidr === cidr);
        if (bridge === undefined) throw new Error(`no bridge for subnet ${cidr}`);
        return bridge;
      },
      pipConfig,
      resolvConf,
      log,
    });
    machinesRef.current = machines;
    machines.start();
    cleanups.push(() => machines.stop());
    const vpcBase = vpcCidr.split(".").slice(0, 2).join(".");
    log(`twin: ready: VPC ${vpcCidr}, nodes' S3 at ${nodeS3}, metadata at ${imdsAddress}`);
    return {
      moto,
      consul,
      front,
      imds,
      dns,
      machines,
      vpcCidr,
      bridges,
      env: () => ({
        ...awsEnv,
        ...consul.env(),
        // SSH to the nodes comes from the bridge's host address.
        BURST_CALLER_CIDR: `${first.hostAddress}/32`,
      }),
      ec2: () => moto.client(),
      owns: (address) =>
        address.startsWith("127.") ||
        address === "::1" ||
        address.startsWith(`${vpcBase}.`) ||
        address === imdsAddress ||
        address === dnsAddress,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The checks that keep the twin's traffic on this machine, and the tools it needs. */
function preflight(): void {
  if (process.getuid?.() !== 0) throw new Error("the AWS twin boots system containers: run it as root");
  const forwarding = readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8").trim();
  if (forwarding !== "0") {
    throw new Error(
      "this machine forwards IPv4 packets (net.ipv4.ip_forward=1): a node's request could leave it. " +
        "Turn it off (sysctl -w net.ipv4.ip_forward=0) to run the twin.",
    );
  }
}
