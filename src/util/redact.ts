// Redaction helpers shared by every module that prints user-supplied values (spec, logs, manifests).

export const REDACTED = "***";

const SECRET_KEY = /secret|password|passwd|token|key|credential/i;

// scheme://userinfo@ — userinfo stops at the first "/", whitespace or "@".
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^/\s@]+)@/gi;

/** True when a config/env key names something that should never be printed (token, password, ...). */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/**
 * Hides credentials embedded in URLs: https://user:token@host -> https://***@host.
 * Works on a single URL or on any text containing URLs. A bare user name on ssh
 * (ssh://git@host) is not a secret and is kept; on http(s) a lone user part is often a token.
 */
export function redactUrl(text: string): string {
  return text.replace(URL_USERINFO, (match, scheme: string, userinfo: string) => {
    const isHttp = /^https?:\/\/$/i.test(scheme);
    return isHttp || userinfo.includes(":") ? `${scheme}${REDACTED}@` : match;
  });
}

/**
 * Replaces every occurrence of each secret with "***", then hides URL credentials.
 * Longest secrets first, so a secret that contains another is hidden whole.
 */
export function redactText(text: string, secrets: readonly string[]): string {
  const ordered = [...new Set(secrets)].filter((secret) => secret.length > 0).sort((a, b) => b.length - a.length);
  let redacted = text;
  for (const secret of ordered) redacted = redacted.split(secret).join(REDACTED);
  return redactUrl(redacted);
}
