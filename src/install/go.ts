// `go install` of a pinned module version into <cache>/bin, once per machine: the parts burst
// builds itself when they are not on PATH (versitygw for the local target, OpenTofu for every
// target's terraform).

import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { infraError } from "../errors.ts";
import { cacheRoot } from "../home.ts";
import { which } from "../util/exec.ts";
import { heartbeat, type Log, mustRun, seconds } from "./command.ts";
import { commitInstall, sweepTempSiblings, tempSibling, withLock } from "./lock.ts";

/** The module version recorded in a Go binary's build info ("mod\t<module>\t<version>"), without needing go. */
export async function goBinaryModuleVersion(binary: string, module: string): Promise<string | undefined> {
  let buf: Buffer;
  try {
    buf = await readFile(binary);
  } catch {
    return undefined;
  }
  const needle = Buffer.from(`mod\t${module}\t`);
  const at = buf.indexOf(needle);
  if (at === -1) return undefined;
  const start = at + needle.length;
  let end = start;
  while (end < buf.length && end - start < 100 && buf[end] !== 0x09 && buf[end] !== 0x0a) end++;
  return buf.subarray(start, end).toString("utf8");
}

function goHint(pkg: string, version: string, bin: string): string {
  return [
    "install Go 1.21 or newer (https://go.dev/doc/install; Debian: apt-get install -y golang-go, if its version is new enough), then:",
    `GOBIN=${join(cacheRoot(), "bin")} go install ${pkg}@${version}`,
    `(or put a ${bin} binary on PATH)`,
  ].join("\n  ");
}

/** `go install pkg@version` into <cache>/bin, atomically and once; returns the binary path. */
export async function goInstall(pkg: string, module: string, version: string, bin: string, log: Log): Promise<string> {
  const binDir = join(cacheRoot(), "bin");
  const target = join(binDir, bin);
  // A sidecar records what the binary is, so a warm check does not read 80 MB of binary.
  const sidecar = `${target}.burst.json`;
  const ok = async () => {
    if (!existsSync(target)) return false;
    const rec = await readFile(sidecar, "utf8").then(
      (t) => JSON.parse(t) as { module?: string; version?: string },
      () => undefined,
    );
    if (rec) return rec.module === module && rec.version === version;
    const found = await goBinaryModuleVersion(target, module); // built by hand or by an older burst
    if (found === version) await writeFile(sidecar, `${JSON.stringify({ module, version })}\n`).catch(() => {});
    return found === version;
  };
  if (await ok()) return target;
  const go = which("go") ?? (existsSync("/usr/local/go/bin/go") ? "/usr/local/go/bin/go" : undefined);
  if (!go)
    throw infraError(`${bin} ${version} is not installed and go is not available to build it`, {
      hint: goHint(pkg, version, bin),
    });
  await mkdir(binDir, { recursive: true });
  return withLock(join(binDir, `.${bin}.lock`), { what: `${bin} ${version}`, log }, async () => {
    if (await ok()) return target;
    const stage = join(binDir, `.build-${bin}`);
    await sweepTempSiblings(stage);
    const tmp = await tempSibling(stage);
    const began = Date.now();
    log(`${bin}: go install ${pkg}@${version} (first time only; a few minutes)`);
    let modules = 0;
    const stop = heartbeat(log, () => `building ${bin} (${modules} modules downloaded so far)`);
    try {
      await mustRun(go, ["install", `${pkg}@${version}`], {
        what: `go install ${pkg}@${version}`,
        hint: goHint(pkg, version, bin),
        timeoutMs: 30 * 60_000,
        // Static binaries; GOFLAGS cleared so a caller's -mod=vendor etc. cannot break a module install.
        env: {
          GOBIN: tmp,
          CGO_ENABLED: "0",
          GOFLAGS: "-buildvcs=false",
          GO111MODULE: "on",
        },
        onLine: (line) => {
          if (line.startsWith("go: downloading")) modules++;
          else log(`  go: ${line}`);
        },
      });
      const built = join(tmp, bin);
      if (!existsSync(built)) throw infraError(`go install ${pkg}@${version} produced no ${bin} binary`);
      await rm(sidecar, { force: true });
      await commitInstall(built, target);
      await writeFile(
        sidecar,
        `${JSON.stringify({ module, version, builtAt: new Date().toISOString(), buildMs: Date.now() - began })}\n`,
      );
    } finally {
      stop();
      await rm(tmp, { recursive: true, force: true });
    }
    log(`${bin}: built ${version} in ${seconds(Date.now() - began)} (${modules} modules downloaded) -> ${target}`);
    return target;
  });
}
