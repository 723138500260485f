import { readFileSync } from "node:fs";

/** The entries of a package list file: one a line, `#` comments and blank lines dropped. */
export function readPackageList(file: URL): string[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .map((line) => line.replace(/#.*/, "").trim())
    .filter((line) => line !== "");
}

/** Requirement specifiers every node's PYSPARK_PYTHON gets (python-packages.txt). */
export function pythonPackages(): string[] {
  return readPackageList(new URL("./python-packages.txt", import.meta.url));
}
