// The job's code, pinned before anything is provisioned: a bad repository, ref or entrypoint is bad
// input (exit 2) that says what to fix; a local repository ships to the master as a git bundle.
// On real git repositories made in a temp folder.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { BurstError } from "../../src/errors.ts";
import { bundleLocalCode, localRepoPath, type ResolvedCode, resolveCode } from "../../src/job/code.ts";
import { run } from "../../src/util/exec.ts";

const git = async (cwd: string, ...args: string[]): Promise<string> =>
  (
    await run("git", ["-c", "user.email=test@burst", "-c", "user.name=burst-test", ...args], { cwd, check: true })
  ).stdout.trim();

async function rejection(promise: Promise<unknown>): Promise<BurstError> {
  return promise.then(
    () => assert.fail("expected a rejection"),
    (error: unknown) => {
      assert.ok(error instanceof BurstError, `not a BurstError: ${String(error)}`);
      return error;
    },
  );
}

describe("localRepoPath", () => {
  test("a relative path is resolved against the spec's folder", () => {
    assert.equal(localRepoPath("../jobs", "/work/specs"), "/work/jobs");
    assert.equal(localRepoPath(".", "/work/specs"), "/work/specs");
  });

  test("an absolute path and a file:// URL are folders on this machine", () => {
    assert.equal(localRepoPath("/srv/repo", "/work"), "/srv/repo");
    assert.equal(localRepoPath("file:///srv/repo", "/work"), "/srv/repo");
  });

  test("https, ssh and scp-like addresses are cloned by the master", () => {
    assert.equal(localRepoPath("https://github.com/acme/jobs.git", "/work"), undefined);
    assert.equal(localRepoPath("ssh://git@github.com/acme/jobs.git", "/work"), undefined);
    assert.equal(localRepoPath("git@github.com:acme/jobs.git", "/work"), undefined);
  });
});

describe("resolveCode on a local repository", () => {
  let dir: string;
  let repo: string;
  let first: string;
  let second: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "burst-code-"));
    repo = join(dir, "jobs");
    await mkdir(join(repo, "etl"), { recursive: true });
    await git(repo, "init", "--quiet", "--initial-branch=main");
    await writeFile(join(repo, "etl", "wordcount.py"), "print('v1')\n");
    await git(repo, "add", ".");
    await git(repo, "commit", "--quiet", "-m", "v1");
    first = await git(repo, "rev-parse", "HEAD");
    await git(repo, "tag", "-a", "v1", "-m", "release 1");
    await writeFile(join(repo, "etl", "report.py"), "print('report')\n");
    await git(repo, "add", ".");
    await git(repo, "commit", "--quiet", "-m", "v2");
    second = await git(repo, "rev-parse", "HEAD");
    await writeFile(join(repo, "etl", "uncommitted.py"), "print('draft')\n");
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const code = (ref: string, subdirectory = "etl") => ({ repo: "jobs", ref, subdirectory });

  test("pins a branch to its commit, the path resolved against the spec's folder", async () => {
    const resolved = await resolveCode(code("main"), ["wordcount.py", "report.py"], dir);
    assert.deepEqual(resolved, {
      displayRepo: "jobs",
      ref: "main",
      sha: second,
      source: { kind: "local", path: repo },
    });
  });

  test("pins an annotated tag to the commit it names, not the tag object", async () => {
    assert.equal((await resolveCode(code("v1"), ["wordcount.py"], dir)).sha, first);
  });

  test("accepts a commit SHA, abbreviated or whole", async () => {
    assert.equal((await resolveCode(code(first.slice(0, 10)), ["wordcount.py"], dir)).sha, first);
    assert.equal((await resolveCode(code(first), ["wordcount.py"], dir)).sha, first);
  });

  test("an unknown ref is bad input on code.ref, with the command that lists the refs", async () => {
    const error = await rejection(resolveCode(code("no-such-branch"), ["wordcount.py"], dir));
    assert.equal(error.exitCode, 2);
    assert.equal(error.keyPath, "code.ref");
    assert.equal(error.message, 'ref "no-such-branch" is not a branch, tag or commit of jobs');
    assert.equal(error.hint, `list them with: git -C ${repo} show-ref`);
  });

  test("an entrypoint missing at that commit is bad input on job.entrypoint, naming the path in the repo", async () => {
    const error = await rejection(resolveCode(code("v1"), ["report.py"], dir));
    assert.equal(error.exitCode, 2);
    assert.equal(error.keyPath, "job.entrypoint");
    assert.equal(error.message, `etl/report.py does not exist in jobs at ${first.slice(0, 12)} (v1)`);
    assert.match(error.hint ?? "", /is the file committed\?/);
  });

  test("a file that exists only in the working tree is not the job's code", async () => {
    const error = await rejection(resolveCode(code("main"), ["uncommitted.py"], dir));
    assert.equal(error.keyPath, "job.entrypoint");
  });

  test("a folder that does not exist, or is no repository, is bad input on code.repo", async () => {
    const missing = await rejection(resolveCode({ repo: "nowhere", ref: "main", subdirectory: "" }, [], dir));
    assert.equal(missing.exitCode, 2);
    assert.equal(missing.keyPath, "code.repo");
    assert.equal(missing.message, `repository folder ${join(dir, "nowhere")} does not exist`);

    const plain = join(dir, "plain");
    await mkdir(plain);
    const notRepo = await rejection(resolveCode({ repo: plain, ref: "main", subdirectory: "" }, [], dir));
    assert.equal(notRepo.keyPath, "code.repo");
    assert.equal(notRepo.message, `${plain} is not a git repository`);
  });

  test("bundles exactly the pinned commit without adding a ref to the user's repository", async () => {
    const resolved: ResolvedCode = await resolveCode(code("v1"), ["wordcount.py"], dir);
    const refsBefore = await git(repo, "show-ref");
    const scratch = join(dir, "scratch");
    const bundle = await bundleLocalCode(resolved, scratch);
    assert.equal(bundle, join(scratch, "code.bundle"));
    assert.equal(await git(repo, "show-ref"), refsBefore);

    const clone = join(dir, "clone");
    await git(dir, "clone", "--quiet", "--branch", "burst", bundle, clone);
    assert.equal(await git(clone, "rev-parse", "HEAD"), first);
    assert.equal(await git(clone, "ls-files"), "etl/wordcount.py");
  });
});

describe("resolveCode on a remote repository", () => {
  test("a full commit SHA is taken as is, with no network call, and credentials never shown", async () => {
    const sha = "0123456789abcdef0123456789abcdef01234567";
    const resolved = await resolveCode(
      { repo: "https://bot:hunter2@git.example.invalid/acme/jobs.git", ref: sha, subdirectory: "" },
      ["job.py"],
      "/work",
    );
    assert.equal(resolved.sha, sha);
    assert.deepEqual(resolved.source, { kind: "remote", url: "https://bot:hunter2@git.example.invalid/acme/jobs.git" });
    assert.doesNotMatch(resolved.displayRepo, /hunter2/);
  });

  test("a branch of a repository that cannot be reached is an infrastructure error (exit 3)", async () => {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    const repo = "http://bot:hunter2@127.0.0.1:1/acme/jobs.git";
    const error = await rejection(resolveCode({ repo, ref: "main", subdirectory: "" }, ["job.py"], "/work"));
    assert.equal(error.exitCode, 3);
    assert.match(
      error.message,
      /^could not reach http:\/\/.*127\.0\.0\.1:1\/acme\/jobs\.git \(git ls-remote exit \d+\)$/,
    );
    assert.doesNotMatch(error.render(), /hunter2/);
    assert.equal(error.hint, "check the URL and your network or credentials");
  });
});
