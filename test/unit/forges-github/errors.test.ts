import { describe, expect, it } from 'vitest';
import { GITHUB_SCOPE_HINT, githubError } from '../../../src/forges/github/index.js';

const TOKEN = 'ghp_unitTokenABCDEF0123456789';

/** The fields of an Octokit RequestError for an HTTP answer. */
function httpErr(status: number, data: unknown, headers: Record<string, string> = {}) {
  return Object.assign(new Error('octokit message'), {
    name: 'HttpError',
    status,
    request: {
      method: 'POST',
      url: 'https://api.github.com/repos/acme/app/pulls?x=1',
      headers: { authorization: 'token [REDACTED]' },
    },
    response: { status, headers, data, url: 'https://api.github.com/repos/acme/app/pulls' },
  });
}

describe('githubError classification', () => {
  it.each([
    [401, 'FORGE_AUTH', false],
    [403, 'FORGE_AUTH', false],
    [404, 'FORGE_NOT_FOUND', false],
    [405, 'FORGE_CONFLICT', false],
    [409, 'FORGE_CONFLICT', false],
    [422, 'FORGE_CONFLICT', false],
    [400, 'FORGE_BAD_REQUEST', false],
    [408, 'TIMEOUT', true],
    [429, 'RATE_LIMITED', true],
    [500, 'SERVER_ERROR', true],
    [502, 'SERVER_ERROR', true],
    [503, 'SERVER_ERROR', true],
  ] as const)('HTTP %i → %s (retryable %s)', (status, code, retryable) => {
    const err = githubError(httpErr(status, { message: 'reason' }), TOKEN, 'x');
    expect(err.code).toBe(code);
    expect(err.retryable).toBe(retryable);
    expect(err.details.status).toBe(status);
    expect(err.message).toBe(`GitHub API POST /repos/acme/app/pulls → ${status}: reason`);
  });

  it('names the scopes to check on 401/403', () => {
    expect(githubError(httpErr(401, { message: 'Bad credentials' }), TOKEN, 'x').hint).toBe(
      GITHUB_SCOPE_HINT,
    );
    expect(GITHUB_SCOPE_HINT).toContain('`repo`');
    expect(GITHUB_SCOPE_HINT).toContain('pull_requests:write');
  });

  it('spells out 422 validation errors, e.g. "A pull request already exists"', () => {
    const err = githubError(
      httpErr(422, {
        message: 'Validation Failed',
        errors: [
          { resource: 'PullRequest', code: 'custom', message: 'A pull request already exists for acme:t.' },
        ],
      }),
      TOKEN,
      'x',
    );
    expect(err.message).toContain('Validation Failed: A pull request already exists for acme:t.');
    expect(err.code).toBe('FORGE_CONFLICT');
    const missing = githubError(
      httpErr(422, { message: 'Validation Failed', errors: [{ code: 'missing_field', field: 'head' }] }),
      TOKEN,
      'x',
    );
    expect(missing.message).toContain('head missing_field');
  });

  it('treats 403 with an exhausted rate limit as a wait until the reset, not an auth failure', () => {
    const reset = Math.floor(Date.now() / 1000) + 30;
    const err = githubError(
      httpErr(
        403,
        { message: 'API rate limit exceeded' },
        { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
      ),
      TOKEN,
      'x',
    );
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.retryable).toBe(true);
    expect(err.details.retryAfterMs).toBeGreaterThan(25_000);
    expect(err.details.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it('keeps a secondary-limit Retry-After as the wait', () => {
    const err = githubError(
      httpErr(403, { message: 'secondary rate limit' }, { 'retry-after': '7' }),
      TOKEN,
      'x',
    );
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.details.retryAfterMs).toBe(7000);
  });

  it('classifies a transport failure (Octokit status 500 without a response) as retryable NETWORK', () => {
    const cause = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    const err = githubError(
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
        status: 500,
        request: { method: 'GET', url: 'http://127.0.0.1:1/repos/a/b', headers: {} },
        cause,
      }),
      TOKEN,
      'x',
    );
    expect(err.code).toBe('NETWORK');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('GitHub API GET /repos/a/b failed');
  });

  it('classifies a per-request timeout as retryable TIMEOUT', () => {
    const cause = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    const err = githubError(
      Object.assign(new Error('The operation was aborted due to timeout'), {
        status: 500,
        request: { method: 'GET', url: 'http://h/x', headers: {} },
        cause,
      }),
      TOKEN,
      'x',
    );
    expect(err.code).toBe('TIMEOUT');
    expect(err.retryable).toBe(true);
  });

  it('does not retry a programming error', () => {
    const err = githubError(new TypeError('cannot read properties of undefined'), TOKEN, 'GET /user');
    expect(err.code).toBe('INTERNAL');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('GitHub API GET /user');
  });

  it('redacts the token wherever it appears and does not keep the raw error as cause', () => {
    const err = githubError(httpErr(500, { message: `boom ${TOKEN} boom` }), TOKEN, 'x');
    expect(err.message).toBe('GitHub API POST /repos/acme/app/pulls → 500: boom *** boom');
    expect(err.details.apiMessage).toBe('boom *** boom');
    expect(err.cause).toBeUndefined();
    expect(JSON.stringify(err.details)).not.toContain(TOKEN);
  });
});
