import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TpError } from '../../../src/errors/index.js';
import { GitHubForge, type GitHubForgeOptions } from '../../../src/forges/github/index.js';
import { type FakeGitHub, startFakeGitHub } from '../../fixtures/fake-github/index.js';

const TOKEN = 'ghp_tpSecretToken5f2c9a81e7d4AbCdEf012345';
const fastRetry = { maxRetries: 3, initialDelayMs: 5, maxDelayMs: 20 };

async function caught(p: Promise<unknown>): Promise<TpError> {
  try {
    await p;
  } catch (err) {
    if (TpError.isInstance(err)) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

describe('GitHubForge through the real Octokit client against the fake GitHub', () => {
  let fake: FakeGitHub;
  let repoCounter = 0;
  let repo: string;

  beforeAll(async () => {
    fake = await startFakeGitHub({ token: TOKEN, user: 'tp-bot', orgs: ['acme'] });
  });

  afterAll(async () => {
    await fake?.close();
  });

  beforeEach(() => {
    repo = `widgets-${++repoCounter}`;
  });

  const forge = (over: Partial<GitHubForgeOptions> = {}) =>
    new GitHubForge({ baseUrl: fake.apiUrl, token: TOKEN, owner: 'acme', repo, retry: fastRetry, ...over });

  const input = (head: string, labels: string[] = []) => ({
    title: `[Task 7] ${head}`,
    body: 'Implements task 7.',
    head,
    base: 'main',
    labels,
    taskId: '7',
  });

  it('opens a pull request, labels it and reports the clone URL without credentials', async () => {
    await fake.addRepo('acme', repo);
    const f = forge();
    await f.ensureRepo();
    expect(await f.remoteUrl()).toBe(`${fake.url}/acme/${repo}.git`);
    const pr = await f.openPullRequest(input('task-7', ['ai-generated', 'priority:high', 'ai-generated']));
    expect(pr).toEqual({
      number: 1,
      url: `${fake.url}/acme/${repo}/pull/1`,
      title: '[Task 7] task-7',
      head: 'task-7',
      base: 'main',
      state: 'open',
    });
    const stored = fake.state.repos.get(`acme/${repo}`)?.pulls[0];
    expect(stored?.labels.map((l) => l.name)).toEqual(['ai-generated', 'priority:high']);
    const labelCall = fake.requests.find((r) => r.route?.endsWith('/labels') && r.path.includes(repo));
    expect(labelCall?.body).toEqual({ labels: ['ai-generated', 'priority:high'] });
    expect(fake.requests.every((r) => r.auth === 'token')).toBe(true);
  });

  it('reuses the open pull request when GitHub answers 422 "already exists" (restart after a crash)', async () => {
    await fake.addRepo('acme', repo);
    const first = await forge().openPullRequest(input('task-8'));
    const again = await forge().openPullRequest(input('task-8', ['retried']));
    expect(again.number).toBe(first.number);
    const pulls = fake.state.repos.get(`acme/${repo}`)?.pulls ?? [];
    expect(pulls).toHaveLength(1);
    expect(pulls[0]?.labels.map((l) => l.name)).toEqual(['retried']);
    const creates = fake.requests.filter(
      (r) => r.route === 'POST /repos/{owner}/{repo}/pulls' && r.path.includes(repo),
    );
    expect(creates.map((r) => r.status)).toEqual([201, 422]);
  });

  it('finds an open pull request by branch with the owner:branch head filter', async () => {
    await fake.addRepo('acme', repo);
    const f = forge();
    expect(await f.findPullRequest('task-9')).toBeUndefined();
    await f.openPullRequest(input('task-9'));
    await f.openPullRequest(input('task-10'));
    const found = await f.findPullRequest('task-10');
    expect(found?.head).toBe('task-10');
    const list = fake.requests.filter((r) => r.route === 'GET /repos/{owner}/{repo}/pulls').at(-1);
    expect(list?.query).toMatchObject({ state: 'open', head: 'acme:task-10' });
  });

  it('comments on the pull request and merges it', async () => {
    await fake.addRepo('acme', repo);
    const f = forge();
    const pr = await f.openPullRequest(input('task-11'));
    await f.comment(pr.number, 'Review: looks good.');
    const stored = fake.state.repos.get(`acme/${repo}`)?.pulls[0];
    expect(stored?.comments.map((c) => c.body)).toEqual(['Review: looks good.']);
    const merged = await f.merge(pr.number);
    expect(merged.state).toBe('merged');
    expect(stored?.merged).toBe(true);
    const mergeCall = fake.requests.find((r) => r.route?.endsWith('/merge') && r.path.includes(repo));
    expect(mergeCall?.body).toEqual({ merge_method: 'merge' });
    // A second merge (lost response, retried) is a success, not a conflict.
    expect((await f.merge(pr.number)).state).toBe('merged');
  });

  it('reports a PR that cannot be merged as FORGE_CONFLICT with a fix', async () => {
    const r = await fake.addRepo('acme', repo);
    const f = forge();
    const pr = await f.openPullRequest(input('task-12'));
    const stored = r.pulls[0];
    if (stored) stored.mergeable = false;
    const err = await caught(f.merge(pr.number));
    expect(err.code).toBe('FORGE_CONFLICT');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('not mergeable');
    expect(err.hint).toMatch(/conflict/i);
  });

  it('retries 5xx and a reset connection, then succeeds', async () => {
    await fake.addRepo('acme', repo);
    const path = `/repos/acme/${repo}`;
    const fault = fake.injectFault({ method: 'GET', path, status: 502, times: 2 });
    const reset = fake.injectFault({ method: 'GET', path, reset: true, times: 1 });
    await forge().ensureRepo();
    expect(fault.remaining()).toBe(0);
    expect(reset.remaining()).toBe(0);
    const calls = fake.requests.filter((r) => r.path === path);
    expect(calls.map((r) => r.status)).toEqual([502, 502, -1, 200]);
  });

  it('gives up after the retry budget with a retryable SERVER_ERROR', async () => {
    await fake.addRepo('acme', repo);
    fake.injectFault({ method: 'GET', path: `/repos/acme/${repo}`, status: 503, times: 10 });
    const err = await caught(forge().ensureRepo());
    expect(err.code).toBe('SERVER_ERROR');
    expect(err.retryable).toBe(true);
    expect(fake.requests.filter((r) => r.path === `/repos/acme/${repo}`)).toHaveLength(4);
  });

  it('waits out a primary rate limit (403 + x-ratelimit-remaining: 0) instead of failing on auth', async () => {
    await fake.addRepo('acme', repo);
    const reset = String(Math.floor(Date.now() / 1000));
    fake.injectFault({
      method: 'GET',
      path: `/repos/acme/${repo}`,
      status: 403,
      body: { message: 'API rate limit exceeded for user ID 1.' },
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset },
    });
    await forge().ensureRepo();
    expect(fake.requests.filter((r) => r.path === `/repos/acme/${repo}`).map((r) => r.status)).toEqual([
      403, 200,
    ]);
  });

  it('fails a wrong token at once with FORGE_AUTH naming the scopes, and never shows the token', async () => {
    await fake.addRepo('acme', repo);
    const wrong = `${TOKEN}-revoked`;
    const err = await caught(forge({ token: wrong }).ensureRepo());
    expect(err.code).toBe('FORGE_AUTH');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('401: Bad credentials');
    expect(err.hint).toContain('`repo`');
    expect(err.hint).toContain('pull_requests:write');
    expect(fake.requests.filter((r) => r.auth === 'invalid')).toHaveLength(1);
    const everything = JSON.stringify({
      m: err.message,
      h: err.hint,
      d: err.details,
      s: err.stack,
      c: err.cause,
    });
    expect(everything).not.toContain(wrong);
  });

  it('redacts the token even when the server echoes the credential back', async () => {
    await fake.addRepo('acme', repo);
    fake.injectFault({
      method: 'POST',
      path: `/repos/acme/${repo}/pulls`,
      status: 403,
      body: { message: 'Resource not accessible by integration: {{authorization}}' },
    });
    const err = await caught(forge().openPullRequest(input('task-13')));
    expect(err.code).toBe('FORGE_AUTH');
    expect(err.taskId).toBe('7');
    expect(err.message).toContain('Resource not accessible by integration');
    expect(err.message).toContain('***');
    expect(JSON.stringify({ m: err.message, d: err.details, s: err.stack })).not.toContain(TOKEN);
  });

  it('without createRepo, a missing repository is a permanent FORGE_NOT_FOUND with the fix', async () => {
    const err = await caught(forge({ createRepo: false }).ensureRepo());
    expect(err.code).toBe('FORGE_NOT_FOUND');
    expect(err.retryable).toBe(false);
    expect(err.hint).toContain('forge.createRepo');
    expect(fake.state.repos.has(`acme/${repo}`)).toBe(false);
  });

  it('with createRepo, creates a missing repository in the organisation (private by default)', async () => {
    const f = forge({ createRepo: true });
    await f.ensureRepo();
    const created = fake.state.repos.get(`acme/${repo}`);
    expect(created?.private).toBe(true);
    expect(created?.ownerIsOrg).toBe(true);
    expect(await f.remoteUrl()).toBe(`${fake.url}/acme/${repo}.git`);
    const createCall = fake.requests.find((r) => r.route === 'POST /orgs/{org}/repos');
    expect(createCall?.body).toMatchObject({ name: repo, private: true });
  });

  it("with createRepo, creates a missing repository for the token's own user", async () => {
    await forge({ owner: 'tp-bot', createRepo: true, privateRepo: false }).ensureRepo();
    const created = fake.state.repos.get(`tp-bot/${repo}`);
    expect(created?.ownerIsOrg).toBe(false);
    expect(created?.private).toBe(false);
    expect(fake.requests.some((r) => r.route === 'POST /user/repos' && r.status === 201)).toBe(true);
  });

  it('refuses to create a repository for an owner that is neither an org nor the token user', async () => {
    const err = await caught(forge({ owner: 'someone-else', createRepo: true }).ensureRepo());
    expect(err.code).toBe('FORGE_NOT_FOUND');
    expect(err.message).toContain('neither an organisation');
  });
});
