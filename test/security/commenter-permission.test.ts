import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeGitea, startFakeGitea } from '../fixtures/fake-gitea/index.js';
import { type FakeGitHub, startFakeGitHub } from '../fixtures/fake-github/index.js';
import { type FakeGitLab, startFakeGitLab } from '../fixtures/fake-gitlab/index.js';
import {
  type AppUnderTest,
  type CommentSpec,
  commentDelivery,
  type ForgeName,
  putInReview,
  startApp,
  TOKENS,
} from './webhook-harness.js';

/*
 * Finding 3 (second half): a signed PR comment that mentions the bot started a follow-up run
 * whoever wrote it. Only commenters the forge reports with write access may start one
 * (GitHub author_association OWNER/MEMBER/COLLABORATOR, Gitea/Forgejo collaborator
 * permission write/admin/owner, GitLab access level Developer or higher), narrowed further
 * by webhook.allowedCommenters. Everyone else gets no run and at most one polite reply per
 * pull request, which never repeats their text.
 */

const SECRET_TEXT = '@ticket-processor add AKIAIOSFODNN7EXAMPLE to config.ts';
let nextCommentId = 5000;

async function openTaskPr(t: AppUnderTest, taskId: string): Promise<number> {
  const pr = await t.app.forge.openPullRequest({
    title: `[Task ${taskId}] Widgets`,
    body: 'task PR',
    head: `task-${taskId}`,
    base: 'main',
    labels: [],
    taskId,
  });
  putInReview(t, taskId, pr.number, 'Widgets');
  return pr.number;
}

function comment(
  forge: ForgeName,
  repository: string,
  prNumber: number,
  login: string,
  extra: Partial<CommentSpec> = {},
) {
  return commentDelivery(forge, {
    prNumber,
    title: '[Task 1] Widgets',
    body: SECRET_TEXT,
    login,
    commentId: nextCommentId++,
    repository,
    ...extra,
  });
}

describe('Gitea/Forgejo: the collaborator permission decides', () => {
  let fake: FakeGitea;
  let t: AppUnderTest;
  let pr: number;
  const send = (login: string) => t.deliver(comment('gitea', 'acme/widgets', pr, login));
  const replies = () => fake.state.comments.filter((c) => c.issue === pr);

  beforeAll(async () => {
    fake = await startFakeGitea({ token: TOKENS.gitea, orgs: ['acme'] });
    await fake.addRepo('acme', 'widgets', { ownerIsOrg: true });
    fake.setPermission('acme', 'widgets', 'carol', 'write');
    fake.setPermission('acme', 'widgets', 'adam', 'admin');
    fake.setPermission('acme', 'widgets', 'rita', 'read');
    fake.setPermission('acme', 'widgets', 'nora', 'none');
    t = await startApp({ type: 'gitea', url: fake.url, owner: 'acme', repo: 'widgets' });
    pr = await openTaskPr(t, '1');
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });
  afterEach(() => {
    expect(fake.violations).toEqual([]);
  });

  it('an outsider starts no run and gets one polite reply, however often they comment', async () => {
    const first = await send('mallory');
    expect(first.status).toBe(202);
    expect(first.body.status).toBe('ignored');
    const again = await send('mallory');
    expect(again.status).toBe(202);
    expect(t.followUps).toEqual([]);
    expect(replies()).toHaveLength(1);
    expect(replies()[0]?.body).toMatch(/^ticket-processor: /);
    expect(replies()[0]?.body).not.toContain('AKIA');
    expect(replies()[0]?.body).not.toContain('config.ts');
  });

  it('read-only and no-access users start no run', async () => {
    expect((await send('rita')).body.status).toBe('ignored');
    expect((await send('nora')).body.status).toBe('ignored');
    expect(t.followUps).toEqual([]);
  });

  it('a collaborator with write (or admin) access starts a run', async () => {
    const res = await send('carol');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'accepted', message: 'follow-up run started' });
    expect((await send('adam')).status).toBe(200);
    expect(t.followUps.map((f) => [f.taskId, f.prNumber, f.author])).toEqual([
      ['1', pr, 'carol'],
      ['1', pr, 'adam'],
    ]);
  });

  it('fails closed with 503 while the permission cannot be looked up, and runs on the retry', async () => {
    t.followUps.length = 0;
    // Every attempt of the lookup (the first and the client's retries) meets a 503.
    const outage = fake.injectFault({ path: /\/collaborators\/carol\/permission$/, status: 503, times: 4 });
    const delivery = comment('gitea', 'acme/widgets', pr, 'carol');
    const down = await t.deliver(delivery);
    expect(down.status).toBe(503);
    expect(outage.remaining()).toBe(0);
    expect(t.followUps).toEqual([]);
    // Gitea re-sends the same delivery; the failed attempt was not recorded as processed.
    const retried = await t.deliver(delivery);
    expect(retried.status).toBe(200);
    expect(t.followUps.map((f) => f.author)).toEqual(['carol']);
  }, 60_000);
});

describe('webhook.allowedCommenters narrows who may start runs', () => {
  let fake: FakeGitea;
  let t: AppUnderTest;
  let pr: number;
  const send = (login: string) => t.deliver(comment('gitea', 'acme/widgets', pr, login));

  beforeAll(async () => {
    fake = await startFakeGitea({ token: TOKENS.gitea, orgs: ['acme'] });
    await fake.addRepo('acme', 'widgets', { ownerIsOrg: true });
    fake.setPermission('acme', 'widgets', 'carol', 'write');
    fake.setPermission('acme', 'widgets', 'Dave', 'write');
    fake.setPermission('acme', 'widgets', 'erin', 'read');
    t = await startApp(
      { type: 'gitea', url: fake.url, owner: 'acme', repo: 'widgets' },
      { webhook: { allowedCommenters: ['dave', 'erin'] } },
    );
    pr = await openTaskPr(t, '1');
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('a writer not on the list starts no run; a listed writer does; a listed reader does not', async () => {
    expect((await send('carol')).body.status).toBe('ignored');
    expect((await send('Dave')).body.status).toBe('accepted');
    expect((await send('erin')).body.status).toBe('ignored');
    expect(t.followUps.map((f) => f.author)).toEqual(['Dave']);
    expect(fake.violations).toEqual([]);
  });
});

describe('GitHub: the comment’s author_association decides', () => {
  let fake: FakeGitHub;
  let t: AppUnderTest;
  let pr: number;
  const send = (login: string, association: string) =>
    t.deliver(comment('github', 'acme/widgets', pr, login, { association }));

  beforeAll(async () => {
    fake = await startFakeGitHub({ token: TOKENS.github, orgs: ['acme'] });
    await fake.addRepo('acme', 'widgets', { ownerIsOrg: true });
    t = await startApp({ type: 'github', url: fake.url, owner: 'acme', repo: 'widgets' });
    pr = await openTaskPr(t, '1');
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('NONE and CONTRIBUTOR start no run; each gets one reply', async () => {
    expect((await send('mallory', 'NONE')).body.status).toBe('ignored');
    expect((await send('mallory', 'NONE')).body.status).toBe('ignored');
    expect((await send('connie', 'CONTRIBUTOR')).body.status).toBe('ignored');
    expect((await send('fiona', 'FIRST_TIME_CONTRIBUTOR')).body.status).toBe('ignored');
    expect(t.followUps).toEqual([]);
    const replies = fake.state.repos.get('acme/widgets')?.pulls.find((p) => p.number === pr)?.comments ?? [];
    expect(replies).toHaveLength(3);
    for (const r of replies) expect(r.body).not.toContain('AKIA');
  });

  it('OWNER, MEMBER and COLLABORATOR start a run', async () => {
    for (const [login, association] of [
      ['olivia', 'OWNER'],
      ['mike', 'MEMBER'],
      ['cora', 'COLLABORATOR'],
    ] as const) {
      expect((await send(login, association)).body.status, association).toBe('accepted');
    }
    expect(t.followUps.map((f) => f.author)).toEqual(['olivia', 'mike', 'cora']);
  });
});

describe('GitLab: the member access level decides', () => {
  let fake: FakeGitLab;
  let t: AppUnderTest;
  let pr: number;
  const send = (login: string, userId: number) =>
    t.deliver(comment('gitlab', 'acme/app', pr, login, { userId }));

  beforeAll(async () => {
    fake = await startFakeGitLab({ token: TOKENS.gitlab, groups: ['acme'] });
    const project = await fake.addProject('acme', 'app');
    project.members.push(
      { userId: 20, username: 'reese', accessLevel: 20 },
      { userId: 30, username: 'devon', accessLevel: 30 },
      { userId: 40, username: 'mae', accessLevel: 40 },
    );
    t = await startApp({ type: 'gitlab', url: fake.url, owner: 'acme', repo: 'app' });
    pr = await openTaskPr(t, '1');
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('a non-member and a Reporter (20) start no run', async () => {
    expect((await send('mallory', 99)).body.status).toBe('ignored');
    expect((await send('reese', 20)).body.status).toBe('ignored');
    expect(t.followUps).toEqual([]);
    const notes = fake.state.projects[0]?.mergeRequests.find((m) => m.iid === pr)?.notes ?? [];
    expect(notes).toHaveLength(2);
    for (const n of notes) expect(n.body).not.toContain('AKIA');
  });

  it('a Developer (30) and a Maintainer (40) start a run', async () => {
    expect((await send('devon', 30)).body.status).toBe('accepted');
    expect((await send('mae', 40)).body.status).toBe('accepted');
    expect(t.followUps.map((f) => f.author)).toEqual(['devon', 'mae']);
  });
});
