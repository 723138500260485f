import { fileURLToPath } from "node:url";
import { DataResource, LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { ClusterOutputs, ClusterShape, RunIdentity } from "../contract.ts";
import { renderLog4j2, renderSparkDefaults, renderSparkEnv } from "../shared/spark-conf.ts";
import { localS3Region } from "./s3-region.ts";

const scriptsDir = fileURLToPath(new URL("./scripts/", import.meta.url));

export interface LocalWorkerPorts {
  readonly port: number;
  readonly uiPort: number;
}

export interface LocalClusterProps extends RunIdentity, ClusterShape {
  /** The run's private folder: node folders, keys and secrets live below it. */
  readonly runDir: string;
  readonly sparkHome: string;
  readonly pythonExec: string;
  /** s3a jars outside SPARK_HOME/jars (a user-provided Spark); put on driver and executor class paths. */
  readonly extraClassPath: readonly string[];
  readonly sshUser: string;
  readonly sshd: {
    readonly binary: string;
    readonly port: number;
    readonly hostKeyFile: string;
    readonly hostPublicKey: string;
    readonly authorizedKeysFile: string;
  };
  readonly s3: {
    readonly binary: string;
    readonly port: number;
    /** Persistent folder: buckets are its sub-folders, objects plain files. */
    readonly dataDir: string;
    /** 0600 file exporting AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY; only its path is in the stack. */
    readonly credentialsFile: string;
  };
  /** 0600 file holding the run's Spark authentication secret; only its path is in the stack. */
  readonly sparkAuthSecretFile: string;
  readonly masterPort: number;
  readonly masterUiPort: number;
  readonly workerPorts: readonly LocalWorkerPorts[];
}

/**
 * A Spark cluster on this machine, made only of terraform's built-in terraform_data
 * resources: each node is started by a local-exec provisioner and stopped by a destroy-time
 * one, so terraform state tracks it like any cloud node and `destroy` frees every process
 * and port. No resource depends on another: all nodes launch in parallel.
 */
export class LocalClusterStack extends TerraformStack {
  readonly outputs: ClusterOutputs;
  readonly resourceCount: number;

  constructor(scope: Construct, id: string, props: LocalClusterProps) {
    super(scope, id);
    // State beside the stack, in the run's own folder. Without this, CDKTF's default backend
    // path is absolute to the synthesizing process's cwd, and every run would share one state.
    new LocalBackend(this, { path: "terraform.tfstate" });
    const nodesDir = `${props.runDir}/nodes`;
    const workDir = `${nodesDir}/master/work`;
    const s3Endpoint = `http://127.0.0.1:${props.s3.port}`;
    const sparkConf = {
      SPARK_HOME: props.sparkHome,
      PYSPARK_PYTHON: props.pythonExec,
      SPARK_DEFAULTS: renderSparkDefaults({
        s3: { endpoint: s3Endpoint, pathStyle: true, region: localS3Region },
        eventLogDir: `${workDir}/eventlog`,
        extra: classPathConf(props.extraClassPath),
      }),
      SPARK_ENV: renderSparkEnv({
        pysparkPython: props.pythonExec,
        credentialsFile: props.s3.credentialsFile,
      }),
      LOG4J2: renderLog4j2(),
      SPARK_AUTH_SECRET_FILE: props.sparkAuthSecretFile,
      // Written before apply: a missing file is a fault, not something to wait for.
      SECRET_WAIT_SECONDS: "0",
    };

    localNode(this, "s3", `${nodesDir}/s3`, "start-s3.sh", {
      S3_BINARY: props.s3.binary,
      S3_PORT: String(props.s3.port),
      S3_REGION: localS3Region,
      S3_DATA_DIR: props.s3.dataDir,
      CREDENTIALS_FILE: props.s3.credentialsFile,
    });
    localNode(this, "master_sshd", `${nodesDir}/master-sshd`, "start-sshd.sh", {
      SSHD_BINARY: props.sshd.binary,
      SSH_PORT: String(props.sshd.port),
      HOST_KEY: props.sshd.hostKeyFile,
      AUTHORIZED_KEYS: props.sshd.authorizedKeysFile,
    });
    localNode(
      this,
      "master",
      `${nodesDir}/master`,
      "start-master.sh",
      {
        ...sparkConf,
        MASTER_PORT: String(props.masterPort),
        MASTER_UI_PORT: String(props.masterUiPort),
        WORK_DIR: workDir,
      },
      // The secret lives as long as the cluster: the master's stop removes it.
      { SPARK_AUTH_SECRET_FILE: props.sparkAuthSecretFile },
    );
    const workerNames = props.workerPorts.map((ports, index) => {
      const name = `worker-${index + 1}`;
      localNode(this, `worker_${index + 1}`, `${nodesDir}/${name}`, "start-worker.sh", {
        ...sparkConf,
        MASTER_PORT: String(props.masterPort),
        WORKER_PORT: String(ports.port),
        WORKER_UI_PORT: String(ports.uiPort),
        WORKER_CORES: String(props.workerCores),
        WORKER_MEMORY: props.workerMemory,
      });
      return name;
    });

    // Like the TTL guard on AWS nodes: the cluster stops itself even if the CLI dies.
    localNode(this, "ttl_guard", `${nodesDir}/ttl-guard`, "start-ttl-guard.sh", {
      NODES_DIR: nodesDir,
      TTL_SECONDS: String(props.ttlMinutes * 60),
    });
    this.resourceCount = 4 + workerNames.length;
    this.outputs = {
      masterHost: "127.0.0.1",
      sshPort: props.sshd.port,
      sshUser: props.sshUser,
      hostKey: props.sshd.hostPublicKey,
      sparkMasterUrl: `spark://127.0.0.1:${props.masterPort}`,
      uiUrl: `http://127.0.0.1:${props.masterUiPort}`,
      workDir,
      sparkHome: props.sparkHome,
      nodeIds: ["master", ...workerNames],
    };
    for (const [name, value] of Object.entries(this.outputs)) {
      new TerraformOutput(this, name, { value });
    }
    new TerraformOutput(this, "s3Endpoint", { value: s3Endpoint });
    new TerraformOutput(this, "runId", { value: props.runId });
  }
}

function classPathConf(jars: readonly string[]): Record<string, string> {
  if (jars.length === 0) return {};
  const classPath = jars.join(":");
  return { "spark.driver.extraClassPath": classPath, "spark.executor.extraClassPath": classPath };
}

/** One local node: started on create, every process it started stopped on destroy. */
function localNode(
  scope: Construct,
  id: string,
  nodeDir: string,
  startScript: string,
  environment: Record<string, string>,
  stopEnvironment: Record<string, string> = {},
): DataResource {
  return new DataResource(scope, id, {
    input: { nodeDir },
    provisioners: [
      {
        type: "local-exec",
        command: literal(`bash ${scriptsDir}${startScript}`),
        environment: literalValues({ ...environment, NODE_DIR: nodeDir }),
      },
      {
        type: "local-exec",
        when: "destroy",
        command: literal(`bash ${scriptsDir}stop-node.sh`),
        environment: literalValues({ ...stopEnvironment, NODE_DIR: nodeDir }),
      },
    ],
  });
}

/** Terraform reads "${" and "%{" in JSON strings as templates; these values are literal text. */
function literal(value: string): string {
  // Replacer functions: in a replacement *string*, "$$" would mean a single "$".
  return value.replaceAll("${", () => "$${").replaceAll("%{", () => "%%{");
}

function literalValues(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, literal(value)]));
}
