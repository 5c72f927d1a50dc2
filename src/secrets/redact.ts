/**
 * Redaction of known secret values. Tokens, webhook secrets and passwords must never reach a
 * message, a log line, a prompt or a PR body: every writer of such text passes it through here.
 */

/** Credentials in a URL (`https://user:token@host`): redacted whatever their value. */
const URL_CREDENTIALS = /(https?:\/\/)[^/@\s]+@/g;

/**
 * Replaces every occurrence of each secret value in `text` with `***`, and the user info of
 * every http(s) URL. Empty values are skipped (an unset token must not blank the text).
 */
export function redact(text: string, secrets: string | readonly string[] = []): string {
  let out = text;
  for (const s of typeof secrets === 'string' ? [secrets] : secrets) if (s) out = out.split(s).join('***');
  return out.replace(URL_CREDENTIALS, '$1***@');
}

/**
 * Removes the user info of a URL, for a URL shown on its own (a model host in a log line or
 * an error): the credentials go and so does the `@`, unlike `redact`, which marks the spot.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url.replace(/\/+$/, '');
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/+$/, '');
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//');
  }
}
