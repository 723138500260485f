// The master's SSH host key, read from its console output. EC2 does not know host keys, so the
// node prints its own (stacks/aws/bootstrap/announce-host-key.sh) and the CLI reads it through
// the authenticated EC2 API before the first SSH connection: nothing is trusted on first use.

import { EC2Client, GetConsoleOutputCommand } from "@aws-sdk/client-ec2";
import { BurstError, infraError } from "../../errors.ts";
import { retry } from "../../util/retry.ts";

/** The line announce-host-key.sh prints, and the one it prints when the node has no ed25519 key. */
export const hostKeyPrefix = "burst-host-key:";
export const hostKeyErrorPrefix = "burst-host-key-error:";

/** cloud-init prints the host keys between these markers, but only at the very end of boot. */
const cloudInitBlock = /-----BEGIN SSH HOST KEY KEYS-----([\s\S]*?)-----END SSH HOST KEY KEYS-----/g;
const ed25519Key = /\bssh-ed25519 ([A-Za-z0-9+/]+={0,2})(?![A-Za-z0-9+/=])/g;

export type ConsoleReading =
  | { readonly kind: "found"; readonly hostKey: string }
  | { readonly kind: "failed"; readonly reason: string }
  | { readonly kind: "absent" };

/**
 * What a console output says about the ed25519 host key: our `burst-host-key:` line (or, as a
 * fallback, cloud-init's key block). Kernel messages can garble a console line, so only keys that
 * decode to a well-formed ed25519 key count; two different ones are refused, not guessed between.
 */
export function hostKeyFromConsole(text: string): ConsoleReading {
  const failure = text.split(/\r?\n/).find((line) => line.includes(hostKeyErrorPrefix));
  if (failure !== undefined) {
    return {
      kind: "failed",
      reason: failure.slice(failure.indexOf(hostKeyErrorPrefix) + hostKeyErrorPrefix.length).trim(),
    };
  }
  const announced = text
    .split(/\r?\n/)
    .filter((line) => line.includes(hostKeyPrefix))
    .flatMap((line) => ed25519Blobs(line.slice(line.indexOf(hostKeyPrefix))));
  const fromCloudInit = [...text.matchAll(cloudInitBlock)].flatMap((block) => ed25519Blobs(block[1] ?? ""));
  const keys = [...new Set([...announced, ...fromCloudInit])];
  if (keys.length > 1) {
    return { kind: "failed", reason: `the console shows ${keys.length} different ed25519 host keys` };
  }
  const [key] = keys;
  return key === undefined ? { kind: "absent" } : { kind: "found", hostKey: `ssh-ed25519 ${key}` };
}

function ed25519Blobs(text: string): string[] {
  return [...text.matchAll(ed25519Key)].map((match) => match[1] ?? "").filter(isEd25519Blob);
}

/** An SSH wire-format ed25519 public key: string "ssh-ed25519", then a 32-byte string. */
function isEd25519Blob(base64: string): boolean {
  const bytes = Buffer.from(base64, "base64");
  if (bytes.toString("base64") !== base64 || bytes.length !== 4 + 11 + 4 + 32) return false;
  return (
    bytes.readUInt32BE(0) === 11 && bytes.toString("latin1", 4, 15) === "ssh-ed25519" && bytes.readUInt32BE(15) === 32
  );
}

/** One look at an instance's console output, decoded ("" while EC2 has none yet). */
export type ConsoleReader = (instanceId: string) => Promise<string>;

export interface HostKeyWaitOptions {
  readonly instanceId: string;
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly signal?: AbortSignal;
  readonly log?: (message: string) => void;
}

/** API errors that waiting will not cure: fail now instead of at the deadline. */
const fatalErrors = new Set([
  "AuthFailure",
  "UnauthorizedOperation",
  "InvalidClientTokenId",
  "CredentialsProviderError",
  "InvalidInstanceID.Malformed",
  "OptInRequired",
]);

/** Polls the console until the host key shows up, the node reports it has none, or time runs out. */
export async function waitForHostKey(read: ConsoleReader, options: HostKeyWaitOptions): Promise<string> {
  const { instanceId } = options;
  return retry(
    async () => {
      let text: string;
      try {
        text = await read(instanceId);
      } catch (error) {
        if (!fatalErrors.has(errorName(error))) throw error;
        throw infraError(`could not read the console output of ${instanceId}: ${describe(error)}`, {
          hint: "burst needs ec2:GetConsoleOutput (docs/iam-policy.json) and AWS credentials from the standard chain",
          cause: error,
        });
      }
      const reading = hostKeyFromConsole(text);
      if (reading.kind === "found") return reading.hostKey;
      if (reading.kind === "failed") {
        throw infraError(`node ${instanceId} cannot be reached safely: ${reading.reason}`, {
          hint: consoleHint(instanceId),
        });
      }
      throw notYet;
    },
    {
      what: `read the SSH host key of ${instanceId}`,
      timeoutMs: options.timeoutMs,
      // A steady poll: the key appears once, late in boot.
      firstDelayMs: options.intervalMs,
      factor: 1,
      // Read errors are retried (the console may not exist yet); our own verdicts are final.
      retryable: (error) => !(error instanceof BurstError),
      signal: options.signal,
      onRetry: (attempt) => {
        if (attempt === 1) options.log?.(`waiting for node ${instanceId} to print its SSH host key on its console`);
      },
      giveUp: ({ reason, lastError }) => {
        if (reason === "aborted") {
          return new BurstError("interrupted", `waiting for the host key of ${instanceId} was interrupted`);
        }
        const readError = lastError === notYet ? undefined : lastError;
        const last = readError === undefined ? "" : ` (last error: ${describe(readError)})`;
        return infraError(
          `node ${instanceId} did not print its SSH host key to its console within ${seconds(options.timeoutMs)}${last}`,
          { hint: consoleHint(instanceId), cause: readError },
        );
      },
    },
  );
}

/** What a read that found no key yet throws, so the retry helper tries again. */
const notYet = new Error("no host key on the console yet");

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

function consoleHint(instanceId: string): string {
  return `its boot log shows why: aws ec2 get-console-output --latest --output text --instance-id ${instanceId} (look for "${hostKeyPrefix}")`;
}

export interface ConsoleHostKeyOptions extends HostKeyWaitOptions {
  readonly region: string;
}

/**
 * Reads the host key through the EC2 API. The SDK's own configuration applies, including
 * AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL (used by the tests to reach moto_server).
 */
export async function readHostKeyFromConsole(options: ConsoleHostKeyOptions): Promise<string> {
  const client = new EC2Client({ region: options.region, maxAttempts: 3 });
  try {
    return await waitForHostKey(ec2ConsoleReader(client), options);
  } finally {
    client.destroy();
  }
}

/** One read of an instance's console output, with a client of its own. */
export async function readConsoleOnce(region: string, instanceId: string): Promise<string> {
  const client = new EC2Client({ region, maxAttempts: 3 });
  try {
    return await ec2ConsoleReader(client)(instanceId);
  } finally {
    client.destroy();
  }
}

/**
 * GetConsoleOutput with Latest (live output, Nitro instances only); instance types that refuse it
 * get the buffered output EC2 posts after boot events.
 */
export function ec2ConsoleReader(client: EC2Client): ConsoleReader {
  let latest = true;
  const read: ConsoleReader = async (instanceId) => {
    try {
      const answer = await client.send(new GetConsoleOutputCommand({ InstanceId: instanceId, Latest: latest }));
      return answer.Output ? Buffer.from(answer.Output, "base64").toString("utf8") : "";
    } catch (error) {
      if (!latest || errorName(error) !== "UnsupportedOperation") throw error;
      latest = false;
      return read(instanceId);
    }
  };
  return read;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : "";
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
