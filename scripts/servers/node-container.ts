// Debian 12 system containers for the booted-user-data test and the AWS twin: a cached bookworm
// root (scripts/setup/node-root.sh), booted by systemd-nspawn with systemd as PID 1 and
// cloud-init's NoCloud datasource, each in a network namespace on a bridge this harness creates
// and deletes. Only the bridge's and the containers' addresses are ever contacted.

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { formatIpv4, parseIpv4Cidr } from "../../stacks/aws/cidr.ts";

const nodeRootScript = fileURLToPath(new URL("../../scripts/setup/node-root.sh", import.meta.url));

/** The cached root's path, building it on first use (a few minutes). Throws with how to get the tools. */
export function ensureNodeRoot(): string {
  for (const tool of ["debootstrap", "systemd-nspawn", "ip"]) {
    try {
      execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "pipe" });
    } catch {
      throw new Error(`${tool} is missing: apt-get install -y debootstrap systemd-container iproute2`);
    }
  }
  return execFileSync("bash", [nodeRootScript], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
}

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: "pipe" });
}

/**
 * A host bridge holding the subnet's first host address (the router's, as in a VPC subnet), and
 * one network namespace per node plugged into it, with the default route through the host.
 */
export class BridgeNetwork {
  readonly hostAddress: string;
  readonly cidr: string;
  private readonly prefix: number;
  private readonly namespaces: string[] = [];
  private readonly tag = randomBytes(3).toString("hex");
  /** The bridge's device name; its namespaces are named burst-<tag>-<n>. */
  readonly device = `bb${this.tag}`;
  private readonly bridge = this.device;
  private count = 0;

  /** `subnet`: a CIDR ("10.150.0.0/20"), or the first three octets of a /24 ("10.213.40"). */
  constructor(subnet: string) {
    this.cidr = subnet.includes("/") ? subnet : `${subnet}.0/24`;
    const parsed = parseIpv4Cidr(this.cidr, "subnet");
    this.prefix = parsed.prefix;
    this.hostAddress = formatIpv4(parsed.base + 1);
    ip("link", "add", this.bridge, "type", "bridge");
    ip("addr", "add", `${this.hostAddress}/${this.prefix}`, "dev", this.bridge);
    ip("link", "set", this.bridge, "up");
  }

  /** Whether the bridge or any namespace of it still exists on the machine. */
  leftovers(): string[] {
    const links = execFileSync("ip", ["-br", "link"], { encoding: "utf8" });
    const namespaces = execFileSync("ip", ["netns", "list"], { encoding: "utf8" });
    return [
      ...links.split("\n").filter((line) => line.startsWith(`${this.device} `)),
      ...namespaces.split("\n").filter((line) => line.startsWith(`burst-${this.tag}-`)),
    ];
  }

  /** A namespace with `<subnet>.<host>` of a /24 on a veth into the bridge; returns its name. */
  addNamespace(host: number): string {
    return this.addNode(`${this.hostAddress.split(".").slice(0, 3).join(".")}.${host}`);
  }

  /** A namespace holding `address` (inside the subnet) on a veth into the bridge; returns its name. */
  addNode(address: string): string {
    const index = this.count++;
    const name = `burst-${this.tag}-${index}`;
    const hostEnd = `bh${this.tag}${index}`;
    const nodeEnd = `bn${this.tag}${index}`;
    ip("netns", "add", name);
    this.namespaces.push(name);
    ip("link", "add", hostEnd, "type", "veth", "peer", "name", nodeEnd);
    ip("link", "set", hostEnd, "master", this.bridge);
    ip("link", "set", hostEnd, "up");
    ip("link", "set", nodeEnd, "netns", name);
    ip("-n", name, "addr", "add", `${address}/${this.prefix}`, "dev", nodeEnd);
    ip("-n", name, "link", "set", nodeEnd, "up");
    ip("-n", name, "link", "set", "lo", "up");
    ip("-n", name, "route", "add", "default", "via", this.hostAddress);
    return name;
  }

  /** One node's namespace (and with it its veth pair), when it is gone before the network. */
  removeNamespace(name: string): void {
    const at = this.namespaces.indexOf(name);
    if (at < 0) return;
    this.namespaces.splice(at, 1);
    try {
      ip("netns", "delete", name);
    } catch {}
  }

  /** An extra address on the bridge (the instance metadata service's link-local one). */
  addHostAddress(cidr: string): void {
    ip("addr", "add", cidr, "dev", this.bridge);
  }

  /** Deleting a namespace deletes its veth pair; then the bridge. */
  delete(): void {
    for (const name of this.namespaces.splice(0)) {
      try {
        ip("netns", "delete", name);
      } catch {}
    }
    try {
      ip("link", "delete", this.bridge);
    } catch {}
  }
}

export interface BootOptions {
  readonly root: string;
  readonly name: string;
  readonly namespace: string;
  /** User data bytes as EC2 hands them to cloud-init (here: gzip, as terraform's base64gzip). */
  readonly userData: Buffer;
  /** OpenSSH public key for the default user, as EC2's key pair gives it. */
  readonly publicKey: string;
  /** A pip.conf for the node (the site's package index: here, the test's mirror). */
  readonly pipConfig?: string;
  /** The node's /etc/resolv.conf (what DHCP gives an EC2 node); default: nspawn's copy of the host's. */
  readonly resolvConf?: string;
  /** The instance id cloud-init sees (EC2's); default: one made from the container's folder. */
  readonly instanceId?: string;
  /** The node's hostname; default: its name. */
  readonly hostname?: string;
  /**
   * A disk that outlives a poweroff (an instance whose shutdown behaviour is "stop", which an
   * image can be made of): writes go to an overlay upper folder on disk (`diskLayer`), not tmpfs.
   */
  readonly disk?: boolean;
  /** Folders of a baked image stacked over the root, topmost first (the image's own changes). */
  readonly layers?: readonly string[];
}

/** A booted container: systemd as PID 1, its console captured to a file. */
export class NodeContainer {
  private constructor(
    readonly name: string,
    private readonly process: ChildProcess,
    private readonly dir: string,
    readonly consoleFile: string,
    /** With `disk` or `layers`: the folder holding every change the node made to its root. */
    readonly diskLayer?: string,
    private readonly mounted?: string,
  ) {}

  static async boot(options: BootOptions): Promise<NodeContainer> {
    const dir = await mkdtemp(join(tmpdir(), `burst-node-${options.name}-`));
    const seed = join(dir, "seed");
    mkdirSync(seed);
    const instanceId = options.instanceId ?? `i-${createHash("sha256").update(dir).digest("hex").slice(0, 17)}`;
    await writeFile(
      join(seed, "meta-data"),
      `instance-id: ${instanceId}\nlocal-hostname: ${options.hostname ?? options.name}\npublic-keys:\n  - ${options.publicKey}\n`,
    );
    await writeFile(join(seed, "user-data"), options.userData);
    const consoleFile = join(dir, "console.log");
    const out = openSync(consoleFile, "a");
    // A disk of its own: the root (under any image layers) overlaid on the host with an upper
    // folder on disk; otherwise nspawn's tmpfs overlay keeps the cached root pristine.
    const onDisk = options.disk === true || (options.layers?.length ?? 0) > 0;
    let root = options.root;
    let diskLayer: string | undefined;
    if (onDisk) {
      diskLayer = join(dir, "disk");
      const work = join(dir, "work");
      root = join(dir, "root");
      for (const folder of [diskLayer, work, root]) mkdirSync(folder);
      const lower = [...(options.layers ?? []), options.root].join(":");
      execFileSync("mount", [
        "-t",
        "overlay",
        "overlay",
        "-o",
        `lowerdir=${lower},upperdir=${diskLayer},workdir=${work}`,
        root,
      ]);
    }
    const child = spawn(
      "systemd-nspawn",
      [
        "--boot",
        "--register=no",
        "--keep-unit",
        "--console=read-only",
        // The cached root stays pristine: every write goes to a tmpfs layer, gone at exit.
        ...(onDisk ? [] : ["--volatile=overlay"]),
        `--network-namespace-path=/run/netns/${options.namespace}`,
        `--machine=${options.name}`,
        `--bind-ro=${seed}:/var/lib/cloud/seed/nocloud`,
        ...(options.pipConfig ? [`--bind-ro=${options.pipConfig}:/etc/pip.conf`] : []),
        ...(options.resolvConf ? ["--resolv-conf=off", `--bind-ro=${options.resolvConf}:/etc/resolv.conf`] : []),
        "-D",
        root,
      ],
      { stdio: ["ignore", out, out] },
    );
    const container = new NodeContainer(options.name, child, dir, consoleFile, diskLayer, onDisk ? root : undefined);
    // Powered off, the disk stays (in diskLayer) but nothing is mounted any more.
    child.once("exit", () => container.unmount());
    return container;
  }

  /** A command inside the container, entered from the host (its systemd is nspawn's direct child). */
  exec(command: string): { code: number; stdout: string } {
    const leader = execFileSync("ps", ["--ppid", String(this.process.pid), "-o", "pid="], { encoding: "utf8" }).trim();
    try {
      const stdout = execFileSync("nsenter", ["-t", leader, "-m", "-u", "-i", "-n", "-p", "sh", "-c", command], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
      return { code: 0, stdout };
    } catch (error) {
      const failed = error as { status?: number; stdout?: string };
      return { code: failed.status ?? 1, stdout: failed.stdout ?? "" };
    }
  }

  console(): string {
    return existsSync(this.consoleFile) ? readFileSync(this.consoleFile, "utf8") : "";
  }

  /** For a failure message: whether nspawn still runs (or how it ended) and the console's last lines. */
  report(lines = 60): string {
    const state = this.running
      ? "still running"
      : `exited (code ${this.process.exitCode}, signal ${this.process.signalCode})`;
    // Colours and cursor moves out, so the tail reads as text in a test log.
    const plain = this.console().replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, "g"), "");
    const tail = plain.split(/\r?\n/).slice(-lines).join("\n    ");
    // A node still booting: what systemd waits on, what failed, and cloud-init's own log's end.
    const inside = this.running
      ? this.exec(
          "systemctl list-jobs --no-pager; systemctl --failed --no-pager; tail -n 20 /var/log/cloud-init.log 2>&1",
        ).stdout
      : "";
    return [
      `${this.name}: systemd-nspawn ${state}; the last ${lines} lines of its console (${this.consoleFile}):`,
      `    ${tail}`,
      ...(inside ? [`  inside ${this.name}:`, `    ${inside.trimEnd().split("\n").join("\n    ")}`] : []),
    ].join("\n");
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Called once when the container's nspawn exits: a poweroff from inside, or stop(). */
  onExit(listener: () => void): void {
    if (this.running) this.process.once("exit", () => listener());
    else listener();
  }

  /** Resolves when the container's nspawn has exited (powered off), or false after `ms`. */
  exited(ms: number): Promise<boolean> {
    if (!this.running) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.process.once("exit", () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Orderly poweroff (nspawn turns SIGTERM into one), SIGKILL if it hangs; removes the seed and any disk. */
  async stop(): Promise<void> {
    if (this.running) {
      this.process.kill("SIGTERM");
      if (!(await this.exited(30_000))) {
        this.process.kill("SIGKILL");
        await this.exited(10_000);
      }
    }
    this.unmount();
    await rm(this.dir, { recursive: true, force: true });
  }

  private unmount(): void {
    if (this.mounted === undefined) return;
    try {
      execFileSync("umount", [this.mounted], { stdio: "pipe" });
    } catch {
      // Already unmounted (a second call), or busy for a moment: a lazy unmount finishes it.
      try {
        execFileSync("umount", ["-l", this.mounted], { stdio: "pipe" });
      } catch {}
    }
  }
}

/** A static file server over `dir` (folders listed as links), bound to one address (the bridge's). */
export async function serveDirectory(
  dir: string,
  host: string,
): Promise<{ url: string; server: Server; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(request.url ?? "");
    const path = normalize(join(dir, decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname)));
    if (!path.startsWith(dir) || !existsSync(path)) {
      response.writeHead(404).end();
      return;
    }
    if (statSync(path).isDirectory()) {
      // A listing of links, as pip's --find-links reads a web folder.
      const links = readdirSync(path).map((name) => `<a href="${encodeURIComponent(name)}">${name}</a>`);
      response.writeHead(200, { "content-type": "text/html" }).end(`<html><body>${links.join("<br>")}</body></html>`);
      return;
    }
    response.writeHead(200, { "content-length": statSync(path).size });
    createReadStream(path).pipe(response);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return { url: `http://${host}:${port}`, server, requests };
}

/** Files below `dir`, relative (for assertions on what a mirror holds). */
export function listFiles(dir: string, prefix = ""): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(dir, join(prefix, entry.name)) : [join(prefix, entry.name)],
  );
}
