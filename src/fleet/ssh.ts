// `burst ssh <run-id> [-- command]`: a shell, or one command, on a live run's master (a cluster kept
// with --keep or --keep-on-failure), as the run itself reaches it: its own key, its host key pinned.

import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { burstCommand } from "../commands.ts";
import { badInput, ExitCode, infraError } from "../errors.ts";
import { findRun } from "../lifecycle/down.ts";
import { shellQuote } from "../util/shell.ts";

export interface SshOptions {
  /** What to run on the master (after `--`); absent: an interactive shell. */
  readonly command?: readonly string[];
  /** Whether stdin is a terminal (an interactive shell then gets one). */
  readonly terminal: boolean;
}

/** Runs ssh to the run's master with this process's stdio; returns ssh's exit code (the command's). */
export async function sshToRun(burstHome: string, runId: string, options: SshOptions): Promise<number> {
  const record = await findRun(burstHome, runId);
  const { master } = record;
  if (record.destroyed) {
    throw badInput(`run ${runId}: its cluster is destroyed`, { hint: `keep one with --keep or --keep-on-failure` });
  }
  if (!master) throw badInput(`run ${runId}: its master never answered, so there is nothing to connect to`);
  if (Date.parse(record.expiresAt) < Date.now()) {
    throw badInput(`run ${runId}: its TTL guard ended the cluster at ${record.expiresAt}`, {
      hint: `clear its state with: ${burstCommand(`down ${runId}`)}`,
    });
  }
  const knownHosts = join(record.runDir, "known_hosts");
  const hostName = master.port === 22 ? master.host : `[${master.host}]:${master.port}`;
  await writeFile(knownHosts, `${hostName} ${master.hostKey}\n`, { mode: 0o600 });
  // In the work folder with Spark on PATH, as the job ran.
  const prelude = `cd ${shellQuote(master.workDir)} && { [ ! -f env.sh ] || . ./env.sh; }`;
  const remote = options.command?.length ? `${prelude} && ${options.command.join(" ")}` : `${prelude} && exec bash -i`;
  const args = [
    ...["-i", master.privateKeyPath, "-p", String(master.port)],
    ...["-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes"],
    ...["-o", `UserKnownHostsFile=${knownHosts}`, "-o", "GlobalKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"],
    ...(options.command?.length ? [] : options.terminal ? ["-t"] : []),
    `${master.user}@${master.host}`,
    remote,
  ];
  // Ctrl-C belongs to the remote shell or command while ssh runs; ssh itself passes it on or ends.
  const ignore = () => {};
  process.on("SIGINT", ignore);
  try {
    return await new Promise<number>((resolve, reject) => {
      const child = spawn("ssh", args, { stdio: "inherit" });
      child.on("error", (error) =>
        reject(infraError(`could not start ssh: ${error.message}`, { hint: "install the OpenSSH client" })),
      );
      child.on("exit", (code, signal) => {
        if (code === 255) {
          reject(infraError(`ssh to ${master.user}@${master.host}:${master.port} failed (see its message above)`));
        } else resolve(code ?? (signal ? ExitCode.interrupted : ExitCode.infrastructure));
      });
    });
  } finally {
    process.off("SIGINT", ignore);
  }
}
