// The resolved spec as YAML, for `burst validate` and --dry-run: what will actually run, in the
// native form (a legacy file shows its translation), secrets hidden.

import { stringify } from "yaml";
import { isSecretKey, REDACTED, redactUrl } from "../util/redact.ts";
import { SINGLE_JOB_STEP } from "./schema.ts";
import type { JobSpec, Spec, StepSpec } from "./types.ts";
import { redactWebhook } from "./webhook.ts";

const redactMap = (map: Readonly<Record<string, string>>): Record<string, string> =>
  Object.fromEntries(Object.entries(map).map(([key, value]) => [key, isSecretKey(key) ? REDACTED : redactUrl(value)]));

const redactJob = <J extends JobSpec>(job: J): J => ({
  ...job,
  args: job.args.map(redactUrl),
  conf: redactMap(job.conf),
  env: redactMap(job.env),
});

/** A spec written with job: resolves to one step named "job" without retries; show it as it was written. */
const isSingleJob = (steps: readonly StepSpec[]): boolean =>
  steps.length === 1 && steps[0]?.name === SINGLE_JOB_STEP && steps[0].retries === 0;

function header(spec: Spec): string {
  const { source } = spec;
  const lines = [`# resolved from ${source.file} (sha256 ${source.sha256.slice(0, 12)})`];
  if (source.legacyBlock !== undefined) lines.push(`# translated from legacy block "${source.legacyBlock}"`);
  if (spec.environment !== undefined) {
    const files = source.overlays?.map((overlay) => ` + ${overlay.file}`).join("") ?? "";
    lines.push(`# environment ${spec.environment}${files}`);
  }
  for (const warning of spec.warnings) lines.push(`# warning: ${warning}`);
  for (const note of spec.notes ?? []) lines.push(`# note: ${note}`);
  return `${lines.join("\n")}\n`;
}

/** YAML of the resolved spec (defaults filled, paths absolute), with credentials redacted. */
export function describeSpec(spec: Spec): string {
  const { source: _source, warnings: _warnings, notes: _notes, job, steps, onError, notify, ...resolved } = spec;
  const { name, target, environment, code, dependencies, ...rest } = resolved;
  const shown = {
    name,
    target,
    ...(environment === undefined ? {} : { environment }),
    code: { ...code, repo: redactUrl(code.repo) },
    ...(isSingleJob(steps) ? { job: redactJob(job) } : { steps: steps.map(redactJob) }),
    ...(onError ? { onError: redactJob(jobPart(onError)) } : {}),
    dependencies,
    ...rest,
    ...(notify ? { notify: { ...notify, webhook: redactWebhook(notify.webhook) } } : {}),
  };
  return header(spec) + stringify(shown, { lineWidth: 0 });
}

/** onError is written like a job: its name and retries are fixed, so they are not shown. */
function jobPart(step: StepSpec): JobSpec {
  const { name: _name, retries: _retries, ...job } = step;
  return job;
}
