// The one maker of SSH key pairs: a run's client key, the local master's host key, a bench's
// throwaway key. ed25519 in OpenSSH format; the private half is only ever written 0600.

import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import ssh2 from "ssh2";

export interface KeyPair {
  /** The private key, OpenSSH PEM ("-----BEGIN OPENSSH PRIVATE KEY-----"). */
  readonly privateKey: string;
  /** "ssh-ed25519 AAAA... comment", one line, no newline. */
  readonly publicKey: string;
}

export interface KeyFiles {
  /** `<dir>/<name>`, mode 0600; the public half is beside it as `<name>.pub`, mode 0644. */
  readonly privateKeyPath: string;
  readonly publicKey: string;
}

/**
 * A new ed25519 key pair, in memory. ssh2's generator makes, about once in 200 ed25519 keys, a
 * private key its own parser (and so node-ssh) rejects as "Malformed OpenSSH private key": the run
 * holding it then failed at wait-ready (could not SSH). Only a pair that parses is kept.
 */
export function newKeyPair(comment: string): KeyPair {
  for (let attempt = 1; attempt <= 20; attempt++) {
    const pair = ssh2.utils.generateKeyPairSync("ed25519", { comment });
    if (!(ssh2.utils.parseKey(pair.private) instanceof Error)) {
      return { privateKey: pair.private, publicKey: pair.public.trim() };
    }
  }
  throw new Error("ssh2 made 20 ed25519 keys in a row that it cannot parse");
}

/** A new ed25519 key pair written to `dir` (created 0700 if missing) as `name` and `name.pub`. */
export async function writeKeyPair(dir: string, name: string, comment: string): Promise<KeyFiles> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const pair = newKeyPair(comment);
  const privateKeyPath = join(dir, name);
  await writeFile(privateKeyPath, pair.privateKey, { mode: 0o600 });
  // writeFile's mode applies only when it creates the file (and through the umask): make sure.
  await chmod(privateKeyPath, 0o600);
  await writeFile(`${privateKeyPath}.pub`, `${pair.publicKey}\n`, { mode: 0o644 });
  return { privateKeyPath, publicKey: pair.publicKey };
}
