import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TpError } from '../../../src/errors/index.js';
import { GitLabForge, type GitLabForgeOptions } from '../../../src/forges/gitlab/index.js';
import { type FakeGitLab, startFakeGitLab } from '../../fixtures/fake-gitlab/index.js';

const TOKEN = 'glpat-tpSecretToken5f2c9a81e7d4';
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

describe('GitLabForge through the real gitbeaker client against the fake GitLab', () => {
  let fake: FakeGitLab;
  let counter = 0;
  let name: string;
  let encoded: string;

  beforeAll(async () => {
    fake = await startFakeGitLab({ token: TOKEN, user: 'tp-bot', groups: ['acme'] });
  });

  afterAll(async () => {
    await fake?.close();
  });

  beforeEach(() => {
    name = `widgets-${++counter}`;
    encoded = `acme%2F${name}`;
  });

  const forge = (over: Partial<GitLabForgeOptions> = {}) =>
    new GitLabForge({
      baseUrl: fake.url,
      token: TOKEN,
      projectPath: `acme/${name}`,
      retry: fastRetry,
      ...over,
    });

  const input = (head: string, labels: string[] = []) => ({
    title: `[Task 7] ${head}`,
    body: 'Implements task 7.',
    head,
    base: 'main',
    labels,
    taskId: '7',
  });

  const project = () => fake.state.projects.find((p) => p.path === name);
  const calls = (route: string) => fake.requests.filter((r) => r.route === route && r.path.includes(encoded));

  it('opens a merge request with labels as a comma list; number = iid, url = web_url', async () => {
    await fake.addProject('acme', name);
    const f = forge();
    await f.ensureRepo();
    expect(await f.remoteUrl()).toBe(`${fake.url}/acme/${name}.git`);
    const mr = await f.openPullRequest(input('task-7', ['ai-generated', 'priority:high', 'ai-generated']));
    expect(mr).toEqual({
      number: 1,
      url: `${fake.url}/acme/${name}/-/merge_requests/1`,
      title: '[Task 7] task-7',
      head: 'task-7',
      base: 'main',
      state: 'open',
    });
    const create = calls('POST /projects/:id/merge_requests')[0];
    expect(create?.body).toMatchObject({
      source_branch: 'task-7',
      target_branch: 'main',
      description: 'Implements task 7.',
      labels: 'ai-generated,priority:high',
    });
    expect(project()?.mergeRequests[0]?.labels).toEqual(['ai-generated', 'priority:high']);
    expect(fake.requests.every((r) => r.auth === 'token')).toBe(true);
  });

  it('reuses the open merge request on 409 "already exists" and adds the labels to it', async () => {
    await fake.addProject('acme', name);
    const first = await forge().openPullRequest(input('task-8'));
    const again = await forge().openPullRequest(input('task-8', ['retried']));
    expect(again.number).toBe(first.number);
    expect(project()?.mergeRequests).toHaveLength(1);
    expect(project()?.mergeRequests[0]?.labels).toEqual(['retried']);
    expect(calls('POST /projects/:id/merge_requests').map((r) => r.status)).toEqual([201, 409]);
    expect(calls('PUT /projects/:id/merge_requests/:iid')[0]?.body).toEqual({ add_labels: 'retried' });
  });

  it('finds an open merge request by source branch', async () => {
    await fake.addProject('acme', name);
    const f = forge();
    expect(await f.findPullRequest('task-9')).toBeUndefined();
    await f.openPullRequest(input('task-9'));
    await f.openPullRequest(input('task-10'));
    expect((await f.findPullRequest('task-10'))?.head).toBe('task-10');
    expect(calls('GET /projects/:id/merge_requests').at(-1)?.query).toMatchObject({
      source_branch: 'task-10',
      state: 'opened',
    });
  });

  it('adds a note and accepts (merges) the merge request; a second merge is a success', async () => {
    await fake.addProject('acme', name);
    const f = forge();
    const mr = await f.openPullRequest(input('task-11'));
    await f.comment(mr.number, 'Review: looks good.');
    expect(project()?.mergeRequests[0]?.notes.map((n) => n.body)).toEqual(['Review: looks good.']);
    const merged = await f.merge(mr.number);
    expect(merged.state).toBe('merged');
    expect(project()?.mergeRequests[0]?.state).toBe('merged');
    expect((await f.merge(mr.number)).state).toBe('merged');
    expect(calls('PUT /projects/:id/merge_requests/:iid/merge').map((r) => r.status)).toEqual([200, 405]);
  });

  it('reports a conflicting merge request (406) as FORGE_CONFLICT with a fix', async () => {
    await fake.addProject('acme', name);
    const f = forge();
    const mr = await f.openPullRequest(input('task-12'));
    const stored = project()?.mergeRequests[0];
    if (stored) stored.hasConflicts = true;
    const err = await caught(f.merge(mr.number));
    expect(err.code).toBe('FORGE_CONFLICT');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('Branch cannot be merged');
    expect(err.hint).toMatch(/conflict/i);
  });

  it('retries 5xx and a reset connection (cockatiel), then succeeds', async () => {
    await fake.addProject('acme', name);
    const path = `/projects/${encoded}`;
    const fault = fake.injectFault({ method: 'GET', path, status: 503, times: 2 });
    fake.injectFault({ method: 'GET', path, reset: true, times: 1 });
    await forge().ensureRepo();
    expect(fault.remaining()).toBe(0);
    expect(fake.requests.filter((r) => r.path === path).map((r) => r.status)).toEqual([503, 503, -1, 200]);
  });

  it('survives a 502 burst that gitbeaker re-sends itself', async () => {
    await fake.addProject('acme', name);
    const path = `/projects/${encoded}`;
    fake.injectFault({ method: 'GET', path, status: 502, times: 3 });
    await forge().ensureRepo();
    expect(fake.requests.filter((r) => r.path === path).map((r) => r.status)).toEqual([502, 502, 502, 200]);
  });

  it('gives up after the retry budget with a retryable SERVER_ERROR', async () => {
    await fake.addProject('acme', name);
    fake.injectFault({ method: 'GET', path: `/projects/${encoded}`, status: 500, times: 10 });
    const err = await caught(forge().ensureRepo());
    expect(err.code).toBe('SERVER_ERROR');
    expect(err.retryable).toBe(true);
    expect(fake.requests.filter((r) => r.path === `/projects/${encoded}`)).toHaveLength(4);
  });

  it('fails a wrong token at once with FORGE_AUTH naming the scopes, and never shows the token', async () => {
    await fake.addProject('acme', name);
    const wrong = `${TOKEN}-revoked`;
    const err = await caught(forge({ token: wrong }).ensureRepo());
    expect(err.code).toBe('FORGE_AUTH');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('401: 401 Unauthorized');
    expect(err.hint).toContain('`api`');
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
    await fake.addProject('acme', name);
    fake.injectFault({
      method: 'POST',
      path: `/projects/${encoded}/merge_requests`,
      status: 403,
      body: { message: '403 Forbidden - token {{token}} lacks api scope' },
    });
    const err = await caught(forge().openPullRequest(input('task-13')));
    expect(err.code).toBe('FORGE_AUTH');
    expect(err.taskId).toBe('7');
    expect(err.message).toContain('lacks api scope');
    expect(err.message).toContain('***');
    expect(JSON.stringify({ m: err.message, d: err.details, s: err.stack })).not.toContain(TOKEN);
  });

  it('without createRepo, a missing project is a permanent FORGE_NOT_FOUND with the fix', async () => {
    const err = await caught(forge({ createRepo: false }).ensureRepo());
    expect(err.code).toBe('FORGE_NOT_FOUND');
    expect(err.retryable).toBe(false);
    expect(err.hint).toContain('forge.createRepo');
    expect(project()).toBeUndefined();
  });

  it('with createRepo, creates a missing project in the group namespace (private by default)', async () => {
    const f = forge({ createRepo: true });
    await f.ensureRepo();
    expect(project()?.namespace.path).toBe('acme');
    expect(project()?.visibility).toBe('private');
    expect(await f.remoteUrl()).toBe(`${fake.url}/acme/${name}.git`);
    const create = fake.requests.find((r) => r.route === 'POST /projects' && r.status === 201);
    expect(create?.body).toMatchObject({ name, path: name, namespace_id: 10, visibility: 'private' });
  });

  it("with createRepo, creates a project in the token user's namespace", async () => {
    await forge({ projectPath: `tp-bot/${name}`, createRepo: true, visibility: 'internal' }).ensureRepo();
    const created = fake.state.projects.find((p) => p.path === name && p.namespace.path === 'tp-bot');
    expect(created?.visibility).toBe('internal');
  });

  it('refuses to create a project in a namespace that does not exist', async () => {
    const err = await caught(forge({ projectPath: `nobody/${name}`, createRepo: true }).ensureRepo());
    expect(err.code).toBe('FORGE_NOT_FOUND');
    expect(err.message).toContain('namespace "nobody" does not exist');
  });
});
