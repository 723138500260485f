// A secret handed to a node over SSH, into a root-owned 0600 file: the channel that keeps it out
// of stacks, user data, terraform state and outputs. It travels on the command's stdin, never in
// an argument or the environment, and nothing of it is echoed back.

import { infraError } from "../errors.ts";
import { shellQuote } from "../util/shell.ts";
import { type ConnectOptions, RemoteNode, type SshEndpoint } from "./ssh.ts";

/** Writes `secret` (one line) to `path` on the node, owned by root, mode 0600, through sudo. */
export async function writeSecretFile(
  endpoint: SshEndpoint,
  path: string,
  secret: string,
  options: ConnectOptions,
): Promise<void> {
  const node = await RemoteNode.connect(endpoint, options);
  try {
    const result = await node.exec(`sudo install -D -m 0600 -o root -g root /dev/stdin ${shellQuote(path)}`, {
      stdin: `${secret}\n`,
    });
    if (result.code !== 0) {
      throw infraError(`could not write ${path} on ${node.address} (exit ${result.code}): ${result.stderr.trim()}`, {
        hint: "the SSH user needs passwordless sudo on the node (Debian's cloud images give it to admin)",
      });
    }
  } finally {
    node.dispose();
  }
}
