import { fileURLToPath } from "node:url";
import { readRequirements, sparkLine } from "../spark-versions.ts";

/** The entries of a package list file (one a line; comments and blank lines dropped, as pip reads them). */
export function readPackageList(file: URL): string[] {
  return readRequirements(fileURLToPath(file));
}

/**
 * Requirement specifiers every node's PYSPARK_PYTHON gets: python-packages.txt, plus the Spark
 * line's own list (numpy, pandas, pyarrow: ../node-python/spark-<line>.txt, which the local
 * runtime installs too).
 */
export function pythonPackages(sparkVersion: string): string[] {
  const line = sparkLine(sparkVersion);
  return [
    ...readPackageList(new URL("./python-packages.txt", import.meta.url)),
    ...(line ? readRequirements(line.pythonRequirementsFile) : []),
  ];
}
