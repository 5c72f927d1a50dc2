import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GiteaPerTaskForge, perTaskRepoName } from '../../../src/forges/gitea/index.js';
import { createTargetResolver } from '../../../src/pipeline/target.js';
import { type FakeGitea, startFakeGitea } from '../../fixtures/fake-gitea/index.js';
import { type GitHttpServer, startGitHttpServer } from '../../fixtures/git-http/index.js';
import { tmpDir } from '../../helpers/project.js';
import { makeTask } from '../../helpers/task.js';
import { seedMain } from '../e2e/support.js';

const TOKEN = 'per-task-token-2f7c9a1e5b3d8046';
const ORG = 'acme';

describe('GiteaPerTaskForge against the fake Gitea', () => {
  let git: GitHttpServer;
  let gitea: FakeGitea;
  beforeAll(async () => {
    git = await startGitHttpServer({ token: TOKEN });
    gitea = await startFakeGitea({ token: TOKEN, orgs: [ORG], gitBackend: git });
  });
  afterEach(() => expect(gitea.violations).toEqual([]));
  afterAll(async () => {
    await gitea?.close();
    await git?.close();
  });

  const forge = (recorded: Record<number, string[]> = {}, sequential = false) =>
    new GiteaPerTaskForge({
      sequential,
      baseUrl: gitea.url,
      token: TOKEN,
      owner: ORG,
      namePattern: 'task-{id}',
      recordedRepos: (n) => recorded[n] ?? [],
    });

  /** Creates each task's repository with a `main` and a task branch, and opens the task's PR there. */
  async function openTaskPrs(f: GiteaPerTaskForge, ids: string[]): Promise<Record<string, string>> {
    const remotes: Record<string, string> = {};
    for (const id of ids) {
      const remote = await f.repositoryFor(id);
      remotes[id] = remote;
      await seedMain(git.repoPath(ORG, `task-${id}`));
      execFileSync('git', ['-C', git.repoPath(ORG, `task-${id}`), 'branch', `task-${id}`, 'main']);
      const pr = await f.openPullRequest({
        title: `[Task ${id}] x`,
        body: 'b',
        head: `task-${id}`,
        base: 'main',
        labels: [],
        taskId: id,
        remote,
      });
      // Each repository numbers its PRs from 1.
      expect(pr.number).toBe(1);
    }
    return remotes;
  }

  it('names repositories as the original did, with characters Gitea refuses replaced', () => {
    expect(perTaskRepoName('task-{id}', '12')).toBe('task-12');
    expect(perTaskRepoName('TASK {id}', 'a/b')).toBe('TASK-a-b');
  });

  it('creates the task repository once (org endpoint), returns a clean clone URL, and owns it', async () => {
    const f = forge();
    const url = await f.repositoryFor('21');
    const again = await f.repositoryFor('21');
    expect(again).toBe(url);
    expect(url).toBe(git.repoUrl(ORG, 'task-21'));
    expect(url).not.toContain(TOKEN);
    const creates = gitea.requests.filter(
      (r) => r.method === 'POST' && r.path === `/api/v1/orgs/${ORG}/repos`,
    );
    expect(creates.map((r) => (r.body as { name: string }).name)).toEqual(['task-21']);
    expect(f.ownsRemote(url)).toBe(true);
    expect(f.ownsRemote(`${url.replace(/\.git$/, '')}/`)).toBe(true);
    expect(f.ownsRemote(git.repoUrl(ORG, 'other'))).toBe(false);
    expect(f.isOwnRepository(`${ORG}/task-21`)).toBe(true);
    expect(f.isOwnRepository(`${ORG.toUpperCase()}/TASK-21`)).toBe(true);
    expect(f.isOwnRepository(`${ORG}/webapp`)).toBe(false);
    expect(f.isOwnRepository(`someone/task-21`)).toBe(false);
  });

  it('the target resolver sends a task to its own repository with the token header, nowhere else', async () => {
    const f = forge();
    const resolve = createTargetResolver({
      baseDir: tmpDir(),
      configuredUrl: undefined,
      allowed: [path.join(tmpDir(), 'elsewhere.git')],
      baseBranch: 'main',
      allowedBaseBranches: [],
      forge: f,
      defaultRemote: () => Promise.reject(new Error('a per-task forge answers this itself')),
    });
    const target = await resolve(makeTask({ id: '22' }));
    expect(target.remote).toBe(git.repoUrl(ORG, 'task-22'));
    expect(target.auth?.header).toBe(`Authorization: token ${TOKEN}`);
  });

  it('routes PR calls to the repository the PR was opened in, and refuses an ambiguous number', async () => {
    const f = forge();
    await openTaskPrs(f, ['31', '32']);
    await expect(f.merge(1)).rejects.toMatchObject({ code: 'FORGE_CONFLICT' });
    await expect(f.comment(1, 'hi')).rejects.toThrow(/several \(task-31, task-32\)/);
    expect(gitea.state.prs.filter((p) => p.merged)).toEqual([]);

    // A fresh process knows only what the store recorded: one repository, so no doubt.
    const restarted = forge({ 1: ['task-32'] });
    const merged = await restarted.merge(1);
    expect(merged.state).toBe('merged');
    expect(gitea.state.prs.find((p) => p.repo === 'task-32')?.merged).toBe(true);
    expect(gitea.state.prs.find((p) => p.repo === 'task-31')?.merged).toBe(false);
    await expect(forge().merge(7)).rejects.toMatchObject({ code: 'FORGE_NOT_FOUND' });
  });

  it('two task repositories each with PR #1: a named repository sends comment, review and merge to the right one', async () => {
    const f = forge();
    const remotes = await openTaskPrs(f, ['61', '62']);
    // The pipeline names the clone URL it pushed to, a webhook the payload's owner/name.
    await f.comment(1, 'for 61', remotes['61']);
    await f.comment(1, 'for 62', `${ORG}/task-62`);
    await f.addReview(1, { body: 'review of 62', comments: [] }, remotes['62']);
    const where = (body: string) => gitea.state.comments.filter((c) => c.body === body).map((c) => c.repo);
    expect(where('for 61')).toEqual(['task-61']);
    expect(where('for 62')).toEqual(['task-62']);
    expect(gitea.state.reviews.filter((r) => r.body === 'review of 62').map((r) => r.repo)).toEqual([
      'task-62',
    ]);

    // Any other repository says nothing: the number decides, and an ambiguous one is refused.
    await expect(f.comment(1, 'x', `${ORG}/webapp`)).rejects.toMatchObject({ code: 'FORGE_CONFLICT' });
    await expect(f.comment(1, 'x', git.repoUrl('someone', 'task-61'))).rejects.toMatchObject({
      code: 'FORGE_CONFLICT',
    });
    expect(gitea.state.comments.filter((c) => c.body === 'x')).toEqual([]);

    expect((await f.merge(1, remotes['61'])).state).toBe('merged');
    expect(gitea.state.prs.find((p) => p.repo === 'task-61')?.merged).toBe(true);
    expect(gitea.state.prs.find((p) => p.repo === 'task-62')?.merged).toBe(false);

    // A fresh process with nothing recorded still follows the named repository.
    const restarted = forge();
    expect((await restarted.merge(1, remotes['62'])).state).toBe('merged');
    expect(gitea.state.prs.find((p) => p.repo === 'task-62')?.merged).toBe(true);
  });

  it('one task at a time: review and merge go to the PR opened last, a comment still refuses to guess', async () => {
    const f = forge({}, true);
    await openTaskPrs(f, ['51', '52']);
    await expect(f.comment(1, 'hi')).rejects.toMatchObject({ code: 'FORGE_CONFLICT' });
    expect((await f.merge(1)).state).toBe('merged');
    expect(gitea.state.prs.find((p) => p.repo === 'task-52')?.merged).toBe(true);
    expect(gitea.state.prs.find((p) => p.repo === 'task-51')?.merged).toBe(false);
  });

  it('asks the permission in the repository the comment event names', async () => {
    const f = forge();
    await f.repositoryFor('41');
    gitea.setPermission(ORG, 'task-41', 'rev', 'write');
    expect(await f.commenterCanTrigger({ author: 'rev', repository: `${ORG}/task-41` })).toBe(true);
    expect(await f.commenterCanTrigger({ author: 'rev', repository: `${ORG}/webapp` })).toBe(false);
    expect(await f.commenterCanTrigger({ author: 'rev' })).toBe(false);
  });
});
