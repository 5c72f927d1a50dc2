/**
 * The shapes of likely secrets, shared by the secret scan (which blocks a change holding one)
 * and the logger (which never writes one to a file, even at debug level).
 */
export interface SecretRule {
  id: string;
  /** Tests one line of added text. */
  re: RegExp;
}

/** Formats with a recognisable shape. */
export const FORMAT_RULES: readonly SecretRule[] = [
  { id: 'AWS access key id', re: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { id: 'GitHub token', re: /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,}\b|\bgithub_pat_[A-Za-z0-9_]{40,}\b/ },
  { id: 'GitLab token', re: /\bglpat-[A-Za-z0-9_-]{20,}\b/ },
  { id: 'Slack token', re: /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/ },
  { id: 'OpenAI-style API key', re: /\bsk-[A-Za-z0-9_-]{32,}\b/ },
  { id: 'Google API key', re: /\bAIza[0-9A-Za-z_-]{35}\b/ },
  { id: 'private key', re: /-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP )?PRIVATE KEY( BLOCK)?-----/ },
];

/** Generic assignments of long literal values to names that say "secret". */
export const CREDENTIAL_RULE: SecretRule = {
  id: 'hard-coded credential',
  re: /\b(?:api[_-]?key|secret|token|passw(?:or)?d|client[_-]?secret)\b["']?\s*[:=]\s*["'][^"'\s$<>{}]{16,}["']/i,
};

/** Every rule of the scan, in the order findings are reported. */
export const SECRET_RULES: readonly SecretRule[] = [...FORMAT_RULES, CREDENTIAL_RULE];

/**
 * Global versions of the format rules for redaction. The leading word boundary is dropped:
 * in a serialised log line a token often follows an escape (`\nAKIA…`), where `\b` does not
 * hold; redacting a few characters too many is harmless.
 */
const FORMAT_REDACTIONS: readonly RegExp[] = FORMAT_RULES.filter((r) => r.id !== 'private key').map(
  (r) => new RegExp(r.re.source.replace(/(^|\|)\\b/g, '$1'), `${r.re.flags}g`),
);

/** A private key block up to its END line, or to the end of the JSON string or line that holds it. */
const PRIVATE_KEY_BLOCK =
  /-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY( BLOCK)?-----(?:[^"\n]*?-----END (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY( BLOCK)?-----|[^"\n]*)/g;

/** The credential rule, tolerant of JSON-escaped quotes (`\"password\":\"…\"`); only the value is replaced. */
const CREDENTIAL_REDACTION =
  /\b(api[_-]?key|secret|token|passw(?:or)?d|client[_-]?secret)\b(\\?["']?\s*[:=]\s*\\?["'])[^"'\s$<>{}\\]{16,}(\\?["'])/gi;

/**
 * Replaces every value in `text` that the secret scan would block (known token formats,
 * private key blocks, literal credential assignments) with `***`. Meant for whole serialised
 * log lines: the result stays valid JSON when the input was.
 */
export function redactLikelySecrets(text: string): string {
  let out = text.replace(PRIVATE_KEY_BLOCK, '***');
  for (const re of FORMAT_REDACTIONS) out = out.replace(re, '***');
  return out.replace(CREDENTIAL_REDACTION, '$1$2***$3');
}
