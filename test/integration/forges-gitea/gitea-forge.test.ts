import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TpError } from '../../../src/errors/index.js';
import { GiteaForge } from '../../../src/forges/gitea/index.js';
import { type FakeGitea, startFakeGitea } from '../../fixtures/fake-gitea/index.js';
import { type GitHttpServer, startGitHttpServer } from '../../fixtures/git-http/index.js';
import { authEnv, cleanGit } from '../../helpers/clean-git.js';

const TOKEN = 'tp-secret-token-5f2c9a81e7d4';
const fastRetry = { maxRetries: 3, initialDelayMs: 5, maxDelayMs: 20 };

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(path.join(e.parentPath, e.name));
  }
  return out;
}

describe('GiteaForge against the spec-validated fake Gitea and a real git smart-HTTP server', () => {
  let gitServer: GitHttpServer;
  let fake: FakeGitea;
  let work: string;
  const errors: TpError[] = [];

  beforeAll(async () => {
    gitServer = await startGitHttpServer({ token: TOKEN });
    fake = await startFakeGitea({ token: TOKEN, orgs: ['acme'], gitBackend: gitServer });
    work = await mkdtemp(path.join(os.tmpdir(), 'tp-gitea-it-'));
  });

  afterEach(() => {
    expect(fake.violations).toEqual([]);
  });

  afterAll(async () => {
    await fake?.close();
    await gitServer?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const forge = (over: Partial<ConstructorParameters<typeof GiteaForge>[0]> = {}) =>
    new GiteaForge({
      baseUrl: fake.url,
      token: TOKEN,
      owner: 'acme',
      repo: 'widgets',
      createRepo: true,
      retry: fastRetry,
      ...over,
    });

  async function expectTpError(p: Promise<unknown>): Promise<TpError> {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(TpError.isInstance(err)).toBe(true);
    errors.push(err as TpError);
    return err as TpError;
  }

  it('refuses a missing repository when createRepo is off, naming both fixes', async () => {
    const err = await expectTpError(forge({ repo: 'absent', createRepo: false }).ensureRepo());
    expect(err.code).toBe('FORGE_NOT_FOUND');
    expect(err.retryable).toBe(false);
    expect(err.hint).toMatch(/create the repository/i);
    expect(err.hint).toContain('forge.createRepo');
    expect(fake.state.repos.size).toBe(0);
  });

  it('creates the repository under the org; the clone URL carries no credentials', async () => {
    const f = forge();
    await f.ensureRepo();
    expect(fake.requests.some((r) => r.operation === 'POST /orgs/{org}/repos' && r.status === 201)).toBe(
      true,
    );
    const remote = await f.remoteUrl();
    expect(remote).toBe(gitServer.repoUrl('acme', 'widgets'));
    expect(new URL(remote).username).toBe('');
    expect(remote).not.toContain(TOKEN);
    await f.ensureRepo();
    expect(fake.requests.filter((r) => r.operation === 'POST /orgs/{org}/repos')).toHaveLength(1);
  });

  it('creates a repository in the user namespace when the owner is the token user', async () => {
    await forge({ owner: 'tp-bot', repo: 'personal' }).ensureRepo();
    expect(fake.state.repos.get('tp-bot/personal')?.ownerIsOrg).toBe(false);
    const err = await expectTpError(forge({ owner: 'stranger', repo: 'x' }).ensureRepo());
    expect(err.code).toBe('FORGE_NOT_FOUND');
    expect(err.hint).toContain('forge.owner');
  });

  it('pushes over HTTP only with the per-command header, then opens a labelled PR', async () => {
    const f = forge();
    const remote = await f.remoteUrl();
    const repo = path.join(work, 'clone');
    await cleanGit(work, ['init', '--quiet', '--initial-branch=main', repo]);
    await writeFile(path.join(repo, 'README.md'), '# widgets\n');
    await cleanGit(repo, ['add', '.']);
    await cleanGit(repo, ['commit', '--quiet', '-m', 'initial']);
    await cleanGit(repo, ['remote', 'add', 'origin', remote]);

    const denied = await cleanGit(repo, ['push', 'origin', 'main']).then(
      () => undefined,
      (e: { stderr: string }) => e,
    );
    expect(denied?.stderr).toMatch(/could not read Username|Authentication failed|401/);
    expect(gitServer.requests.some((r) => r.status === 401 && !r.authorized)).toBe(true);

    const header = f.pushAuth().header ?? '';
    expect(header).toBe(`Authorization: token ${TOKEN}`);
    await cleanGit(repo, ['push', '--quiet', 'origin', 'main'], authEnv(header));
    await cleanGit(repo, ['checkout', '--quiet', '-b', 'task-42']);
    await writeFile(path.join(repo, 'feature.txt'), 'done\n');
    await cleanGit(repo, ['add', '.']);
    await cleanGit(repo, ['commit', '--quiet', '-m', 'feat(task-42): add feature']);
    await cleanGit(repo, ['push', '--quiet', 'origin', 'task-42'], authEnv(header));

    const pr = await f.openPullRequest({
      title: '[Task 42] Add feature',
      body: 'Implements the feature.',
      head: 'task-42',
      base: 'main',
      labels: ['ticket-processor', 'priority:high'],
      taskId: '42',
    });
    expect(pr).toMatchObject({
      number: 1,
      title: '[Task 42] Add feature',
      head: 'task-42',
      base: 'main',
      state: 'open',
    });
    expect(pr.url).toBe(`${fake.url}/acme/widgets/pulls/1`);
    const stored = fake.state.prs[0];
    expect(stored?.labelIds).toHaveLength(2);
    expect(fake.state.labels.map((l) => l.name).sort()).toEqual(['priority:high', 'ticket-processor']);
    const localHead = (await cleanGit(repo, ['rev-parse', 'HEAD'])).stdout.trim();
    expect(stored?.headSha).toBe(localHead);
  });

  it('opening the same PR again reuses it (409 → find), and labels are not duplicated', async () => {
    const f = forge();
    const again = await f.openPullRequest({
      title: '[Task 42] Add feature',
      body: 'Second attempt after a restart.',
      head: 'task-42',
      base: 'main',
      labels: ['ticket-processor', 'priority:high'],
      taskId: '42',
    });
    expect(again.number).toBe(1);
    expect(fake.state.prs).toHaveLength(1);
    expect(fake.state.labels).toHaveLength(2);
    expect(
      fake.requests.some((r) => r.operation === 'POST /repos/{owner}/{repo}/pulls' && r.status === 409),
    ).toBe(true);
    expect((await f.findPullRequest('task-42'))?.number).toBe(1);
    expect(await f.findPullRequest('task-999')).toBeUndefined();
  });

  it('comments on the PR and merges it into the base branch of the real repository', async () => {
    const f = forge();
    await f.comment(1, 'All checks passed.');
    expect(fake.state.comments).toMatchObject([{ issue: 1, body: 'All checks passed.' }]);

    const merged = await f.merge(1);
    expect(merged.state).toBe('merged');
    const bare = gitServer.repoPath('acme', 'widgets');
    const head = (await cleanGit(bare, ['rev-parse', 'refs/heads/task-42'])).stdout.trim();
    await cleanGit(bare, ['merge-base', '--is-ancestor', head, 'refs/heads/main']);
    // A second merge (e.g. a retry after a lost response) reports the merged PR, not an error.
    expect((await f.merge(1)).state).toBe('merged');
    expect(await f.findPullRequest('task-42')).toBeUndefined();
  });

  it('opening a PR for a branch that was never pushed says to push it first', async () => {
    const err = await expectTpError(
      forge().openPullRequest({
        title: '[Task 9] x',
        body: '',
        head: 'task-9',
        base: 'main',
        labels: [],
        taskId: '9',
      }),
    );
    expect(err.code).toBe('FORGE_NOT_FOUND');
    expect(err.taskId).toBe('9');
    expect(err.hint).toMatch(/push both branches/i);
  });

  it('reports a bad token as permanent FORGE_AUTH with the scopes to check, without the token', async () => {
    const wrong = `${TOKEN}-revoked`;
    const err = await expectTpError(forge({ token: wrong }).ensureRepo());
    expect(err.code).toBe('FORGE_AUTH');
    expect(err.retryable).toBe(false);
    expect(err.hint).toContain('write:repository');
    expect(err.hint).toContain('write:issue');
    expect(`${err.message} ${err.hint} ${JSON.stringify(err.details)}`).not.toContain(wrong);
    expect(fake.requests.at(-1)?.auth).toBe('invalid');
  });

  it('retries 5xx and 429 with backoff, then succeeds', async () => {
    const f = forge();
    const before = fake.requests.length;
    fake.injectFault({ method: 'GET', path: '/api/v1/repos/acme/widgets', status: 503, times: 2 });
    fake.injectFault({
      method: 'GET',
      path: '/api/v1/repos/acme/widgets',
      status: 429,
      times: 1,
      headers: { 'Retry-After': '0' },
    });
    await f.ensureRepo();
    const calls = fake.requests.slice(before).filter((r) => r.path === '/api/v1/repos/acme/widgets');
    expect(calls.map((r) => r.status)).toEqual([503, 503, 429, 200]);
  });

  it('retries a dropped connection, and gives up after maxRetries as a retryable error', async () => {
    const f = forge();
    fake.injectFault({ path: '/api/v1/repos/acme/widgets', reset: true, times: 1 });
    await f.ensureRepo();
    const fault = fake.injectFault({ path: '/api/v1/repos/acme/widgets', status: 502, times: 10 });
    const err = await expectTpError(f.ensureRepo());
    expect(err.code).toBe('SERVER_ERROR');
    expect(err.retryable).toBe(true);
    expect(10 - fault.remaining()).toBe(1 + fastRetry.maxRetries);
    while (fault.remaining() > 0)
      await fetch(`${fake.url}/api/v1/repos/acme/widgets`, { headers: { Authorization: `token ${TOKEN}` } });
  });

  it('a merge conflict is a permanent FORGE_CONFLICT that names the fix', async () => {
    const f = forge();
    const repo = path.join(work, 'clone');
    const header = f.pushAuth().header ?? '';
    await cleanGit(repo, ['checkout', '--quiet', 'main']);
    await cleanGit(repo, ['pull', '--quiet', '--ff-only', 'origin', 'main'], authEnv(header));
    for (const [branch, text] of [
      ['task-43', 'left\n'],
      ['task-44', 'right\n'],
    ] as const) {
      await cleanGit(repo, ['checkout', '--quiet', '-B', branch, 'main']);
      await writeFile(path.join(repo, 'README.md'), text);
      await cleanGit(repo, ['commit', '--quiet', '-am', branch]);
      await cleanGit(repo, ['push', '--quiet', 'origin', branch], authEnv(header));
    }
    const a = await f.openPullRequest({
      title: '[Task 43] a',
      body: '',
      head: 'task-43',
      base: 'main',
      labels: [],
      taskId: '43',
    });
    const b = await f.openPullRequest({
      title: '[Task 44] b',
      body: '',
      head: 'task-44',
      base: 'main',
      labels: [],
      taskId: '44',
    });
    await f.merge(a.number);
    const err = await expectTpError(f.merge(b.number));
    expect(err.code).toBe('FORGE_CONFLICT');
    expect(err.retryable).toBe(false);
    expect(err.hint).toMatch(/conflict/i);
  });

  it('leaves the token in no .git/config, remote URL, error or recorded request', async () => {
    expect(errors.length).toBeGreaterThanOrEqual(4);
    for (const e of errors) {
      expect(`${e.message}\n${e.hint}\n${JSON.stringify(e.details)}\n${e.stack}`).not.toContain(TOKEN);
    }
    const configs = [...(await allFiles(work)), ...(await allFiles(gitServer.root))].filter((p) =>
      /(^|\/)config$/.test(p),
    );
    expect(configs.length).toBeGreaterThanOrEqual(2);
    for (const file of configs) expect(await readFile(file, 'utf8')).not.toContain(TOKEN);
    expect(JSON.stringify(fake.requests)).not.toContain(TOKEN);
    expect(JSON.stringify(gitServer.requests)).not.toContain(TOKEN);
    expect(fake.requests.every((r) => r.operation !== undefined)).toBe(true);
  });
});
