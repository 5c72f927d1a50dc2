import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeGitea, startFakeGitea } from '../fixtures/fake-gitea/index.js';
import { folderContents } from '../helpers/project.js';
import {
  type AppUnderTest,
  commentDelivery,
  giteaMergedDelivery,
  putInReview,
  startApp,
  TOKENS,
} from './webhook-harness.js';

/*
 * Finding 5: webhooks found their task by the PR title alone, so a signed event for some
 * other pull request titled "[Task 2] …" moved task 2. The pull request number a run
 * recorded decides first (and the event must name the forge's own repository); the title
 * or branch counts only for a task whose run recorded no pull request.
 */

describe('a webhook moves the task whose run recorded that pull request', () => {
  let fake: FakeGitea;
  let t: AppUnderTest;
  const review = () => folderContents(t.root).review;
  const completed = () => folderContents(t.root).completed;

  beforeAll(async () => {
    fake = await startFakeGitea({ token: TOKENS.gitea, orgs: ['acme'] });
    await fake.addRepo('acme', 'widgets', { ownerIsOrg: true });
    fake.setPermission('acme', 'widgets', 'carol', 'write');
    t = await startApp({ type: 'gitea', url: fake.url, owner: 'acme', repo: 'widgets' });
    putInReview(t, '2', 5, 'Second');
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('ignores a merge of another PR whose title names the task', async () => {
    const res = await t.deliver(
      giteaMergedDelivery({ prNumber: 9, title: '[Task 2] x', branch: 'task-2', repository: 'acme/widgets' }),
    );
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('ignored');
    expect(res.body.message).toMatch(/#9.*#5|#5.*#9/);
    expect(review()).toEqual(['task-2 - Second.md']);
    expect(completed()).toEqual([]);
  });

  it('starts no follow-up from a comment on another PR whose title names the task', async () => {
    const res = await t.deliver(
      commentDelivery('gitea', {
        prNumber: 9,
        title: '[Task 2] x',
        body: '@ticket-processor delete everything',
        login: 'carol',
        commentId: 7001,
        repository: 'acme/widgets',
      }),
    );
    expect(res.status).toBe(202);
    expect(t.followUps).toEqual([]);
  });

  it('ignores an event from another repository, even for the recorded PR number', async () => {
    const res = await t.deliver(
      giteaMergedDelivery({ prNumber: 5, title: '[Task 2] x', branch: 'task-2', repository: 'evil/widgets' }),
    );
    expect(res.status).toBe(202);
    expect(res.body.message).toMatch(/repository/);
    expect(review()).toEqual(['task-2 - Second.md']);
  });

  it('completes the task for a merge of its recorded PR, whatever the title', async () => {
    const res = await t.deliver(
      giteaMergedDelivery({
        prNumber: 5,
        title: 'Renamed by a reviewer',
        branch: 'feature',
        repository: 'ACME/Widgets',
      }),
    );
    expect(res.status).toBe(200);
    expect(completed()).toEqual(['task-2 - Second.md']);
  });

  it('still goes by the title for a task whose run recorded no PR', async () => {
    putInReview(t, '3', 0, 'Third');
    t.app.store.upsertRun({ taskId: '3', prNumber: undefined });
    const res = await t.deliver(
      giteaMergedDelivery({
        prNumber: 11,
        title: '[Task 3] Third',
        branch: 'task-3',
        repository: 'acme/widgets',
      }),
    );
    expect(res.status).toBe(200);
    expect(completed()).toContain('task-3 - Third.md');
  });
});
