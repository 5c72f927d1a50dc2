import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeGitea, startFakeGitea } from '../../fixtures/fake-gitea/index.js';
import { type GitHttpServer, startGitHttpServer } from '../../fixtures/git-http/index.js';
import { folderContents, makeProject, runCli, writeTask } from '../../helpers/project.js';
import { refSha, showFile } from './support.js';

const TOKEN = 'new-repo-token-5b8e2c7d1f9a4036';

describe('gitea forge with forge.createRepo on a repository that does not exist yet', () => {
  let git: GitHttpServer;
  let fake: FakeGitea;
  beforeAll(async () => {
    git = await startGitHttpServer({ token: TOKEN });
    fake = await startFakeGitea({ token: TOKEN, orgs: ['acme'], gitBackend: git });
  });
  afterAll(async () => {
    await fake?.close();
    await git?.close();
  });

  it('creates it, gives it a base branch, pushes the task branch and opens the PR', async () => {
    const { root } = await makeProject({
      repository: { url: undefined },
      forge: { type: 'gitea', url: fake.url, owner: 'acme', repo: 'fresh', createRepo: true },
      agent: { type: 'command', command: 'echo first > first.txt' },
      ollama: { availableModels: [] },
    });
    writeTask(root, '1', { title: 'First change' });
    const r = await runCli(['start', '--once'], { cwd: root, env: { GITEA_TOKEN: TOKEN } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(folderContents(root).review).toEqual(['task-1 - First change.md']);
    const bare = git.repoPath('acme', 'fresh');
    expect(await refSha(bare, 'refs/heads/main')).toMatch(/^[0-9a-f]{40}$/);
    expect(await showFile(bare, 'task-1', 'first.txt')).toBe('first\n');
    expect(fake.state.prs.length).toBe(1);
    expect(fake.violations).toEqual([]);
  }, 120_000);
});
