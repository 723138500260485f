// Cross-process lock and atomic install for the burst cache, so two bursts started at
// once install a component once, and a killed install never leaves a half-written cache entry.
//
// The lock is a directory created with mkdir (atomic on every local filesystem) holding an
// `owner` file with the holder's pid and host. A lock whose holder is dead (same host, pid gone)
// or whose owner file never appeared within `staleMs` is broken and taken over.

import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { basename, dirname, join } from "node:path";
import { infraError } from "../errors.ts";

export interface LockOptions {
  /** What is being installed, for the "waiting" message. */
  readonly what: string;
  readonly log?: (line: string) => void;
  /** Give up waiting after this long. Default 30 minutes (a cold Spark install takes a few). */
  readonly timeoutMs?: number;
  /** An owner-less lock older than this is stale. Default 60 s. */
  readonly staleMs?: number;
  readonly pollMs?: number;
}

interface Owner {
  pid: number;
  host: string;
  since: string;
}

/** Whether a process with this pid exists (one we may not signal counts). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function readOwner(lockDir: string): Promise<Owner | undefined> {
  try {
    return JSON.parse(await readFile(join(lockDir, "owner"), "utf8")) as Owner;
  } catch {
    return undefined;
  }
}

async function isStale(lockDir: string, staleMs: number): Promise<{ stale: boolean; owner?: Owner }> {
  const owner = await readOwner(lockDir);
  if (owner) {
    if (owner.host === hostname() && !processAlive(owner.pid)) return { stale: true, owner };
    return { stale: false, owner };
  }
  try {
    const age = Date.now() - (await stat(lockDir)).mtimeMs;
    return { stale: age > staleMs };
  } catch {
    return { stale: false }; // vanished: retry mkdir at once
  }
}

/** Run `fn` while holding the lock at `lockDir` (a directory path, e.g. `<dir>.lock`). */
export async function withLock<T>(lockDir: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30 * 60_000;
  const staleMs = options.staleMs ?? 60_000;
  const pollMs = options.pollMs ?? 500;
  const began = Date.now();
  let told = false;
  await mkdir(dirname(lockDir), { recursive: true });
  for (;;) {
    try {
      await mkdir(lockDir);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const { stale, owner } = await isStale(lockDir, staleMs);
    if (stale) {
      // Move it aside first: only one waiter's rename succeeds, the others see ENOENT and retry.
      const aside = `${lockDir}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
      try {
        await rename(lockDir, aside);
        options.log?.(`${options.what}: broke a stale lock${owner ? ` left by pid ${owner.pid}` : ""}`);
        await rm(aside, { recursive: true, force: true });
      } catch {
        // someone else broke it
      }
      continue;
    }
    if (!told) {
      options.log?.(
        `${options.what}: another burst${owner ? ` (pid ${owner.pid})` : ""} is installing it; waiting (lock ${lockDir})`,
      );
      told = true;
    }
    if (Date.now() - began > timeoutMs) {
      throw infraError(
        `${options.what}: timed out after ${Math.round(timeoutMs / 1000)} s waiting for lock ${lockDir}`,
        {
          hint: `if no other burst is running, remove it: rm -rf ${lockDir}`,
        },
      );
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  const owner: Owner = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
  };
  await writeFile(join(lockDir, "owner"), JSON.stringify(owner));
  try {
    return await fn();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}

/** A fresh temporary directory next to `finalDir` (same filesystem, so the final rename is atomic). */
export async function tempSibling(finalDir: string): Promise<string> {
  const dir = join(dirname(finalDir), `.tmp-${basename(finalDir)}-${process.pid}-${randomBytes(4).toString("hex")}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** Remove `.tmp-*` leftovers of installs whose process is dead. Call while holding the lock. */
export async function sweepTempSiblings(finalDir: string): Promise<void> {
  const parent = dirname(finalDir);
  const prefix = `.tmp-${basename(finalDir)}-`;
  let names: string[];
  try {
    names = await readdir(parent);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split("-")[0]);
    if (Number.isInteger(pid) && pid !== process.pid && processAlive(pid)) continue;
    await rm(join(parent, name), { recursive: true, force: true });
  }
}

/** Replace `finalPath` by `tempPath` (a file or a directory) with one rename. */
export async function commitInstall(tempPath: string, finalPath: string): Promise<void> {
  if (existsSync(finalPath)) await rm(finalPath, { recursive: true, force: true });
  await rename(tempPath, finalPath);
}
