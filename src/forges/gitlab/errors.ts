import { classify, classifyStatus, TpError } from '../../errors/index.js';
import { redact } from '../../secrets/index.js';
import { retryAfterMs } from '../forge-retry.js';

export const GITLAB_SCOPE_HINT =
  'Check the GitLab token: it must be valid, have the `api` scope (merge requests, notes) and `write_repository` (push), and its user needs at least the Developer role on the project (Maintainer to create projects in a group).';

const NOT_FOUND_HINT =
  'Check forge.url (the GitLab server root) and the project path (forge.owner/forge.repo, i.e. "group/project"). GitLab also answers 404 when the token cannot see a private project.';

/** What gitbeaker attaches to a `GitbeakerRequestError` (duck-typed: no class identity across copies). */
interface GitbeakerCause {
  description?: unknown;
  request?: { method?: unknown; url?: unknown };
  response?: { status?: unknown; headers?: { get(name: string): string | null } };
}

function pathOf(url: unknown): string {
  if (typeof url !== 'string') return '';
  try {
    return decodeURIComponent(new URL(url).pathname);
  } catch {
    return url.split('?')[0] ?? '';
  }
}

/**
 * Turns whatever gitbeaker threw into a `TpError` naming the call and GitLab's reason, with
 * the token redacted. The gitbeaker error is not kept as `cause`: its `request` carries the
 * PRIVATE-TOKEN header, and loggers serialise causes.
 */
export function gitlabError(err: unknown, token: string, fallbackWhat: string): TpError {
  if (TpError.isInstance(err)) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    name?: unknown;
    message?: unknown;
    cause?: unknown;
  };
  const name = typeof e.name === 'string' ? e.name : '';
  const rawMessage = typeof e.message === 'string' ? e.message : String(err);

  if (name === 'GitbeakerTimeoutError') {
    return new TpError(redact(`GitLab API ${fallbackWhat} timed out.`, token), {
      code: 'TIMEOUT',
      retryable: true,
      hint: 'Check that forge.url (the GitLab server) is reachable and responsive.',
    });
  }
  if (name === 'GitbeakerRetryError') {
    // gitbeaker retried 429/502 itself (10 quick attempts) and gave up; a later retry may pass.
    const last = Number(/last status code: (\d+)/.exec(rawMessage)?.[1]);
    return new TpError(redact(`GitLab API ${fallbackWhat}: ${rawMessage}`, token), {
      code: last === 429 ? 'RATE_LIMITED' : 'SERVER_ERROR',
      retryable: true,
      details: Number.isFinite(last) ? { status: last } : {},
    });
  }

  const cause = (name === 'GitbeakerRequestError' ? e.cause : undefined) as GitbeakerCause | undefined;
  const status = typeof cause?.response?.status === 'number' ? cause.response.status : undefined;
  if (status === undefined) {
    const base = classify(err);
    return new TpError(redact(`GitLab API ${fallbackWhat} failed: ${base.message}`, token), {
      code: base.code,
      retryable: base.retryable,
      details: { ...base.details },
      hint: base.retryable
        ? 'Check that forge.url (the GitLab server) is reachable from this machine.'
        : base.hint,
    });
  }

  const method = typeof cause?.request?.method === 'string' ? cause.request.method : '';
  const what = method ? `GitLab API ${method} ${pathOf(cause?.request?.url)}` : `GitLab API ${fallbackWhat}`;
  const apiMessage = redact(
    typeof cause?.description === 'string' ? cause.description.slice(0, 500) : '',
    token,
  );
  const message = redact(`${what} → ${status}${apiMessage ? `: ${apiMessage}` : ''}`, token);
  const details: Record<string, unknown> = { status, apiMessage };
  const wait = retryAfterMs(cause?.response?.headers?.get('retry-after'));
  if (wait !== undefined) details.retryAfterMs = wait;

  const base = classifyStatus(status, message, { domain: 'forge' });
  let code = base.code;
  let hint = base.hint;
  if (status === 401 || status === 403) hint = GITLAB_SCOPE_HINT;
  else if (status === 404) hint = NOT_FOUND_HINT;
  else if (status === 405 || status === 406) {
    // GitLab answers 405 to merging an MR that is not mergeable and 406 when it has conflicts.
    code = 'FORGE_CONFLICT';
  } else if (code === 'FORGE_BAD_REQUEST') {
    hint = 'GitLab rejected the request; the message above names the field.';
  }
  return new TpError(message, {
    code,
    retryable: base.retryable,
    details: { ...base.details, ...details },
    hint,
  });
}
