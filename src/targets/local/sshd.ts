// The OpenSSH server the local target runs for each master (and ssh-keygen for its host keys),
// found on the machine: it is a system package, never installed by burst.

import { infraError } from "../../errors.ts";
import { which } from "../../util/exec.ts";

export interface SshdRuntime {
  readonly sshd: string;
  /** ssh-keygen, for host keys (same package family: openssh-client, a dependency of openssh-server). */
  readonly sshKeygen?: string;
}

export async function ensureSshd(): Promise<SshdRuntime> {
  const sshd = ["/usr/sbin/sshd", "/usr/local/sbin/sshd"].find((p) => which(p)) ?? which("sshd");
  if (!sshd)
    throw infraError("sshd (OpenSSH server) is needed by the local target and was not found", {
      hint: "apt-get install -y openssh-server",
    });
  return { sshd, sshKeygen: which("ssh-keygen") };
}
