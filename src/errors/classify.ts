import { TpError } from './tp-error.js';

const TRANSIENT_NET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

function findCode(err: unknown, depth = 0): string | undefined {
  if (depth > 4 || typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && TRANSIENT_NET_CODES.has(code)) return code;
  return findCode((err as { cause?: unknown }).cause, depth + 1);
}

function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as {
    status?: unknown;
    status_code?: unknown;
    statusCode?: unknown;
    response?: { status?: unknown };
  };
  for (const v of [e.status_code, e.status, e.statusCode, e.response?.status]) {
    if (typeof v === 'number') return v;
  }
  return undefined;
}

/** Classify an HTTP status from any upstream (Ollama, a forge) into a code and retryability. */
export function classifyStatus(status: number, message: string, cause?: unknown): TpError {
  if (status === 429)
    return new TpError(message, { code: 'RATE_LIMITED', retryable: true, cause, details: { status } });
  if (status === 408)
    return new TpError(message, { code: 'TIMEOUT', retryable: true, cause, details: { status } });
  if (status >= 500)
    return new TpError(message, { code: 'SERVER_ERROR', retryable: true, cause, details: { status } });
  if (status === 401 || status === 403)
    return new TpError(message, {
      code: 'FORGE_AUTH',
      retryable: false,
      cause,
      details: { status },
      hint: 'Check that the token is valid and has the scopes this operation needs.',
    });
  if (status === 404)
    return new TpError(message, { code: 'FORGE_NOT_FOUND', retryable: false, cause, details: { status } });
  if (status === 409 || status === 422)
    return new TpError(message, { code: 'FORGE_CONFLICT', retryable: false, cause, details: { status } });
  return new TpError(message, { code: 'MODEL_BAD_REQUEST', retryable: false, cause, details: { status } });
}

/**
 * The one place where foreign errors become `TpError`s. Already-typed errors pass through;
 * network failures, timeouts, aborts and HTTP statuses are recognised; anything else is an
 * internal, non-retryable error (a bug to report, not a condition to retry).
 */
export function classify(err: unknown): TpError {
  if (TpError.isInstance(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')) {
    return err.name === 'TimeoutError'
      ? new TpError(message, { code: 'TIMEOUT', retryable: true, cause: err })
      : new TpError(message, { code: 'ABORTED', retryable: true, cause: err });
  }
  const net = findCode(err);
  if (net) {
    return new TpError(message, {
      code: net.includes('TIMEOUT') || net === 'ETIMEDOUT' ? 'TIMEOUT' : 'NETWORK',
      retryable: true,
      cause: err,
      details: { errno: net },
    });
  }
  const status = statusOf(err);
  if (status !== undefined) return classifyStatus(status, message, err);
  if (/fetch failed|socket hang up|network/i.test(message)) {
    return new TpError(message, { code: 'NETWORK', retryable: true, cause: err });
  }
  return new TpError(message, { code: 'INTERNAL', retryable: false, cause: err });
}
