import { GitbeakerRequestError, GitbeakerRetryError, GitbeakerTimeoutError } from '@gitbeaker/rest';
import { describe, expect, it } from 'vitest';
import { TpError } from '../../../src/errors/index.js';
import { GITLAB_SCOPE_HINT, GitLabForge, gitlabError, gitlabHost } from '../../../src/forges/gitlab/index.js';

const TOKEN = 'glpat-unitToken0123456789';

/** A GitbeakerRequestError as gitbeaker builds it for a non-2xx answer. */
function requestError(status: number, description: string, headers: Record<string, string> = {}) {
  const request = new Request('https://gitlab.example.com/api/v4/projects/acme%2Fapp/merge_requests?x=1', {
    method: 'POST',
    headers: { 'private-token': TOKEN },
  });
  const response = new Response(null, { status, headers });
  return new GitbeakerRequestError(description, { cause: { description, request, response } });
}

describe('gitlabError classification', () => {
  it.each([
    [401, 'FORGE_AUTH', false],
    [403, 'FORGE_AUTH', false],
    [404, 'FORGE_NOT_FOUND', false],
    [405, 'FORGE_CONFLICT', false],
    [406, 'FORGE_CONFLICT', false],
    [409, 'FORGE_CONFLICT', false],
    [422, 'FORGE_CONFLICT', false],
    [400, 'FORGE_BAD_REQUEST', false],
    [429, 'RATE_LIMITED', true],
    [500, 'SERVER_ERROR', true],
    [503, 'SERVER_ERROR', true],
  ] as const)('HTTP %i → %s (retryable %s)', (status, code, retryable) => {
    const err = gitlabError(requestError(status, 'reason'), TOKEN, 'x');
    expect(err.code).toBe(code);
    expect(err.retryable).toBe(retryable);
    expect(err.details.status).toBe(status);
    expect(err.message).toBe(`GitLab API POST /api/v4/projects/acme/app/merge_requests → ${status}: reason`);
  });

  it('names the scopes and role to check on 401/403', () => {
    const err = gitlabError(requestError(403, '403 Forbidden'), TOKEN, 'x');
    expect(err.hint).toBe(GITLAB_SCOPE_HINT);
    expect(GITLAB_SCOPE_HINT).toContain('`api`');
    expect(GITLAB_SCOPE_HINT).toContain('write_repository');
  });

  it("keeps the server's Retry-After as the wait", () => {
    const err = gitlabError(requestError(429, 'Retry later', { 'retry-after': '12' }), TOKEN, 'x');
    expect(err.details.retryAfterMs).toBe(12_000);
  });

  it('maps gitbeaker giving up on 429/502 and its timeout to retryable errors', () => {
    const gaveUp = gitlabError(
      new GitbeakerRetryError(
        'Could not successfully complete this request after 10 retries, last status code: 429. Check the applicable rate limits for this endpoint.',
      ),
      TOKEN,
      'GET /projects/:id',
    );
    expect(gaveUp.code).toBe('RATE_LIMITED');
    expect(gaveUp.retryable).toBe(true);
    const bad = gitlabError(
      new GitbeakerRetryError(
        'Could not successfully complete this request after 10 retries, last status code: 502.',
      ),
      TOKEN,
      'x',
    );
    expect(bad.code).toBe('SERVER_ERROR');
    const slow = gitlabError(
      new GitbeakerTimeoutError('Query timeout was reached'),
      TOKEN,
      'GET /projects/:id',
    );
    expect(slow.code).toBe('TIMEOUT');
    expect(slow.retryable).toBe(true);
  });

  it('classifies a refused connection as retryable NETWORK and a bug as non-retryable INTERNAL', () => {
    const net = gitlabError(
      Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }),
      TOKEN,
      'GET /projects/:id',
    );
    expect(net.code).toBe('NETWORK');
    expect(net.retryable).toBe(true);
    const bug = gitlabError(new RangeError('bad index'), TOKEN, 'x');
    expect(bug.code).toBe('INTERNAL');
    expect(bug.retryable).toBe(false);
  });

  it('redacts the token and does not keep the gitbeaker error (its request holds PRIVATE-TOKEN) as cause', () => {
    const err = gitlabError(requestError(500, `oops ${TOKEN}`), TOKEN, 'x');
    expect(err.message).toContain('oops ***');
    expect(err.cause).toBeUndefined();
    expect(JSON.stringify({ m: err.message, d: err.details })).not.toContain(TOKEN);
  });
});

describe('GitLabForge configuration', () => {
  it('push auth is HTTP Basic with oauth2 as the user and the token as the password', () => {
    const header = new GitLabForge({ token: TOKEN, projectPath: 'a/b' }).pushAuth().header ?? '';
    const [scheme, value] = header.replace(/^Authorization: /, '').split(' ');
    expect(scheme).toBe('Basic');
    expect(Buffer.from(value ?? '', 'base64').toString()).toBe(`oauth2:${TOKEN}`);
    expect(header).not.toContain(TOKEN);
  });

  it('normalises the server URL for gitbeaker (default gitlab.com, no /api/v4, no trailing slash)', () => {
    expect(gitlabHost(undefined)).toBe('https://gitlab.com');
    expect(gitlabHost('https://git.example.com/')).toBe('https://git.example.com');
    expect(gitlabHost('https://git.example.com/gitlab/api/v4')).toBe('https://git.example.com/gitlab');
  });

  it('rejects a missing token or a project path without a namespace with CONFIG_INVALID', () => {
    const noToken = (() => {
      try {
        new GitLabForge({ token: '', projectPath: 'a/b' });
      } catch (e) {
        return e;
      }
    })();
    expect(TpError.isInstance(noToken) && noToken.code).toBe('CONFIG_INVALID');
    expect(() => new GitLabForge({ token: TOKEN, projectPath: 'lonely' })).toThrow(/no namespace/);
  });
});
