import { mkdir } from "node:fs/promises";
import { NodeSSH } from "node-ssh";
import { burstCommand } from "../commands.ts";
import { infraError } from "../errors.ts";
import { retry } from "../util/retry.ts";

/** How to reach a node's sshd, and the only host key it may present. */
export interface SshEndpoint {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly privateKeyPath: string;
  /** "ssh-ed25519 AAAA..." — connections to a host presenting any other key are refused. */
  readonly hostKey: string;
}

export interface ExecResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ExecOptions {
  readonly onStdout?: (chunk: Buffer) => void;
  readonly onStderr?: (chunk: Buffer) => void;
  readonly stdin?: string;
}

export interface ConnectOptions {
  /** Keep trying this long: a node's sshd may still be starting. */
  readonly waitMs: number;
  readonly signal?: AbortSignal;
}

/** The blob of an OpenSSH public key line ("type base64 [comment]"). */
function keyBlob(publicKeyLine: string): Buffer {
  const base64 = publicKeyLine.trim().split(/\s+/)[1];
  if (!base64) throw infraError(`the cluster reported an unusable SSH host key: "${publicKeyLine}"`);
  return Buffer.from(base64, "base64");
}

/**
 * One SSH connection to a cluster node, reused for every command and file transfer. The host
 * key is pinned to the one the stack produced; a different key is a refused connection.
 */
export class RemoteNode {
  private ssh = new NodeSSH();
  private closed = false;
  private hostKeyMismatch = false;

  private constructor(private readonly endpoint: SshEndpoint) {}

  static async connect(endpoint: SshEndpoint, options: ConnectOptions): Promise<RemoteNode> {
    const node = new RemoteNode(endpoint);
    await node.open(options);
    return node;
  }

  get isConnected(): boolean {
    return !this.closed && this.ssh.isConnected();
  }

  get address(): string {
    return `${this.endpoint.user}@${this.endpoint.host}:${this.endpoint.port}`;
  }

  /** Open (or re-open after a drop) the connection, retrying until `waitMs` has passed. */
  async open(options: ConnectOptions): Promise<void> {
    const expected = keyBlob(this.endpoint.hostKey);
    const mismatch = infraError(`${this.address} presented a host key that is not the cluster's: refusing to connect`, {
      hint: `another process may be listening on that port; run \`${burstCommand("gc")}\` and retry`,
    });
    await retry(
      async () => {
        this.ssh.dispose();
        this.ssh = new NodeSSH();
        this.hostKeyMismatch = false;
        try {
          await this.ssh.connect({
            host: this.endpoint.host,
            port: this.endpoint.port,
            username: this.endpoint.user,
            privateKeyPath: this.endpoint.privateKeyPath,
            readyTimeout: 10_000,
            keepaliveInterval: 5_000,
            keepaliveCountMax: 3,
            algorithms: { serverHostKey: ["ssh-ed25519"] },
            hostVerifier: (key: Buffer) => {
              this.hostKeyMismatch = !key.equals(expected);
              return !this.hostKeyMismatch;
            },
          });
        } catch (error) {
          throw this.hostKeyMismatch ? mismatch : error;
        }
        this.closed = false;
        this.ssh.connection?.on("close", () => {
          this.closed = true;
        });
      },
      {
        what: `SSH to ${this.address}`,
        // A node's sshd may still be starting: 0.5 s, 1 s, 2 s, then every 3 s.
        timeoutMs: options.waitMs,
        firstDelayMs: 500,
        maxDelayMs: 3000,
        retryable: (error) => error !== mismatch,
        signal: options.signal,
        giveUp: ({ reason, lastError }) =>
          reason === "aborted"
            ? infraError(`SSH to ${this.address} was interrupted`)
            : infraError(`could not SSH to ${this.address}: ${describe(lastError)}`, { cause: lastError }),
      },
    );
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    try {
      const result = await this.ssh.execCommand(command, {
        onStdout: options.onStdout,
        onStderr: options.onStderr,
        stdin: options.stdin,
        noTrim: true,
      });
      return { code: result.code, stdout: result.stdout, stderr: result.stderr };
    } catch (error) {
      throw infraError(`SSH command on ${this.address} failed: ${describe(error)}`, { cause: error });
    }
  }

  /** Run a command that must succeed; its stderr is the error message. */
  async check(command: string, what: string): Promise<string> {
    const result = await this.exec(command);
    if (result.code !== 0) {
      throw infraError(
        `${what} failed on ${this.address} (exit ${result.code}): ${result.stderr.trim() || result.stdout.trim()}`,
      );
    }
    return result.stdout;
  }

  async putFile(localPath: string, remotePath: string): Promise<void> {
    await this.transfer(() => this.ssh.putFile(localPath, remotePath), `upload ${localPath}`);
  }

  async getFile(remotePath: string, localPath: string): Promise<void> {
    await this.transfer(() => this.ssh.getFile(localPath, remotePath), `download ${remotePath}`);
  }

  async getDirectory(remotePath: string, localPath: string): Promise<void> {
    await mkdir(localPath, { recursive: true });
    await this.transfer(async () => {
      const failures: string[] = [];
      // node-ssh only reports a file it could not copy to `tick` and returns false: a partial copy must fail.
      const complete = await this.ssh.getDirectory(localPath, remotePath, {
        recursive: true,
        concurrency: 4,
        tick: (_local, remote, error) => {
          if (error) failures.push(`${remote}: ${describe(error)}`);
        },
      });
      if (!complete) throw new Error(`${failures.length} file(s) not copied, first ${failures[0] ?? "unknown"}`);
    }, `download ${remotePath}`);
  }

  dispose(): void {
    this.closed = true;
    this.ssh.dispose();
  }

  private async transfer(action: () => Promise<unknown>, what: string): Promise<void> {
    try {
      await action();
    } catch (error) {
      throw infraError(`could not ${what} over SSH (${this.address}): ${describe(error)}`, { cause: error });
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
