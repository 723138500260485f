// The resolved spec as YAML, for `burst validate`: what will actually run, secrets hidden.

import { stringify } from "yaml";
import { isSecretKey, REDACTED, redactUrl } from "../util/redact.ts";
import type { Spec } from "./types.ts";

const redactMap = (map: Readonly<Record<string, string>>): Record<string, string> =>
  Object.fromEntries(Object.entries(map).map(([key, value]) => [key, isSecretKey(key) ? REDACTED : redactUrl(value)]));

/** YAML of the resolved spec (defaults filled, paths absolute), with credentials redacted. */
export function describeSpec(spec: Spec): string {
  const { source, ...resolved } = spec;
  const shown = {
    ...resolved,
    code: { ...resolved.code, repo: redactUrl(resolved.code.repo) },
    job: {
      ...resolved.job,
      args: resolved.job.args.map(redactUrl),
      conf: redactMap(resolved.job.conf),
      env: redactMap(resolved.job.env),
    },
  };
  const header = `# resolved from ${source.file} (sha256 ${source.sha256.slice(0, 12)})\n`;
  return header + stringify(shown, { lineWidth: 0 });
}
