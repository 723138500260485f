// @ts-check
// Compiles the CLI ahead of time: every .ts file under src/ and stacks/ and the entry scripts
// become .js files under dist/ (relative `.ts` specifiers rewritten to `.js`), so node runs them
// with no TypeScript loader. Type checking stays with `npm run lint`; this only strips types, one
// file at a time (tsconfig.json keeps `isolatedModules` so that is always valid).
//
//   node scripts/build.mjs          build when a source is newer than dist/ (npm run build)
//   node scripts/build.mjs --force  always build
//
// Shell scripts and other assets next to the sources are symlinked into dist/, as are config/ and
// package.json, so paths computed from import.meta.url resolve the same from dist/ as from the
// sources. dist/.built's mtime is the start of the last build; scripts/run.mjs rebuilds first when
// any source is newer.

import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../", import.meta.url));
export const distDir = join(repoRoot, "dist");
const stamp = join(distDir, ".built");

/** The command-line entry points (scripts/<name>.ts), each run as `node scripts/run.mjs <name>`. */
export const entries = ["burst", "config-push", "config-show", "vpc"];
/** Folders compiled whole; their other files are linked. */
const sourceDirs = ["src", "stacks"];
/** Files whose change means dist/ must be rebuilt, besides the folders above. */
const buildInputs = [...entries.map((name) => `scripts/${name}.ts`), "tsconfig.json", "scripts/build.mjs"];

/** Every file and folder under the source folders, relative to the repository root. */
function sourceTree() {
  /** @type {{ path: string, isFile: boolean }[]} */
  const found = [];
  for (const dir of sourceDirs) {
    found.push({ path: dir, isFile: false });
    for (const entry of readdirSync(join(repoRoot, dir), { recursive: true, withFileTypes: true })) {
      found.push({ path: relative(repoRoot, join(entry.parentPath, entry.name)), isFile: entry.isFile() });
    }
  }
  return found;
}

/** Why dist/ must be rebuilt (a path newer than the last build), or undefined when it is fresh. */
export function staleReason() {
  let built;
  try {
    built = statSync(stamp).mtimeMs;
  } catch {
    return "dist/ has not been built";
  }
  // Folders count too: adding, removing or renaming a file changes its folder's mtime.
  const paths = [...sourceTree().map((entry) => entry.path), ...buildInputs];
  for (const path of paths) {
    if (statSync(join(repoRoot, path)).mtimeMs > built) return `${path} changed since the last build`;
  }
  return undefined;
}

/**
 * Transpiles into a fresh folder, then swaps it in, so a concurrent run never sees half a build.
 * @param {(line: string) => void} [log]
 */
export async function build(log = (line) => void process.stderr.write(`${line}\n`)) {
  const started = Date.now();
  const ts = (await import("typescript")).default;
  const { config, error } = ts.readConfigFile(join(repoRoot, "tsconfig.json"), ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, "\n"));
  const { options } = ts.convertCompilerOptionsFromJson(config.compilerOptions, repoRoot);
  const compilerOptions = {
    ...options,
    noEmit: false,
    // transpileModule cannot see package.json's "type": emit ES modules outright.
    module: ts.ModuleKind.ESNext,
    rewriteRelativeImportExtensions: true,
    sourceMap: false,
    declaration: false,
  };

  const scratch = join(repoRoot, `.dist-build-${process.pid}`);
  rmSync(scratch, { recursive: true, force: true });
  try {
    const files = sourceTree()
      .filter((entry) => entry.isFile)
      .map((entry) => entry.path);
    let compiled = 0;
    for (const path of [...files, ...entries.map((name) => `scripts/${name}.ts`)]) {
      const out = join(scratch, path.endsWith(".ts") ? path.replace(/\.ts$/, ".js") : path);
      mkdirSync(dirname(out), { recursive: true });
      if (!path.endsWith(".ts")) {
        symlinkSync(relative(dirname(out), join(scratch, "..", path)), out);
        continue;
      }
      const result = ts.transpileModule(readFileSync(join(repoRoot, path), "utf8"), {
        compilerOptions,
        fileName: path,
      });
      writeFileSync(out, result.outputText);
      compiled++;
    }
    symlinkSync("../config", join(scratch, "config"));
    symlinkSync("../package.json", join(scratch, "package.json"));
    writeFileSync(join(scratch, ".built"), "");
    // The build's start, not its end: a source saved during the build still counts as newer.
    utimesSync(join(scratch, ".built"), started / 1000, started / 1000);

    const previous = `${distDir}.old-${process.pid}`;
    if (existsSync(distDir)) renameSync(distDir, previous);
    renameSync(scratch, distDir);
    rmSync(previous, { recursive: true, force: true });
    log(`${compiled} files compiled into dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Builds when dist/ is stale (or always, with force), one process at a time: one that waited for
 * another's build finds dist/ fresh and returns. Resolves to whether this process compiled.
 * @param {{ force?: boolean, log: (line: string) => void }} options
 */
export async function buildIfStale({ force = false, log }) {
  if (!force && staleReason() === undefined) return false;
  const lock = join(repoRoot, ".dist-lock");
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if (/** @type {NodeJS.ErrnoException} */ (error).code !== "EEXIST") throw error;
      // A builder that died leaves its lock behind; no build takes minutes.
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 120_000) rmSync(lock, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    const reason = force ? "--force" : staleReason();
    if (reason === undefined) return false;
    log(`${reason}; compiling`);
    await build(log);
    return true;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const log = (/** @type {string} */ line) => void process.stderr.write(`build: ${line}\n`);
  if (!(await buildIfStale({ force: process.argv.includes("--force"), log }))) log("dist/ is up to date");
}
