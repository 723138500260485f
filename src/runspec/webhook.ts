// notify.webhook: an https URL, or a ${NAME} reference to an environment variable holding one.
// The URL is a secret (whoever has it can post to the channel), so no message ever echoes it.

import { badInput } from "../errors.ts";
import { REDACTED } from "../util/redact.ts";
import type { Check } from "./decoder.ts";
import type { NotifySpec } from "./types.ts";

const ENV_REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** The variable a ${NAME} webhook names, or undefined for a literal URL. */
export const webhookVariable = (webhook: string): string | undefined => ENV_REFERENCE.exec(webhook)?.[1];

/** Why `value` is not a usable webhook URL; `found` never repeats the URL's secret parts. */
function urlProblem(value: string): { expected: string; found: string; hint?: string } | undefined {
  const expected = "an https URL or a ${NAME} environment variable reference";
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    const hint = /^\$/.test(value)
      ? "write an environment variable reference as ${NAME}, e.g. ${SLACK_WEBHOOK}"
      : "e.g. webhook: ${SLACK_WEBHOOK}, with the URL in that environment variable";
    return { expected, found: "text that is not a URL", hint };
  }
  if (url.protocol === "https:") return undefined;
  if (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  const found = `${JSON.stringify(`${url.protocol}//${url.host}/${REDACTED}`)} (the rest is hidden: it is a secret)`;
  const hint =
    url.protocol === "http:"
      ? "use https: the URL is a secret and plain http exposes it (http is allowed only to 127.0.0.1 or localhost)"
      : undefined;
  return { expected, found, hint };
}

export const webhookUrl: Check<string> = {
  doc: "https://..., http://127.0.0.1:<port>/... or http://localhost:<port>/... (for tests), or ${NAME}: the URL is read from environment variable NAME when the run notifies",
  test: (value) => (webhookVariable(value) ? undefined : urlProblem(value)),
};

/** How describeSpec shows a webhook: a ${NAME} reference as written, a URL as its origin only. */
export function redactWebhook(webhook: string): string {
  if (webhookVariable(webhook)) return webhook;
  try {
    return `${new URL(webhook).origin}/${REDACTED}`;
  } catch {
    return REDACTED;
  }
}

/**
 * The URL to post to: a literal URL as is, a ${NAME} reference read from `env`.
 * Throws bad-input when the variable is unset or does not hold a usable URL, so a run can
 * fail before it rents a cluster rather than after the job.
 */
export function resolveWebhook(notify: NotifySpec, env: NodeJS.ProcessEnv = process.env): string {
  const name = webhookVariable(notify.webhook);
  if (!name) return notify.webhook;
  const value = env[name]?.trim();
  if (!value) {
    throw badInput(`notify.webhook: environment variable ${name} is not set`, {
      keyPath: "notify.webhook",
      hint: `export ${name}=https://... (the webhook URL), or remove notify from the spec`,
    });
  }
  const problem = urlProblem(value);
  if (problem) {
    throw badInput(
      `notify.webhook: expected ${name} to hold ${problem.expected.split(" or ")[0]}, found ${problem.found}`,
      {
        keyPath: "notify.webhook",
        hint: problem.hint,
      },
    );
  }
  return value;
}
