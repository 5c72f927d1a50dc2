import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubForge } from '../../../src/forges/github/index.js';
import { GitLabForge } from '../../../src/forges/gitlab/index.js';
import type { Forge } from '../../../src/forges/types.js';
import { startFakeGitHub } from '../../fixtures/fake-github/index.js';
import { startFakeGitLab } from '../../fixtures/fake-gitlab/index.js';
import { type GitHttpServer, startGitHttpServer } from '../../fixtures/git-http/index.js';
import { authEnv, cleanGit } from '../../helpers/clean-git.js';

const run = promisify(execFile);

interface FakeForgeServer {
  gitRequests: Array<{ auth: string; status?: number }>;
  close(): Promise<void>;
}

/** What differs between the two Basic-auth forges: the fake, the client, the token's user name. */
interface Case {
  name: string;
  token: string;
  basicUser: string;
  start(token: string, backend: GitHttpServer): Promise<FakeForgeServer & { url: string; apiUrl?: string }>;
  forge(fake: { url: string; apiUrl?: string }, token: string): Forge;
}

const CASES: Case[] = [
  {
    name: 'GitHubForge',
    token: 'ghp_pushToken5f2c9a81e7d4AbCdEf0123',
    basicUser: 'x-access-token',
    start: (token, backend) => startFakeGitHub({ token, orgs: ['acme'], gitBackend: backend }),
    forge: (fake, token) =>
      new GitHubForge({ baseUrl: fake.apiUrl!, token, owner: 'acme', repo: 'shop', createRepo: true }),
  },
  {
    name: 'GitLabForge',
    token: 'glpat-pushToken5f2c9a81e7d4AbCd',
    basicUser: 'oauth2',
    start: (token, backend) => startFakeGitLab({ token, groups: ['acme'], gitBackend: backend }),
    forge: (fake, token) =>
      new GitLabForge({ baseUrl: fake.url, token, projectPath: 'acme/shop', createRepo: true }),
  },
];

describe.each(CASES)('$name push auth against a Basic-auth git endpoint (real git, real HTTP)', (c) => {
  const TOKEN = c.token;
  let backend: GitHttpServer;
  let fake: FakeForgeServer & { url: string; apiUrl?: string };
  let work: string;

  beforeAll(async () => {
    backend = await startGitHttpServer({ token: TOKEN });
    fake = await c.start(TOKEN, backend);
    work = await mkdtemp(path.join(os.tmpdir(), 'tp-forge-push-'));
  });

  afterAll(async () => {
    await fake?.close();
    await backend?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('creates the repo, pushes a branch with the Basic header, opens the PR; no token on disk', async () => {
    const forge = c.forge(fake, TOKEN);
    await forge.ensureRepo();
    const remote = await forge.remoteUrl();
    const dir = path.join(work, 'shop');
    await cleanGit(work, ['init', '--quiet', '--initial-branch=main', dir]);
    await writeFile(path.join(dir, 'README.md'), '# shop\n');
    await cleanGit(dir, ['add', '.']);
    await cleanGit(dir, ['commit', '--quiet', '-m', 'init']);
    await cleanGit(dir, ['remote', 'add', 'origin', remote]);
    const header = forge.pushAuth()?.header ?? '';
    await cleanGit(dir, ['push', '--quiet', 'origin', 'main'], authEnv(header));
    await cleanGit(dir, ['checkout', '--quiet', '-b', 'task-42']);
    await writeFile(path.join(dir, 'feature.txt'), 'done\n');
    await cleanGit(dir, ['add', '.']);
    await cleanGit(dir, ['commit', '--quiet', '-m', 'task 42']);
    await cleanGit(dir, ['push', '--quiet', 'origin', 'task-42'], authEnv(header));

    const pr = await forge.openPullRequest({
      title: '[Task 42] feature',
      body: 'b',
      head: 'task-42',
      base: 'main',
      labels: [],
      taskId: '42',
    });
    expect(pr.number).toBe(1);
    const bare = backend.repoPath('acme', 'shop');
    const { stdout } = await run('git', ['--git-dir', bare, 'rev-parse', '--verify', 'refs/heads/task-42'], {
      encoding: 'utf8',
    });
    expect(stdout.trim()).toMatch(/^[0-9a-f]{40}$/);
    expect(fake.gitRequests.length).toBeGreaterThan(0);
    expect(fake.gitRequests.every((r) => r.auth === 'basic')).toBe(true);
    const config = await readFile(path.join(dir, '.git', 'config'), 'utf8');
    expect(config).not.toContain(TOKEN);
    expect(config).not.toContain(Buffer.from(`${c.basicUser}:${TOKEN}`).toString('base64'));
    expect(remote).not.toContain(TOKEN);
  });

  it('rejects a push with the token in a different scheme, as the forge does', async () => {
    const dir = path.join(work, 'shop');
    const err = await cleanGit(
      dir,
      ['push', '--quiet', 'origin', 'task-42:task-43'],
      authEnv(`Authorization: token ${TOKEN}`),
    ).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeDefined();
    expect(fake.gitRequests.at(-1)?.auth).toBe('not-basic');
    expect(fake.gitRequests.at(-1)?.status).toBe(401);
  });
});
