// A kept aws cluster ends at the keep's deadline: on every node the TTL guard (systemd timers,
// platform_arm_ttl in stacks/aws/bootstrap/platform.sh) gets one more timer on the same poweroff,
// at the deadline (stacks/aws/bootstrap/end-by.sh, run as root over SSH); the launch template's
// instance-initiated shutdown is "terminate", so the node is then gone. The CLI reaches every node
// directly, as it did to hand them the Spark secret: the master with the run's pinned endpoint, each
// worker at the same kind of address (aws/sshAddress) with the host key its console printed.

import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { EC2Client, type Instance, paginateDescribeInstances } from "@aws-sdk/client-ec2";
import { tagKeys } from "../../../stacks/aws/tags.ts";
import { describeError, infraError } from "../../errors.ts";
import { RemoteNode, type SshEndpoint } from "../../remote/ssh.ts";
import { mapLimit } from "../../util/concurrency.ts";
import type { ClusterEndReport, KeptCluster } from "../contract.ts";
import { readHostKeyFromConsole } from "./host-key.ts";

const endByScript = fileURLToPath(new URL("../../../stacks/aws/bootstrap/end-by.sh", import.meta.url));

export interface EndClusterOptions {
  /** The CLI's environment (the region when the record has no placement); default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** How a worker's host key is found; default: its console output through the EC2 API. */
  readonly readHostKey?: typeof readHostKeyFromConsole;
  /** How long one node may take to answer SSH and print its host key (it booted long ago). */
  readonly nodeWaitMs?: number;
}

/**
 * Brings every node's poweroff forward to `deadline`, only ever earlier. The master must take it:
 * if not, this throws and the run destroys the cluster instead of keeping it. A worker that cannot
 * be reached (or listed) is reported, not fatal: the caller tells the user, and that worker's own
 * TTL timers (the spec's ttlMinutes, armed at its boot) still end it, or `burst down` does sooner.
 */
export async function endAwsClusterBy(
  cluster: KeptCluster,
  deadline: Date,
  options: EndClusterOptions = {},
): Promise<ClusterEndReport> {
  const { master } = cluster;
  if (!master) throw infraError(`run ${cluster.runId}: its master never answered, so its end cannot be set`);
  const env = options.env ?? process.env;
  const region =
    cluster.placement?.availabilityZone.replace(/[a-z]$/, "") || env.BURST_AWS_REGION || env.AWS_REGION || undefined;
  const script = await readFile(endByScript, "utf8");
  const seconds = Math.floor(deadline.getTime() / 1000);
  const waitMs = options.nodeWaitMs ?? 60_000;
  await endNodeBy(master, script, seconds, waitMs, "the master");

  if (!region) return { unreached: ["the workers: no AWS region to find them in (set BURST_AWS_REGION)"] };
  let nodes: Instance[];
  try {
    nodes = await liveNodes(region, cluster.runId);
  } catch (error) {
    return { unreached: [`the workers: could not list them in EC2 (${describeError(error)})`] };
  }
  const role = (node: Instance) => node.Tags?.find((tag) => tag.Key === tagKeys.role)?.Value;
  const workers = nodes.filter((node) => role(node) === "worker");
  // The CLI dials workers as it dialled the master: the master's private address means aws/sshAddress is private.
  const privateAddresses = nodes.some((node) => role(node) === "master" && node.PrivateIpAddress === master.host);
  const unreached: string[] = [];
  await mapLimit(workers, 8, async (worker) => {
    const instanceId = worker.InstanceId ?? "";
    const host = privateAddresses ? worker.PrivateIpAddress : (worker.PublicIpAddress ?? worker.PrivateIpAddress);
    try {
      if (!host) throw new Error("it has no address");
      const hostKey = await (options.readHostKey ?? readHostKeyFromConsole)({
        region,
        instanceId,
        timeoutMs: waitMs,
        intervalMs: 2_000,
      });
      const endpoint = { host, port: 22, user: master.user, privateKeyPath: master.privateKeyPath, hostKey };
      await endNodeBy(endpoint, script, seconds, waitMs, `worker ${instanceId}`);
    } catch (error) {
      unreached.push(`worker ${instanceId}${host ? ` (${host})` : ""}: ${describeError(error)}`);
    }
  });
  return { unreached: unreached.sort() };
}

/** The run's instances EC2 still runs, found by their run tag. */
async function liveNodes(region: string, runId: string): Promise<Instance[]> {
  const client = new EC2Client({ region, maxAttempts: 3 });
  try {
    const found: Instance[] = [];
    const pages = paginateDescribeInstances(
      { client },
      {
        Filters: [
          { Name: `tag:${tagKeys.runId}`, Values: [runId] },
          { Name: "instance-state-name", Values: ["pending", "running"] },
        ],
      },
    );
    for await (const page of pages) {
      for (const reservation of page.Reservations ?? []) found.push(...(reservation.Instances ?? []));
    }
    return found;
  } finally {
    client.destroy();
  }
}

async function endNodeBy(endpoint: SshEndpoint, script: string, seconds: number, waitMs: number, node: string) {
  const remote = await RemoteNode.connect(endpoint, { waitMs });
  try {
    const result = await remote.exec(`sudo bash -s -- ${seconds}`, { stdin: script });
    if (result.code !== 0) {
      throw infraError(`could not set ${node}'s end (exit ${result.code}): ${result.stderr.trim()}`, {
        hint: "the SSH user needs passwordless sudo on the node (Debian's cloud images give it to admin)",
      });
    }
  } finally {
    remote.dispose();
  }
}
