// What a user is told when an EC2 node fails or is late to boot (the engine's wait-ready shows it).
import type { NodeBootHints } from "../../lifecycle/node-bootstrap.ts";

export const awsBootHints: NodeBootHints = {
  failed: failedBootstrapHint,
  late: "a base image installs Java, pyspark and its Python packages at boot; a baked image (aws/bakedAmi) skips that",
};

/** Where to look next; a download that is missing or not the pinned file points at staging. */
function failedBootstrapHint(logTail: readonly string[]): string {
  const log = "the whole log is /var/lib/burst/bootstrap.log on the node";
  if (logTail.some((line) => line.includes("burst: checksum mismatch for"))) {
    return `the file is not the one stacks/aws/artifacts/ pins (PyPI's SHA-256, or jars.txt's SHA-512): stage it again from PyPI or Maven Central (npm run vpc -- stage); ${log}`;
  }
  if (logTail.some((line) => line.includes("burst: could not download"))) {
    return `with aws/downloads: bucket, stage it first (npm run vpc -- stage); ${log}`;
  }
  return log;
}
