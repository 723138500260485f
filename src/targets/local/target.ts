import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, cp, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { userInfo } from "node:os";
import { join } from "node:path";
import type { ClusterOutputs } from "../../../stacks/contract.ts";
import { newSparkAuthSecret } from "../../../stacks/shared/spark-conf.ts";
import { burstHome, cacheRoot } from "../../home.ts";
import { writeKeyPair } from "../../remote/keys.ts";
import { parseS3Uri } from "../../storage/s3.ts";
import { destroyStack } from "../../terraform/destroy.ts";
import { freePorts } from "../../util/ports.ts";
import type {
  ActualCost,
  ActualCostRequest,
  KeptCluster,
  PreparedCluster,
  PrepareMode,
  RunContext,
  Target,
} from "../contract.ts";
import { ensureS3Server } from "./s3-server.ts";
import { ensureSpark } from "./spark.ts";
import { ensureSshd } from "./sshd.ts";

/** Where the local S3 server keeps buckets, across runs: results stay inspectable as plain files. */
export function localS3DataDir(): string {
  return join(burstHome(), "local", "s3");
}

/**
 * The local target: a real Spark standalone cluster, an sshd for the master and an S3 server on
 * this machine, run through the same lifecycle as aws.
 */
export const localTarget: Target = {
  name: "local",
  // Only terraform's built-in resources: no provider reads the CLI's environment.
  terraformEnv: [],
  destroy: (stack, onEvent) => destroyStack(stack, { terraformEnv: [] }, onEvent),
  async endClusterBy(cluster: KeptCluster, deadline: Date) {
    // The ttl_guard node's deadline file (stacks/local/scripts/start-ttl-guard.sh); only ever earlier.
    const file = join(cluster.runDir, "nodes", "ttl-guard", "deadline");
    const current = Number((await readFile(file, "utf8").catch(() => "")).trim());
    const wanted = Math.floor(deadline.getTime() / 1000);
    if (Number.isFinite(current) && current > 0 && current <= wanted) return { unreached: [] };
    await writeFile(`${file}.tmp`, `${wanted}\n`);
    await rename(`${file}.tmp`, file);
    return { unreached: [] };
  },
  async fetchResults(resultsUri: string, prefix: string, localDir: string) {
    // The S3 server stores objects as plain files, readable with no server running.
    const { bucket, key } = parseS3Uri(resultsUri);
    const source = join(localS3DataDir(), bucket, key, prefix);
    if (!existsSync(source)) return false;
    await cp(source, localDir, { recursive: true });
    return true;
  },
  toolSpark: async (version, log) => (await ensureSpark(version, log)).sparkHome,
  actualCost: async (request) => localCost(request),
  async prepare(context: RunContext, mode: PrepareMode): Promise<PreparedCluster> {
    const { spec, params, runDir } = context;
    // The stack app (CDKTF) loads for runs only: not for down or gc.
    const { synthLocalCluster, localS3Region } = await import("../../../stacks/local/cluster-app.ts");
    const launching = mode === "launch";
    const spark = launching
      ? await ensureSpark(spec.cluster.spark, context.log)
      : { sparkHome: "(installed on first launch)", pythonExec: "python3", extraJars: [] as string[] };
    const s3Binary = launching ? (await ensureS3Server(context.log)).binary : "versitygw";
    const sshd = launching ? (await ensureSshd()).sshd : "/usr/sbin/sshd";

    const keysDir = join(runDir, "keys");
    const secretsDir = join(runDir, "secrets");
    await mkdir(keysDir, { recursive: true, mode: 0o700 });
    await mkdir(secretsDir, { recursive: true, mode: 0o700 });
    const clientKey = await writeKeyPair(keysDir, "id_ed25519", `burst-${context.runId}`);
    const hostKey = await writeKeyPair(keysDir, "host_ed25519", `burst-host-${context.runId}`);
    const authorizedKeys = join(keysDir, "authorized_keys");
    await writeFile(authorizedKeys, `${clientKey.publicKey}\n`, { mode: 0o600 });

    const credentials = { accessKeyId: `BURST${randomHex(8).toUpperCase()}`, secretAccessKey: randomHex(20) };
    const credentialsFile = join(secretsDir, "s3.env");
    await writeFile(
      credentialsFile,
      `export AWS_ACCESS_KEY_ID=${credentials.accessKeyId}\nexport AWS_SECRET_ACCESS_KEY=${credentials.secretAccessKey}\n`,
      { mode: 0o600 },
    );
    await chmod(credentialsFile, 0o600);
    // The run's Spark authentication secret: only this file's path reaches the stack.
    const sparkAuthSecret = newSparkAuthSecret();
    const sparkAuthSecretFile = join(secretsDir, "spark-auth");
    await writeFile(sparkAuthSecretFile, `${sparkAuthSecret}\n`, { mode: 0o600 });
    await chmod(sparkAuthSecretFile, 0o600);

    const workers = spec.cluster.workers;
    const [s3Port, sshPort, masterPort, masterUiPort, ...workerPortList] = await freePorts(4 + 2 * workers);
    if (s3Port === undefined || sshPort === undefined || masterPort === undefined || masterUiPort === undefined) {
      throw new Error("could not allocate ports");
    }
    const workerPorts = Array.from({ length: workers }, (_, i) => ({
      port: workerPortList[2 * i] ?? 0,
      uiPort: workerPortList[2 * i + 1] ?? 0,
    }));
    const s3Endpoint = `http://127.0.0.1:${s3Port}`;
    const dataDir = localS3DataDir();
    const workerCores = spec.cluster.worker.cores ?? params.local.workerCores;
    const workerMemory = spec.cluster.worker.memory ?? params.local.workerMemory;

    return {
      synth(outdir: string) {
        return synthLocalCluster(
          {
            ...context.identity,
            workers,
            sparkVersion: spec.cluster.spark,
            ttlMinutes: spec.cluster.ttlMinutes,
            workerCores,
            workerMemory,
            runDir,
            sparkHome: spark.sparkHome,
            pythonExec: spark.pythonExec,
            extraClassPath: spark.extraJars,
            sshUser: userInfo().username,
            sshd: {
              binary: sshd,
              port: sshPort,
              hostKeyFile: hostKey.privateKeyPath,
              hostPublicKey: hostKey.publicKey,
              authorizedKeysFile: authorizedKeys,
            },
            s3: { binary: s3Binary, port: s3Port, dataDir, credentialsFile },
            sparkAuthSecretFile,
            masterPort,
            masterUiPort,
            workerPorts,
          },
          outdir,
        );
      },
      async sshEndpoint(outputs: ClusterOutputs) {
        return {
          host: outputs.masterHost,
          port: outputs.sshPort,
          user: outputs.sshUser,
          privateKeyPath: clientKey.privateKeyPath,
          hostKey: outputs.hostKey,
        };
      },
      objectStore: { region: localS3Region, endpoint: s3Endpoint, forcePathStyle: true, credentials },
      createBuckets: true,
      // The master is this machine: a pip install done once serves every later run.
      pythonDependencyCache: join(cacheRoot(), "pydeps"),
      secrets: [credentials.secretAccessKey, credentials.accessKeyId, sparkAuthSecret],
      costUsd: 0,
      view: {
        plan: [
          `target local: 1 Spark master + ${workers} worker(s) (${workerCores} core(s), ${workerMemory} each) on this machine`,
          `  Spark ${spec.cluster.spark}, sshd on 127.0.0.1:${sshPort}, S3 server on ${s3Endpoint}`,
          `  S3 data folder: ${dataDir}`,
        ],
        browse(uri: string) {
          const location = parseS3Uri(uri);
          return join(dataDir, location.bucket, location.key);
        },
      },
    };
  },
};

/** The local cluster's processes lived from apply to the end of destroy, on this machine: nothing billed. */
function localCost(request: ActualCostRequest): ActualCost {
  const hours = Math.max(request.clusterEndedAt.getTime() - request.clusterStartedAt.getTime(), 0) / 3_600_000;
  return {
    totalUsd: 0,
    nodes: [
      {
        id: "cluster (this machine)",
        lifecycle: "local",
        launchedAt: request.clusterStartedAt.toISOString(),
        endedAt: request.clusterEndedAt.toISOString(),
        hours,
        perHourUsd: 0,
        usd: 0,
      },
    ],
    priceSources: ["local target: processes on this machine, nothing billed"],
    unpriced: [],
  };
}

function randomHex(bytes: number): string {
  return randomBytes(bytes).toString("hex");
}
