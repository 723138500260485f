import { existsSync, statSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { badInput, infraError } from "../errors.ts";
import type { CodeSpec } from "../runspec/types.ts";
import { run } from "../util/exec.ts";
import { redactUrl } from "../util/redact.ts";

/** The job's code pinned to one commit, resolved before anything is provisioned. */
export interface ResolvedCode {
  /** The repo as shown to users (credentials redacted). */
  readonly displayRepo: string;
  readonly ref: string;
  readonly sha: string;
  /** A folder on this machine (shipped to the master as a git bundle), or a URL the master clones. */
  readonly source:
    | { readonly kind: "local"; readonly path: string }
    | { readonly kind: "remote"; readonly url: string };
}

const shaPattern = /^[0-9a-f]{40}$/;
const git = (args: string[], cwd?: string) =>
  run("git", args, { cwd, timeoutMs: 60_000, env: { GIT_TERMINAL_PROMPT: "0" } });

/** Local path or file:// URL → absolute folder; anything else is a URL the master clones. */
export function localRepoPath(repo: string, specDir: string): string | undefined {
  if (repo.startsWith("file://")) return fileURLToPath(repo);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^[^/]+@[^/:]+:/.test(repo)) return undefined;
  return isAbsolute(repo) ? repo : resolve(specDir, repo);
}

/**
 * Resolve code.ref to a commit SHA (so a bad ref or a missing entrypoint fails before anything
 * is provisioned, and the SHA can be tagged onto the cluster).
 */
export async function resolveCode(
  code: CodeSpec,
  entrypoints: readonly string[],
  specDir: string,
): Promise<ResolvedCode> {
  const path = localRepoPath(code.repo, specDir);
  const displayRepo = redactUrl(code.repo);
  if (path === undefined) return resolveRemote(code, displayRepo);
  if (!existsSync(path) || !statSync(path).isDirectory()) {
    throw badInput(`repository folder ${path} does not exist`, { keyPath: "code.repo" });
  }
  const verified = await git(["rev-parse", "--verify", "--quiet", `${code.ref}^{commit}`], path);
  if (verified.code !== 0) {
    const isRepo = (await git(["rev-parse", "--git-dir"], path)).code === 0;
    if (!isRepo) throw badInput(`${path} is not a git repository`, { keyPath: "code.repo" });
    throw badInput(`ref "${code.ref}" is not a branch, tag or commit of ${displayRepo}`, {
      keyPath: "code.ref",
      hint: `list them with: git -C ${path} show-ref`,
    });
  }
  const sha = verified.stdout.trim();
  for (const entrypoint of entrypoints) {
    const repoPath = code.subdirectory ? `${code.subdirectory}/${entrypoint}` : entrypoint;
    if ((await git(["cat-file", "-e", `${sha}:${repoPath}`], path)).code !== 0) {
      throw badInput(`${repoPath} does not exist in ${displayRepo} at ${sha.slice(0, 12)} (${code.ref})`, {
        keyPath: "job.entrypoint",
        hint: "entrypoint is relative to code.subdirectory; is the file committed?",
      });
    }
  }
  return { displayRepo, ref: code.ref, sha, source: { kind: "local", path } };
}

async function resolveRemote(code: CodeSpec, displayRepo: string): Promise<ResolvedCode> {
  const source = { kind: "remote", url: code.repo } as const;
  if (shaPattern.test(code.ref)) return { displayRepo, ref: code.ref, sha: code.ref, source };
  const listed = await git(["ls-remote", code.repo, code.ref]);
  if (listed.code !== 0) {
    throw infraError(`could not reach ${displayRepo} (git ls-remote exit ${listed.code})`, {
      hint: "check the URL and your network or credentials",
    });
  }
  const lines = listed.stdout.trim().split("\n").filter(Boolean);
  // Prefer an annotated tag's peeled commit ("^{}") over the tag object itself.
  const peeled = lines.find((line) => line.endsWith("^{}"));
  const sha = (peeled ?? lines[0])?.split(/\s+/)[0];
  if (!sha) {
    throw badInput(`ref "${code.ref}" is not a branch or tag of ${displayRepo}`, { keyPath: "code.ref" });
  }
  return { displayRepo, ref: code.ref, sha, source };
}

/**
 * A git bundle holding the resolved commit, for shipping a local repository to the master.
 * The commit is pushed to a scratch bare repo first: bundles need a ref, and the user's
 * repository must not gain one.
 */
export async function bundleLocalCode(code: ResolvedCode, scratchDir: string): Promise<string> {
  if (code.source.kind !== "local") throw new Error("only local repositories are bundled");
  const bare = join(scratchDir, "code.git");
  const bundle = join(scratchDir, "code.bundle");
  await rm(bare, { recursive: true, force: true });
  await mkdir(scratchDir, { recursive: true });
  const steps: string[][] = [
    ["init", "--quiet", "--bare", bare],
    ["-C", code.source.path, "push", "--quiet", bare, `${code.sha}:refs/heads/burst`],
    ["-C", bare, "bundle", "create", "--quiet", bundle, "refs/heads/burst"],
  ];
  for (const args of steps) {
    const result = await git(args);
    if (result.code !== 0) throw infraError(`could not bundle ${code.displayRepo}: ${result.stderr.trim()}`);
  }
  await rm(bare, { recursive: true, force: true });
  return bundle;
}
