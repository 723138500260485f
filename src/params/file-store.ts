// Config files as a parameter store: config/*.yml, the embedded default under Consul and the
// source `npm run config:push` publishes.

import { readdir, readFile } from "node:fs/promises";
import { isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { LineCounter, parseDocument } from "yaml";
import { BurstError, badInput } from "../errors.ts";
import { type FlatEntry, flattenDocument } from "./layout.ts";
import type { ParamStore, StoredParam, StoredParams } from "./store.ts";

/** The config/ folder shipped with burst. */
export const defaultConfigDir = (): string => fileURLToPath(new URL("../../config/", import.meta.url));

export class FileStore implements ParamStore {
  readonly description: string;
  readonly configDir: string;

  constructor(
    configDir: string = defaultConfigDir(),
    private readonly cwd: string = process.cwd(),
  ) {
    this.configDir = resolve(cwd, configDir);
    this.description = `config files in ${displayPath(this.configDir, cwd)}/`;
  }

  /** Files have no prefix: the same keys serve any prefix. */
  async read(_prefix: string): Promise<StoredParams> {
    const params = new Map<string, StoredParam>();
    for (const entry of await this.entries()) {
      const line = entry.location.line === undefined ? "" : `:${entry.location.line}`;
      params.set(entry.key, {
        value: entry.value,
        source: "file",
        where: `${entry.location.file}${line}`,
        location: entry.location,
      });
    }
    return params;
  }

  /** Every key of every *.yml / *.yaml file; a key defined twice is an error naming both places. */
  async entries(): Promise<FlatEntry[]> {
    let names: string[];
    try {
      names = (await readdir(this.configDir)).filter((name) => /\.ya?ml$/.test(name)).sort();
    } catch (cause) {
      throw badInput(`cannot read the config folder ${displayPath(this.configDir, this.cwd)}`, {
        cause,
        hint: "point BURST_CONFIG_DIR (or --config-dir of config:push / config:show) at a folder of *.yml files (defaults.yml, one per target)",
      });
    }
    const byKey = new Map<string, FlatEntry>();
    for (const name of names) {
      for (const entry of await this.readFile(join(this.configDir, name))) {
        const earlier = byKey.get(entry.key);
        if (earlier) {
          throw badInput(`${entry.key} is defined twice (first at ${formatAt(earlier)})`, {
            location: entry.location,
            keyPath: entry.key,
            hint: "keep one definition",
          });
        }
        byKey.set(entry.key, entry);
      }
    }
    return [...byKey.values()];
  }

  private async readFile(path: string): Promise<FlatEntry[]> {
    const file = displayPath(path, this.cwd);
    let source: string;
    try {
      source = await readFile(path, "utf8");
    } catch (cause) {
      throw badInput(`cannot read ${file}`, { cause });
    }
    const lineCounter = new LineCounter();
    const document = parseDocument(source, { lineCounter, prettyErrors: false });
    const first = document.errors[0];
    if (first) {
      const position = lineCounter.linePos(first.pos[0]);
      throw badInput(`invalid YAML: ${first.message.split("\n")[0]}`, {
        location: { file, line: position.line, column: position.col },
        cause: first,
      });
    }
    try {
      return flattenDocument(document.contents, lineCounter, file);
    } catch (error) {
      if (error instanceof BurstError) throw error;
      throw badInput(`cannot read ${file}`, { cause: error });
    }
  }
}

const formatAt = (entry: FlatEntry): string =>
  entry.location.line === undefined ? entry.location.file : `${entry.location.file}:${entry.location.line}`;

/** Paths under the working directory are shown relative to it, as people type them. */
function displayPath(path: string, cwd: string): string {
  const relativePath = relative(cwd, path);
  return relativePath === "" ? "." : relativePath.startsWith("..") || isAbsolute(relativePath) ? path : relativePath;
}
