// The run's Spark authentication secret, handed to every node over SSH once it has booted: each
// node's host key is read from its console (as the master's is) and pinned, and the secret goes
// into a root-only file the node role waits for (stacks/shared/node/role.sh, await-secret).

import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { nodeLayout } from "../../../stacks/aws/bootstrap.ts";
import { infraError } from "../../errors.ts";
import { writeSecretFile } from "../../remote/secret-file.ts";
import { chunks, mapLimit } from "../../util/concurrency.ts";
import type { NodeAddress } from "./params.ts";

/** Nodes handed the secret at once: SSH handshakes are cheap, console reads are rate-limited. */
const deliveryConcurrency = 16;

export interface SecretDelivery {
  readonly region: string;
  readonly instanceIds: readonly string[];
  readonly sshUser: string;
  readonly privateKeyPath: string;
  readonly secret: string;
  /** aws/sshAddress: which of each node's addresses the CLI dials. */
  readonly sshAddress: NodeAddress;
  /** The instance's pinned host key (read from its console). */
  readonly hostKeyOf: (instanceId: string) => Promise<string>;
  /** How long a node may take to answer SSH: its boot deadline, as a node busy installing Spark answers slowly. */
  readonly waitMs: number;
  readonly signal?: AbortSignal;
}

/** Writes the secret on every node; fails naming the first node that could not take it. */
export async function deliverSparkAuthSecret(delivery: SecretDelivery): Promise<void> {
  const addresses = await nodeAddresses(delivery.region, delivery.instanceIds, delivery.sshAddress);
  await mapLimit(
    delivery.instanceIds.map((instanceId, index) => ({ instanceId, host: addresses[index] ?? "" })),
    deliveryConcurrency,
    async ({ instanceId, host }) => {
      const hostKey = await delivery.hostKeyOf(instanceId);
      await writeSecretFile(
        { host, port: 22, user: delivery.sshUser, privateKeyPath: delivery.privateKeyPath, hostKey },
        nodeLayout.sparkAuthSecretFile,
        delivery.secret,
        { waitMs: delivery.waitMs, signal: delivery.signal },
      );
    },
  );
}

/** Each instance's public or private address, in the order given (DescribeInstances takes 200 ids a call here). */
export async function nodeAddresses(
  region: string,
  instanceIds: readonly string[],
  which: NodeAddress,
): Promise<string[]> {
  const client = new EC2Client({ region, maxAttempts: 3 });
  try {
    const found = new Map<string, string>();
    for (const ids of chunks(instanceIds, 200)) {
      const answer = await client.send(new DescribeInstancesCommand({ InstanceIds: ids }));
      for (const instance of (answer.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? [])) {
        const address = which === "public" ? instance.PublicIpAddress : instance.PrivateIpAddress;
        if (instance.InstanceId && address) found.set(instance.InstanceId, address);
      }
    }
    return instanceIds.map((instanceId) => {
      const address = found.get(instanceId);
      if (address === undefined) {
        throw infraError(
          `instance ${instanceId} has no ${which} address: the CLI cannot hand it the run's Spark secret`,
          {
            hint:
              which === "public"
                ? "burst launches into the VPC's public subnets (burst/vpc/<vpcName>/subnetIds); from inside the network set aws.sshAddress: private"
                : "the instance was terminated before the CLI reached it",
          },
        );
      }
      return address;
    });
  } finally {
    client.destroy();
  }
}
