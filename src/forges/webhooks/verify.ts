import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { header, type WebhookHeaders } from './headers.js';

/** Why a webhook was refused; the reason goes to the log, never the secret or the signature. */
export type SignatureFailure = 'no-secret' | 'missing-signature' | 'malformed-signature' | 'bad-signature';

/** The outcome of one webhook signature check (not to be confused with the verify commands of a run). */
export type SignatureCheck = { ok: true } | { ok: false; reason: SignatureFailure };

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

function hmacSha256(secret: string, raw: Buffer): Buffer {
  return createHmac('sha256', secret).update(raw).digest();
}

/**
 * Compares a hex signature with the HMAC of the raw bytes. The format is checked first so
 * `timingSafeEqual` always gets two 32-byte buffers (it throws on unequal lengths, and a
 * length difference must not become an early, timing-visible exit anyway).
 */
function checkHex(signatureHex: string, expected: Buffer): SignatureCheck {
  if (!HEX_SHA256.test(signatureHex)) return { ok: false, reason: 'malformed-signature' };
  const given = Buffer.from(signatureHex, 'hex');
  if (given.length !== expected.length) return { ok: false, reason: 'malformed-signature' };
  return timingSafeEqual(given, expected) ? { ok: true } : { ok: false, reason: 'bad-signature' };
}

/**
 * Gitea / Forgejo: `X-Gitea-Signature` or `X-Forgejo-Signature`, the hex HMAC-SHA256 of the
 * request body exactly as received. Pass the raw bytes: a signature over re-serialised JSON
 * differs whenever whitespace or key order does.
 */
export function verifyGitea(
  raw: Buffer,
  headers: WebhookHeaders,
  secret: string | undefined,
): SignatureCheck {
  if (!secret) return { ok: false, reason: 'no-secret' };
  const signature = header(headers, 'x-gitea-signature') ?? header(headers, 'x-forgejo-signature');
  if (signature === undefined || signature === '') return { ok: false, reason: 'missing-signature' };
  return checkHex(signature.trim(), hmacSha256(secret, raw));
}

/** GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`. */
export function verifyGithub(
  raw: Buffer,
  headers: WebhookHeaders,
  secret: string | undefined,
): SignatureCheck {
  if (!secret) return { ok: false, reason: 'no-secret' };
  const signature = header(headers, 'x-hub-signature-256');
  if (signature === undefined || signature === '') return { ok: false, reason: 'missing-signature' };
  const trimmed = signature.trim();
  if (!trimmed.startsWith('sha256=')) return { ok: false, reason: 'malformed-signature' };
  return checkHex(trimmed.slice('sha256='.length), hmacSha256(secret, raw));
}

/**
 * GitLab sends the shared secret itself in `X-Gitlab-Token` (no body signature exists). Both
 * sides are hashed before the comparison so it is constant-time whatever the token length.
 * The body is not covered by this check; that is GitLab's design, not ours to fix.
 */
export function verifyGitlab(
  _raw: Buffer,
  headers: WebhookHeaders,
  secret: string | undefined,
): SignatureCheck {
  if (!secret) return { ok: false, reason: 'no-secret' };
  const token = header(headers, 'x-gitlab-token');
  if (token === undefined || token === '') return { ok: false, reason: 'missing-signature' };
  const a = createHash('sha256').update(token, 'utf8').digest();
  const b = createHash('sha256').update(secret, 'utf8').digest();
  return timingSafeEqual(a, b) ? { ok: true } : { ok: false, reason: 'bad-signature' };
}

/** Hex HMAC-SHA256 as Gitea sends it; for tests, fakes and clients that sign requests. */
export function signGitea(raw: Buffer | string, secret: string): string {
  return createHmac('sha256', secret).update(raw).digest('hex');
}

/** `sha256=…` as GitHub sends it in `X-Hub-Signature-256`. */
export function signGithub(raw: Buffer | string, secret: string): string {
  return `sha256=${signGitea(raw, secret)}`;
}
