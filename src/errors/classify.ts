import { type ErrorCode, TpError } from './tp-error.js';

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

/** Which kind of upstream answered: it decides the code of a 4xx (a forge's 400 is not a model's). */
export type StatusDomain = 'model' | 'forge';

export interface ClassifyStatusOptions {
  domain: StatusDomain;
  cause?: unknown;
}

type Verdict = { code: ErrorCode; retryable: boolean; hint?: string };

const MODEL_REJECTED: Verdict = {
  code: 'MODEL_BAD_REQUEST',
  retryable: false,
  hint: 'Ollama rejected the request; the model may not support this feature (e.g. tools).',
};

const CLIENT_VERDICTS: Record<
  StatusDomain,
  { auth: Verdict; notFound: Verdict; conflict: Verdict; bad: Verdict }
> = {
  forge: {
    auth: {
      code: 'FORGE_AUTH',
      retryable: false,
      hint: 'Check that the token is valid and has the scopes this operation needs.',
    },
    notFound: { code: 'FORGE_NOT_FOUND', retryable: false },
    conflict: { code: 'FORGE_CONFLICT', retryable: false },
    bad: { code: 'FORGE_BAD_REQUEST', retryable: false },
  },
  model: {
    auth: {
      code: 'MODEL_AUTH',
      retryable: false,
      hint: 'The Ollama host (or a proxy in front of it) refused the credentials; check the host URL.',
    },
    notFound: { code: 'MODEL_NOT_FOUND', retryable: false },
    conflict: MODEL_REJECTED,
    bad: MODEL_REJECTED,
  },
};

function verdictOf(status: number, domain: StatusDomain): Verdict {
  if (status === 429) return { code: 'RATE_LIMITED', retryable: true };
  if (status === 408) return { code: 'TIMEOUT', retryable: true };
  if (status >= 500) return { code: 'SERVER_ERROR', retryable: true };
  const client = CLIENT_VERDICTS[domain];
  if (status === 401 || status === 403) return client.auth;
  if (status === 404) return client.notFound;
  if (status === 409 || status === 422) return client.conflict;
  return client.bad;
}

/**
 * Classify an HTTP status into a code and retryability. The caller names its `domain`, so
 * that a 4xx from a forge becomes a `FORGE_*` code and one from Ollama a `MODEL_*` code;
 * 408, 429 and 5xx mean the same from any upstream.
 */
export function classifyStatus(status: number, message: string, options: ClassifyStatusOptions): TpError {
  const v = verdictOf(status, options.domain);
  return new TpError(message, {
    code: v.code,
    retryable: v.retryable,
    hint: v.hint,
    cause: options.cause,
    details: { status },
  });
}

/**
 * The one place where foreign errors become `TpError`s. Already-typed errors pass through;
 * network failures, timeouts, aborts and HTTP statuses are recognised; anything else is an
 * internal, non-retryable error (a bug to report, not a condition to retry). A foreign error
 * that carries an HTTP status is read as a forge's answer unless `domain` says otherwise:
 * model calls have their own classifier (`classifyModelError`).
 */
export function classify(err: unknown, domain: StatusDomain = 'forge'): TpError {
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
  if (status !== undefined) return classifyStatus(status, message, { domain, cause: err });
  if (/fetch failed|socket hang up|network/i.test(message)) {
    return new TpError(message, { code: 'NETWORK', retryable: true, cause: err });
  }
  return new TpError(message, { code: 'INTERNAL', retryable: false, cause: err });
}
