import assert from "node:assert/strict";
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import ssh2 from "ssh2";
import { newKeyPair, writeKeyPair } from "../../src/remote/keys.ts";

/** Parses an OpenSSH key with ssh2 (what node-ssh connects with); fails the test if it cannot. */
function parsed(key: string) {
  const result = ssh2.utils.parseKey(key);
  if (result instanceof Error) assert.fail(`the key does not parse: ${result.message}`);
  return result;
}

describe("key writer", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "burst-keys-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("writes the private half 0600 and the public half 0644 into a 0700 folder it creates", async () => {
    const keysDir = join(dir, "run", "keys");
    const previous = process.umask(0o000); // even with a permissive umask, the private key is 0600
    let files: Awaited<ReturnType<typeof writeKeyPair>>;
    try {
      files = await writeKeyPair(keysDir, "id_ed25519", "burst-20261205-run");
    } finally {
      process.umask(previous);
    }
    assert.equal(files.privateKeyPath, join(keysDir, "id_ed25519"));
    assert.equal((await stat(keysDir)).mode & 0o777, 0o700);
    assert.equal((await stat(files.privateKeyPath)).mode & 0o777, 0o600);
    assert.equal((await stat(`${files.privateKeyPath}.pub`)).mode & 0o777, 0o644);
  });

  test("every key it makes parses and is a full 32-byte ed25519 key: 1000 in a row (ssh2's own generator fails about 1 in 200)", () => {
    for (let i = 0; i < 1000; i++) {
      const pair = newKeyPair(`burst-run-${i}`);
      parsed(pair.privateKey);
      // The wire form: string "ssh-ed25519" then a 32-byte string. ssh2's bad keys are 31 bytes.
      const blob = Buffer.from(pair.publicKey.split(" ")[1] ?? "", "base64");
      assert.equal(blob.length, 4 + 11 + 4 + 32, pair.publicKey);
      assert.equal(blob.readUInt32BE(15), 32, pair.publicKey);
    }
  });

  test("a private key file that already existed with looser modes ends up 0600", async () => {
    const keysDir = join(dir, "loose");
    await writeKeyPair(keysDir, "host_ed25519", "first");
    // writeFile's mode only applies to a file it creates: an existing 0644 file keeps 0644 unless chmod'ed.
    await writeFile(join(keysDir, "host_ed25519"), "stale");
    await chmod(join(keysDir, "host_ed25519"), 0o644);
    const files = await writeKeyPair(keysDir, "host_ed25519", "second");
    assert.equal((await stat(files.privateKeyPath)).mode & 0o777, 0o600);
  });

  test("both halves parse as one ed25519 key pair, the public line carries the comment", async () => {
    const files = await writeKeyPair(join(dir, "pair"), "id_ed25519", "burst-host-20261205-run");
    const privateKey = parsed(await readFile(files.privateKeyPath, "utf8"));
    const publicLine = (await readFile(`${files.privateKeyPath}.pub`, "utf8")).trimEnd();
    assert.equal(publicLine, files.publicKey);
    assert.match(files.publicKey, /^ssh-ed25519 [A-Za-z0-9+/]+=* burst-host-20261205-run$/);
    const publicKey = parsed(files.publicKey);
    assert.equal(privateKey.type, "ssh-ed25519");
    assert.equal(publicKey.type, "ssh-ed25519");
    assert.ok(privateKey.getPublicSSH().equals(publicKey.getPublicSSH()), "the .pub file is the private key's half");
  });

  test("newKeyPair: a fresh pair in memory every call", () => {
    const first = newKeyPair("bench");
    const second = newKeyPair("bench");
    assert.notEqual(first.publicKey, second.publicKey);
    assert.match(first.privateKey, /^-----BEGIN OPENSSH PRIVATE KEY-----/);
    assert.ok(!first.publicKey.endsWith("\n"));
    assert.ok(parsed(first.privateKey).getPublicSSH().equals(parsed(first.publicKey).getPublicSSH()));
  });
});
