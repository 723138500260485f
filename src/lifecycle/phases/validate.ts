import { resolveCode } from "../../job/code.ts";
import type { Params } from "../../params/types.ts";
import { loadSpec } from "../../runspec/load.ts";
import { namedBucketsOf } from "../../runspec/named-buckets.ts";
import type { Spec } from "../../runspec/types.ts";
import { resolveWebhook } from "../../runspec/webhook.ts";
import { isSecretKey } from "../../util/redact.ts";
import type { RunScope, ValidatedRun } from "../run-state.ts";

export interface ValidateRequest {
  readonly specPath: string;
  readonly target?: Spec["target"];
  readonly environment?: string;
  readonly block?: string;
}

/** validate: the spec with its defaults from the parameters, the code's commit, the run's secrets. */
export async function validate(scope: RunScope, request: ValidateRequest, params: Params): Promise<ValidatedRun> {
  const spec = await loadSpec(request.specPath, {
    defaults: params.defaults,
    overrides: request.target ? { target: request.target } : undefined,
    environment: request.environment,
    block: request.block,
    namedBuckets: namedBucketsOf(params),
  });
  for (const warning of spec.warnings) scope.sink({ type: "warning", message: warning });
  for (const note of spec.notes ?? []) scope.sink({ type: "info", message: note });
  const allSteps = [...spec.steps, ...(spec.onError ? [spec.onError] : [])];
  const code = await resolveCode(
    spec.code,
    allSteps.map((step) => step.entrypoint),
    spec.source.dir,
  );
  const webhook = spec.notify ? resolveWebhook(spec.notify, process.env) : params.notifyWebhook || undefined;
  if (webhook) scope.secrets.push(webhook);
  for (const step of allSteps) {
    for (const [key, value] of [...Object.entries(step.env), ...Object.entries(step.conf)]) {
      if (isSecretKey(key)) scope.secrets.push(value);
    }
  }
  return { params, spec, code, webhook };
}
