// What config/*.yml asks Consul to hold: every key known to burst, every value valid for its
// key, in canonical form (lists as compact JSON), so a push never publishes a broken parameter.

import { type BurstError, badInput } from "../errors.ts";
import type { FileStore } from "./file-store.ts";
import { unknownKeyError } from "./push.ts";
import { leafForKey } from "./schema.ts";

export async function desiredFromFiles(files: FileStore): Promise<Map<string, string>> {
  const desired = new Map<string, string>();
  const problems: BurstError[] = [];
  for (const entry of await files.entries()) {
    const leaf = leafForKey(entry.key);
    if (!leaf) {
      problems.push(unknownKeyError(entry.key, files.description, entry.location));
      continue;
    }
    if (!leaf.required && entry.value.trim() === "") {
      desired.set(entry.key, "");
      continue;
    }
    const decoded = leaf.codec.decode(entry.value);
    if (decoded.ok) desired.set(entry.key, leaf.codec.encode(decoded.value));
    else
      problems.push(
        badInput(decoded.problem, {
          keyPath: entry.key,
          location: entry.location,
          hint: `fix it in ${files.description}`,
        }),
      );
  }
  const [first, ...rest] = problems;
  if (!first) return desired;
  if (rest.length === 0) throw first;
  throw badInput(
    `${problems.length} problems in ${files.description}:\n${problems.map((problem) => `  ${problem.render()}`).join("\n")}`,
  );
}
