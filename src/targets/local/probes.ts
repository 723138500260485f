// Java and Python as the local target finds them on the machine: Spark's daemons need a Java, the
// cached pyspark install needs a python3 with the venv module, and a Spark burst did not install
// gets the Python next to it for PYSPARK_PYTHON.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { infraError } from "../../errors.ts";
import type { Log } from "../../install/command.ts";
import { run, which } from "../../util/exec.ts";

/** The python of the environment a pip-installed pyspark (SPARK_HOME) lives in. */
export function pythonNextTo(sparkHome: string): string | undefined {
  // <prefix>/lib/pythonX.Y/site-packages/pyspark -> <prefix>/bin/pythonX.Y
  const m = /^(.*)\/lib\/(python\d+\.\d+)\/site-packages\/pyspark$/.exec(sparkHome);
  if (!m) return undefined;
  for (const name of [m[2] ?? "", "python3", "python"]) {
    const p = join(m[1] ?? "", "bin", name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

export function pythonHint(): string {
  return "apt-get install -y python3 python3-venv (or set BURST_PYTHON to a python3 with the venv module)";
}

/** A python3 (BURST_PYTHON first) that can create venvs, with its version. */
export async function findPython(log: Log): Promise<{ python: string; version: string }> {
  const candidates = [process.env.BURST_PYTHON, "python3", "python"].filter((c): c is string => Boolean(c));
  for (const c of candidates) {
    const p = which(c);
    if (!p) continue;
    const r = await run(p, ["-c", "import sys, venv; print('%d.%d.%d' % sys.version_info[:3])"], {
      timeoutMs: 30_000,
    }).catch(() => undefined);
    if (r?.code === 0) return { python: p, version: r.stdout.trim() };
    log(`python: ${p} cannot create venvs (${(r?.stderr ?? "").trim().split("\n").pop() ?? "failed"})`);
  }
  throw infraError("no usable python3 (with the venv module) to install pyspark", { hint: pythonHint() });
}

/** JAVA_HOME/bin/java, else java on PATH: Spark's daemons need one. */
export async function checkJava(): Promise<string> {
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, "bin", "java") : which("java");
  if (!java || !existsSync(java)) {
    throw infraError("Java is needed to run Spark and was not found", {
      hint: "apt-get install -y openjdk-17-jre-headless",
    });
  }
  return java;
}
