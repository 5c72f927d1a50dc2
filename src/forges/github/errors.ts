import { classify, classifyStatus, TpError } from '../../errors/index.js';
import { redact } from '../../secrets/index.js';
import { retryAfterMs } from '../forge-retry.js';

export const GITHUB_SCOPE_HINT =
  'Check the GitHub token: it must be valid and have the `repo` scope (classic token) or `contents:write` and `pull_requests:write` (fine-grained token); creating an org repository also needs `admin:org` / administration:write.';

const NOT_FOUND_HINT =
  'Check forge.owner and forge.repo, and forge.url for GitHub Enterprise (https://HOST/api/v3). GitHub also answers 404 when the token cannot see a private repository.';

/** The shape of an Octokit `RequestError` that this module reads (duck-typed: no class identity across copies). */
interface OctokitErrorLike {
  status?: unknown;
  message?: unknown;
  request?: { method?: unknown; url?: unknown };
  response?: { status?: unknown; headers?: Record<string, string | undefined>; data?: unknown };
  cause?: unknown;
}

/** GitHub's error body: `message`, plus per-field `errors` on 422 (e.g. "A pull request already exists…"). */
function apiMessageOf(data: unknown): string {
  if (typeof data === 'string') return data.slice(0, 300);
  if (typeof data !== 'object' || data === null) return '';
  const d = data as { message?: unknown; errors?: unknown };
  const parts: string[] = [];
  if (typeof d.message === 'string') parts.push(d.message);
  if (Array.isArray(d.errors)) {
    for (const e of d.errors) {
      if (typeof e === 'string') parts.push(e);
      else if (e && typeof e === 'object') {
        const m = (e as { message?: unknown; code?: unknown; field?: unknown }).message;
        const code = (e as { code?: unknown }).code;
        const field = (e as { field?: unknown }).field;
        if (typeof m === 'string') parts.push(m);
        else if (typeof code === 'string') parts.push(typeof field === 'string' ? `${field} ${code}` : code);
      }
    }
  }
  return parts.join(': ');
}

function pathOf(url: unknown): string {
  if (typeof url !== 'string') return '';
  try {
    return new URL(url).pathname;
  } catch {
    return url.split('?')[0] ?? '';
  }
}

/**
 * GitHub signals its primary rate limit with 403 + `x-ratelimit-remaining: 0` (reset time in
 * `x-ratelimit-reset`, epoch seconds) and secondary limits with 403/429 + Retry-After. Those
 * are waits, not auth failures.
 */
function rateLimitWait(status: number, headers: Record<string, string | undefined>): number | undefined {
  const after = retryAfterMs(headers['retry-after']);
  if (after !== undefined) return after;
  if (status === 403 || status === 429) {
    if (headers['x-ratelimit-remaining'] === '0') {
      const reset = Number(headers['x-ratelimit-reset']);
      return Number.isFinite(reset) ? Math.max(0, reset * 1000 - Date.now()) : 60_000;
    }
  }
  return undefined;
}

/**
 * Turns whatever Octokit threw into a `TpError` whose message names the call and the API's
 * reason. The token is redacted, and the Octokit error is not kept as `cause` (it carries
 * request headers, and loggers serialise causes).
 */
export function githubError(err: unknown, token: string, fallbackWhat: string): TpError {
  if (TpError.isInstance(err)) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as OctokitErrorLike;
  const method = typeof e.request?.method === 'string' ? e.request.method : '';
  const what = method ? `GitHub API ${method} ${pathOf(e.request?.url)}` : `GitHub API ${fallbackWhat}`;
  const status = typeof e.response?.status === 'number' ? e.response.status : undefined;

  if (status === undefined) {
    // No HTTP answer: Octokit reports network failures and timeouts as status 500 without a response.
    const causeName = (e.cause as { name?: unknown } | undefined)?.name;
    const errName = (err as { name?: unknown } | undefined)?.name;
    const base = classify(e.cause ?? err);
    const timeout = causeName === 'TimeoutError' || errName === 'TimeoutError';
    // Octokit's own wrapper for "no answer" (status 500, request attached) is a transport failure.
    const transport = e.status === 500 && e.request !== undefined;
    const message = redact(`${what} failed: ${String(e.message ?? base.message)}`, token);
    return new TpError(message, {
      code: timeout ? 'TIMEOUT' : transport && base.code === 'INTERNAL' ? 'NETWORK' : base.code,
      retryable: timeout || base.retryable || transport,
      details: { ...base.details },
      hint: 'Check that GitHub (forge.url for GitHub Enterprise) is reachable from this machine.',
    });
  }

  const headers = e.response?.headers ?? {};
  const apiMessage = redact(apiMessageOf(e.response?.data), token);
  const message = redact(`${what} → ${status}${apiMessage ? `: ${apiMessage}` : ''}`, token);
  const details: Record<string, unknown> = { status, apiMessage };
  const requestId = headers['x-github-request-id'];
  if (requestId) details.requestId = requestId;
  const wait = rateLimitWait(status, headers);
  if (wait !== undefined) details.retryAfterMs = wait;

  if ((status === 403 || status === 429) && wait !== undefined) {
    return new TpError(message, {
      code: 'RATE_LIMITED',
      retryable: true,
      details,
      hint: 'GitHub rate limit reached; the call is retried after the reset time.',
    });
  }
  const base = classifyStatus(status, message, { domain: 'forge' });
  let code = base.code;
  let hint = base.hint;
  if (status === 401 || status === 403) hint = GITHUB_SCOPE_HINT;
  else if (status === 404) hint = NOT_FOUND_HINT;
  else if (status === 405) {
    // GitHub answers 405 to a merge of a PR that is not mergeable (conflict, checks, already merged).
    code = 'FORGE_CONFLICT';
  } else if (code === 'FORGE_BAD_REQUEST') {
    hint = 'GitHub rejected the request; the message above names the field.';
  }
  return new TpError(message, {
    code,
    retryable: base.retryable,
    details: { ...base.details, ...details },
    hint,
  });
}
