import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TpError } from '../../../src/errors/index.js';
import { retryAfterMs } from '../../../src/forges/forge-retry.js';
import { GitHubForge, githubApiUrl } from '../../../src/forges/github/index.js';
import { recorded } from '../../fixtures/fake-github/index.js';

const TOKEN = 'ghp_unitForgeToken0123456789';

interface Call {
  method: string;
  url: string;
  auth: string | null;
}

/** A scripted `fetch`: answers in order, records what Octokit sent. */
function scriptedFetch(answers: (() => Response)[]) {
  const calls: Call[] = [];
  const fn = async (input: string | URL | Request, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    calls.push({ method: init?.method ?? 'GET', url: String(input), auth: headers.get('authorization') });
    const next = answers.shift();
    if (!next) throw new Error('no scripted answer left');
    return next();
  };
  return { fetch: fn as typeof fetch, calls };
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  () =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json', ...headers },
    });

describe('GitHubForge (unit, scripted fetch)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('push auth is HTTP Basic with x-access-token as the user and the token as the password', () => {
    const forge = new GitHubForge({ token: TOKEN, owner: 'a', repo: 'b' });
    const header = forge.pushAuth().header ?? '';
    const [scheme, value] = header.replace(/^Authorization: /, '').split(' ');
    expect(header.startsWith('Authorization: ')).toBe(true);
    expect(scheme).toBe('Basic');
    expect(Buffer.from(value ?? '', 'base64').toString()).toBe(`x-access-token:${TOKEN}`);
    expect(header).not.toContain(TOKEN);
  });

  it('refuses to start without a token', () => {
    expect(() => new GitHubForge({ token: '', owner: 'a', repo: 'b' })).toThrow(/needs a token/);
  });

  it('talks to api.github.com by default and to a GitHub Enterprise base URL when given', async () => {
    const repo = { ...recorded.repository, clone_url: 'https://user:pw@github.com/a/b.git' };
    const dotcom = scriptedFetch([json(200, repo)]);
    const url = await new GitHubForge({
      token: TOKEN,
      owner: 'a',
      repo: 'b',
      request: { fetch: dotcom.fetch },
    }).remoteUrl();
    expect(dotcom.calls[0]?.url).toBe('https://api.github.com/repos/a/b');
    expect(dotcom.calls[0]?.auth).toBe(`token ${TOKEN}`);
    expect(url).toBe('https://github.com/a/b.git');

    const ghe = scriptedFetch([json(200, repo)]);
    await new GitHubForge({
      token: TOKEN,
      owner: 'a',
      repo: 'b',
      baseUrl: 'https://ghe.example.com/api/v3/',
      request: { fetch: ghe.fetch },
    }).remoteUrl();
    expect(ghe.calls[0]?.url).toBe('https://ghe.example.com/api/v3/repos/a/b');
  });

  it('backs off exponentially between 5xx retries (fake timers)', async () => {
    const { fetch, calls } = scriptedFetch([
      json(503, { message: 'unavailable' }),
      json(503, { message: 'unavailable' }),
      json(200, recorded.repository),
    ]);
    const forge = new GitHubForge({
      token: TOKEN,
      owner: 'a',
      repo: 'b',
      request: { fetch },
      retry: { maxRetries: 3, initialDelayMs: 1000, maxDelayMs: 60_000 },
    });
    const done = forge.ensureRepo();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls.length).toBeGreaterThanOrEqual(2);
    await vi.advanceTimersByTimeAsync(60_000);
    await done;
    expect(calls).toHaveLength(3);
  });

  it("waits at least the server's Retry-After before retrying a 429, capped by maxDelayMs", async () => {
    const { fetch, calls } = scriptedFetch([
      json(429, { message: 'slow down' }, { 'retry-after': '20' }),
      json(200, recorded.repository),
    ]);
    const forge = new GitHubForge({
      token: TOKEN,
      owner: 'a',
      repo: 'b',
      request: { fetch },
      retry: { maxRetries: 2, initialDelayMs: 10, maxDelayMs: 30_000 },
    });
    const done = forge.ensureRepo();
    await vi.advanceTimersByTimeAsync(19_000);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2_000);
    await done;
    expect(calls).toHaveLength(2);
  });

  it('does not retry a permanent error', async () => {
    const { fetch, calls } = scriptedFetch([json(401, { message: 'Bad credentials' })]);
    const forge = new GitHubForge({ token: TOKEN, owner: 'a', repo: 'b', request: { fetch } });
    const err = await forge.ensureRepo().catch((e: unknown) => e);
    expect(TpError.isInstance(err) && err.code).toBe('FORGE_AUTH');
    expect(calls).toHaveLength(1);
  });

  it('maps the configured forge URL to the REST root Octokit wants', () => {
    expect(githubApiUrl(undefined)).toBe('https://api.github.com');
    expect(githubApiUrl('https://github.com/')).toBe('https://api.github.com');
    expect(githubApiUrl('https://api.github.com')).toBe('https://api.github.com');
    expect(githubApiUrl('https://ghe.example.com')).toBe('https://ghe.example.com/api/v3');
    expect(githubApiUrl('https://ghe.example.com/api/v3/')).toBe('https://ghe.example.com/api/v3');
    expect(githubApiUrl('http://127.0.0.1:8080/api/v3')).toBe('http://127.0.0.1:8080/api/v3');
    expect(() => githubApiUrl('ghe.example.com')).toThrow(/not a URL/);
  });

  it('parses Retry-After as seconds or as an HTTP date', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });
});

describe('GitHubForge: who may start a follow-up run', () => {
  it('trusts OWNER, MEMBER and COLLABORATOR from the payload, without calling the API', async () => {
    const { fetch, calls } = scriptedFetch([]);
    const forge = new GitHubForge({ token: TOKEN, owner: 'Acme', repo: 'Widgets', request: { fetch } });
    for (const a of ['OWNER', 'MEMBER', 'COLLABORATOR', 'collaborator']) {
      expect(await forge.commenterCanTrigger({ author: 'x', authorAssociation: a }), a).toBe(true);
    }
    for (const a of [
      'CONTRIBUTOR',
      'FIRST_TIME_CONTRIBUTOR',
      'FIRST_TIMER',
      'MANNEQUIN',
      'NONE',
      undefined,
    ]) {
      expect(await forge.commenterCanTrigger({ author: 'x', authorAssociation: a }), String(a)).toBe(false);
    }
    expect(calls).toEqual([]);
    expect(forge.isOwnRepository('acme/widgets')).toBe(true);
    expect(forge.isOwnRepository('acme/widgets-fork')).toBe(false);
    expect(forge.isOwnRepository('evil/Widgets')).toBe(false);
  });
});
