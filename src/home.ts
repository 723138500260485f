// Where burst keeps what outlives a run: `${BURST_HOME:-$HOME/.burst}`, with runs/ (one folder per
// run, src/lifecycle/run-record.ts), local/ (the local target's S3 data) and cache/, the real parts
// installed once and shared by every run on the machine:
//
//   spark/<version>/            Spark from the pyspark PyPI package, in a venv (src/targets/local/spark.ts):
//     venv/bin/python             PYSPARK_PYTHON for driver and executors: pyspark, and the node
//                                 runtime's Python packages (numpy, pandas, pyarrow) from
//                                 stacks/shared/node-python/spark-<line>.txt
//     venv/lib/pythonX.Y/site-packages/pyspark   = SPARK_HOME (bin/spark-submit, bin/spark-class, jars/)
//       jars/hadoop-aws-<hadoop>.jar + the AWS SDK bundle its POM names (hard links into maven/)
//       jars/spark-hadoop-cloud_<scala>-<version>.jar: the S3A magic committer's Spark binding
//     burst-install.json          what was installed (written last; the whole dir is renamed into place)
//   maven/<standard layout>     jars downloaded from Maven Central, sha1-verified (src/install/maven.ts)
//   bin/versitygw               S3 API server (posix backend), `go install`ed at a pinned version
//   bin/tofu                    OpenTofu, when no terraform/tofu is on PATH (src/terraform/binary.ts)
//   terraform/                  the AWS provider's mirror record and plugin cache (src/terraform/provider-installation.ts)
//   pydeps/                     job Python dependency sets reused across local runs
//
// Installs run under a per-component lock and land with one rename (src/install/lock.ts), so a
// killed install leaves nothing half-written and concurrent bursts install once.

import { homedir } from "node:os";
import { join } from "node:path";

export function burstHome(): string {
  return process.env.BURST_HOME || join(homedir(), ".burst");
}

export function cacheRoot(): string {
  return join(burstHome(), "cache");
}
