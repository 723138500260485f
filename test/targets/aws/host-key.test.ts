// component: moto, sshd
// The master's host key, from its console output. What is real here and what is not:
// - the parser runs on moto's actual GetConsoleOutput answer and on the output of the real
//   announce-host-key.sh (run with its two paths pointed at temp files);
// - the EC2 client is the real SDK talking to a real moto_server, found through
//   AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL with no endpoint in our code;
// - moto boots no machine: its console output is one fixed 2006 kernel log for every instance,
//   never containing a host key, so against moto only the "key never appears" path (polling until
//   the deadline) can run. The "key appears after a few polls" path uses a scripted reader.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { EC2Client, RunInstancesCommand } from "@aws-sdk/client-ec2";
import { type MotoServer, startMoto, useMotoEnvironment } from "../../../scripts/servers/moto.ts";
import { BurstError, ExitCode } from "../../../src/errors.ts";
import { newKeyPair } from "../../../src/remote/keys.ts";
import {
  type ConsoleReader,
  ec2ConsoleReader,
  hostKeyFromConsole,
  readHostKeyFromConsole,
  waitForHostKey,
} from "../../../src/targets/aws/host-key.ts";
import { createAwsTarget } from "../../../src/targets/aws/target.ts";
import type { ClusterOutputs } from "../../../stacks/contract.ts";
import { testRun } from "./fixtures.ts";

const announceScript = fileURLToPath(new URL("../../../stacks/aws/bootstrap/announce-host-key.sh", import.meta.url));

/**
 * A fresh ed25519 public key line, "ssh-ed25519 AAAA... comment", from burst's one key maker: ssh2's
 * generator alone makes, about once in 200 keys, a 31-byte key the parser rightly refuses.
 */
function newHostKey(): string {
  return newKeyPair("root@ip-10-42-0-10").publicKey;
}
const typeAndBlob = (line: string) => line.split(" ").slice(0, 2).join(" ");

async function failureOf(action: () => Promise<unknown>): Promise<BurstError> {
  try {
    await action();
  } catch (error) {
    assert.ok(error instanceof BurstError, `expected a BurstError, got ${String(error)}`);
    return error;
  }
  return assert.fail("expected a rejection");
}

describe("hostKeyFromConsole", () => {
  const key = typeAndBlob(newHostKey());

  it("finds the burst-host-key line, whatever the console puts before it", () => {
    const text = `[   11.2] random: crng init done\r\n[   12.3] cloud-init[812]: burst-host-key: ${key}\r\n[   13.0] more\r\n`;
    assert.deepEqual(hostKeyFromConsole(text), { kind: "found", hostKey: key });
  });

  it("skips a line garbled by interleaved kernel output and takes an intact one", () => {
    const [type, blob = ""] = key.split(" ");
    const garbled = `burst-host-key: ${type} ${blob.slice(0, 20)}[   14.1] eth0: link up${blob.slice(20)}`;
    assert.deepEqual(hostKeyFromConsole(garbled), { kind: "absent" });
    assert.deepEqual(hostKeyFromConsole(`${garbled}\nburst-host-key: ${key}\n`), { kind: "found", hostKey: key });
  });

  it("falls back to cloud-init's host key block (printed at the end of boot)", () => {
    const text = [
      "ec2: -----BEGIN SSH HOST KEY KEYS-----",
      `ec2: ${typeAndBlob(newHostKey()).replace("ssh-ed25519", "ecdsa-sha2-nistp256")}`,
      `ec2: ${key} root@ip-10-42-0-10`,
      "ec2: -----END SSH HOST KEY KEYS-----",
    ].join("\n");
    assert.deepEqual(hostKeyFromConsole(text), { kind: "found", hostKey: key });
  });

  it("trusts no key outside those two markers", () => {
    assert.deepEqual(hostKeyFromConsole(`sshd[900]: Accepted publickey for admin: ${key}\n`), { kind: "absent" });
  });

  it("refuses a console that shows two different keys", () => {
    const other = typeAndBlob(newHostKey());
    const reading = hostKeyFromConsole(`burst-host-key: ${key}\nburst-host-key: ${other}\n`);
    assert.deepEqual(reading, { kind: "failed", reason: "the console shows 2 different ed25519 host keys" });
  });

  it("accepts only well-formed ed25519 keys", () => {
    const rsaBlob = Buffer.concat([Buffer.from([0, 0, 0, 7]), Buffer.from("ssh-rsa"), Buffer.alloc(40)]).toString(
      "base64",
    );
    assert.deepEqual(hostKeyFromConsole(`burst-host-key: ssh-ed25519 ${rsaBlob}`), { kind: "absent" });
    assert.deepEqual(hostKeyFromConsole(`burst-host-key: ssh-ed25519 ${key.split(" ")[1]?.slice(0, 40)}`), {
      kind: "absent",
    });
  });

  it("reports the node's own error line", () => {
    assert.deepEqual(hostKeyFromConsole("burst-host-key-error: no ed25519 host key at /etc/ssh/x.pub\n"), {
      kind: "failed",
      reason: "no ed25519 host key at /etc/ssh/x.pub",
    });
  });
});

describe("announce-host-key.sh, run for real and read back by the parser", () => {
  const run = (hostKeyFile: string) => {
    const dir = mkdtempSync(join(tmpdir(), "burst-announce-"));
    try {
      const consoleFile = join(dir, "console");
      writeFileSync(consoleFile, "");
      // The part as rendered, with its two absolute paths pointed at temp files.
      const script = readFileSync(announceScript, "utf8")
        .replace("/etc/ssh/ssh_host_ed25519_key.pub", hostKeyFile)
        .replaceAll("/dev/console", consoleFile);
      // The part defines announce_host_key; the user data's main.sh calls it once the TTL is armed.
      writeFileSync(join(dir, "announce.sh"), `${script}\nannounce_host_key\n`);
      const result = spawnSync("bash", [join(dir, "announce.sh")], { encoding: "utf8" });
      return { status: result.status, stdout: result.stdout, console: readFileSync(consoleFile, "utf8") };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it("prints the host key the CLI then pins, on the console and in cloud-init's log", () => {
    const dir = mkdtempSync(join(tmpdir(), "burst-hostkey-"));
    try {
      const publicKey = newHostKey();
      writeFileSync(join(dir, "ssh_host_ed25519_key.pub"), `${publicKey}\n`);
      const result = run(join(dir, "ssh_host_ed25519_key.pub"));
      assert.equal(result.status, 0);
      assert.equal(result.console, `burst-host-key: ${typeAndBlob(publicKey)}\n`);
      assert.equal(result.stdout, result.console);
      assert.deepEqual(hostKeyFromConsole(result.console), { kind: "found", hostKey: typeAndBlob(publicKey) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("fails the boot script and says so on the console when the node has no ed25519 host key", () => {
    const result = run("/nonexistent/ssh_host_ed25519_key.pub");
    assert.equal(result.status, 1);
    assert.equal(hostKeyFromConsole(result.console).kind, "failed");
  });
});

describe("waitForHostKey (scripted console reader)", () => {
  const key = typeAndBlob(newHostKey());
  const motoSample = "Linux version 2.6.16-xenU (builder@patchbat.amazonsa)\nBIOS-provided physical RAM map:\n";
  const scripted = (answers: (string | Error)[]): ConsoleReader & { calls: number } => {
    const reader = Object.assign(
      async () => {
        const answer = answers[Math.min(reader.calls, answers.length - 1)] ?? "";
        reader.calls++;
        if (answer instanceof Error) throw answer;
        return answer;
      },
      { calls: 0 },
    );
    return reader;
  };
  const named = (name: string, message = name) => Object.assign(new Error(message), { name });
  const options = { instanceId: "i-0master", timeoutMs: 2000, intervalMs: 10 };

  it("polls until the key appears (empty console, boot log, then the line)", async () => {
    const reader = scripted(["", motoSample, named("ThrottlingException"), `${motoSample}burst-host-key: ${key}\n`]);
    const logs: string[] = [];
    assert.equal(await waitForHostKey(reader, { ...options, log: (line) => logs.push(line) }), key);
    assert.equal(reader.calls, 4);
    assert.deepEqual(logs, ["waiting for node i-0master to print its SSH host key on its console"]);
  });

  it("gives up at the deadline with an infrastructure error that says where to look", async () => {
    const began = Date.now();
    const error = await failureOf(() =>
      waitForHostKey(scripted([motoSample]), { ...options, timeoutMs: 300, intervalMs: 50 }),
    );
    assert.ok(Date.now() - began >= 300);
    assert.equal(error.exitCode, ExitCode.infrastructure);
    assert.match(error.message, /i-0master did not print its SSH host key to its console within 0\.3 s/);
    assert.match(error.hint ?? "", /aws ec2 get-console-output --latest --output text --instance-id i-0master/);
  });

  it("stops waiting as soon as the run is interrupted", async () => {
    const began = Date.now();
    const error = await failureOf(() =>
      waitForHostKey(scripted([""]), {
        ...options,
        timeoutMs: 60_000,
        intervalMs: 30_000,
        signal: AbortSignal.timeout(100),
      }),
    );
    assert.equal(error.kind, "interrupted");
    assert.ok(Date.now() - began < 5_000);
  });

  it("fails at once on a missing permission or credentials, and on the node's own error line", async () => {
    for (const answer of [
      named("UnauthorizedOperation"),
      named("CredentialsProviderError"),
      "burst-host-key-error: no key\n",
    ]) {
      const reader = scripted([answer]);
      const error = await failureOf(() => waitForHostKey(reader, { ...options, timeoutMs: 60_000 }));
      assert.equal(error.exitCode, ExitCode.infrastructure);
      assert.equal(reader.calls, 1, String(answer));
    }
  });
});

describe("ec2ConsoleReader", () => {
  it("asks for the live console (Latest) and falls back to the buffered one where EC2 refuses it", async () => {
    const asked: (boolean | undefined)[] = [];
    const client = {
      send: async (command: { input: { Latest?: boolean } }) => {
        asked.push(command.input.Latest);
        if (command.input.Latest)
          throw Object.assign(new Error("Latest is not supported on xen"), { name: "UnsupportedOperation" });
        return { Output: Buffer.from("burst-host-key: none yet\n").toString("base64") };
      },
    } as unknown as EC2Client;
    const read = ec2ConsoleReader(client);
    assert.equal(await read("i-0old"), "burst-host-key: none yet\n");
    assert.equal(await read("i-0old"), "burst-host-key: none yet\n");
    assert.deepEqual(asked, [true, false, false]);
  });
});

describe("console output from a real moto_server", () => {
  let moto: MotoServer;
  let instanceId: string;
  before(async () => {
    moto = await startMoto();
    const env = useMotoEnvironment({ AWS_ENDPOINT_URL_EC2: moto.endpoint });
    const client = new EC2Client({ region: "eu-west-1" });
    try {
      const launched = await client.send(
        new RunInstancesCommand({ ImageId: "ami-12c6146b", InstanceType: "m5.xlarge", MinCount: 1, MaxCount: 1 }),
      );
      instanceId = launched.Instances?.[0]?.InstanceId ?? "";
      assert.match(instanceId, /^i-/);
    } finally {
      client.destroy();
      env.restore();
    }
  });
  after(async () => {
    await moto?.stop();
    if (moto?.pid !== undefined) assert.throws(() => process.kill(moto.pid as number, 0), "moto_server is gone");
  });

  for (const variable of ["AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL"] as const) {
    it(`reaches moto through ${variable} alone and decodes its (fixed, key-less) base64 console output`, async () => {
      const other = variable === "AWS_ENDPOINT_URL" ? "AWS_ENDPOINT_URL_EC2" : "AWS_ENDPOINT_URL";
      const env = useMotoEnvironment({ [variable]: moto.endpoint, [other]: undefined });
      const client = new EC2Client({ region: "eu-west-1" });
      try {
        const text = await ec2ConsoleReader(client)(instanceId);
        assert.match(text, /^Linux version 2\.6\.16-xenU/);
        assert.deepEqual(hostKeyFromConsole(text), { kind: "absent" });
        const key = typeAndBlob(newHostKey());
        assert.deepEqual(hostKeyFromConsole(`${text}burst-host-key: ${key}\n`), { kind: "found", hostKey: key });
      } finally {
        client.destroy();
        env.restore();
      }
    });
  }

  it("keeps polling moto until the deadline, since moto never prints a host key", async () => {
    const env = useMotoEnvironment({ AWS_ENDPOINT_URL_EC2: moto.endpoint });
    try {
      const began = Date.now();
      const error = await failureOf(() =>
        readHostKeyFromConsole({ region: "eu-west-1", instanceId, timeoutMs: 1500, intervalMs: 200 }),
      );
      assert.ok(Date.now() - began >= 1500);
      assert.equal(error.exitCode, ExitCode.infrastructure);
      assert.match(error.message, new RegExp(`${instanceId} did not print its SSH host key`));
      assert.doesNotMatch(error.message, /last error/, "every call succeeded; the key just never came");
    } finally {
      env.restore();
    }
  });

  it("names moto's InvalidInstanceID.NotFound when the instance does not exist", async () => {
    const env = useMotoEnvironment({ AWS_ENDPOINT_URL_EC2: moto.endpoint });
    try {
      const error = await failureOf(() =>
        readHostKeyFromConsole({
          region: "eu-west-1",
          instanceId: "i-0000000000000dead",
          timeoutMs: 600,
          intervalMs: 200,
        }),
      );
      assert.match(error.message, /last error: InvalidInstanceID\.NotFound/);
    } finally {
      env.restore();
    }
  });

  it("makes the aws target's sshEndpoint wait on the master's console and fail clearly when no key comes", async () => {
    const env = useMotoEnvironment({ AWS_ENDPOINT_URL_EC2: moto.endpoint });
    const run = await testRun();
    try {
      const target = createAwsTarget({ env: {}, hostKeyTimeoutMs: 800, hostKeyPollMs: 200 });
      const prepared = await target.prepare(run.context, "plan");
      const outputs: ClusterOutputs = {
        masterHost: "198.51.100.20",
        sshPort: 22,
        sshUser: "admin",
        hostKey: "",
        sparkMasterUrl: "spark://10.42.0.10:7077",
        uiUrl: "http://localhost:8080",
        workDir: "/opt/burst/run",
        sparkHome: "/opt/spark",
        nodeIds: [instanceId],
      };
      const error = await failureOf(() => prepared.sshEndpoint(outputs));
      assert.equal(error.exitCode, ExitCode.infrastructure);
      assert.match(error.message, new RegExp(`node ${instanceId} did not print its SSH host key`));
      assert.match(run.logs.join("\n"), /waiting for node .* to print its SSH host key/);
    } finally {
      env.restore();
      await run.remove();
    }
  });
});
