import { randomUUID } from 'node:crypto';
import { renameSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeGitea, startFakeGitea } from '../fixtures/fake-gitea/index.js';
import { folderContents } from '../helpers/project.js';
import {
  type AppUnderTest,
  commentDelivery,
  giteaMergedDelivery,
  putInReview,
  sign,
  startApp,
  TOKENS,
} from './webhook-harness.js';

/*
 * Finding 6: the replay check keyed on the delivery header alone, so a captured, signed
 * comment re-sent under a new delivery id started a second follow-up run. Deliveries are now
 * also recognised by their body and by the payload's own ids (comment id; pull request id,
 * action and time), and a delivery without an id is refused.
 */

describe('a replayed delivery with a new delivery id', () => {
  let fake: FakeGitea;
  let t: AppUnderTest;
  let pr: number;

  beforeAll(async () => {
    fake = await startFakeGitea({ token: TOKENS.gitea, orgs: ['acme'] });
    await fake.addRepo('acme', 'widgets', { ownerIsOrg: true });
    fake.setPermission('acme', 'widgets', 'carol', 'write');
    t = await startApp({ type: 'gitea', url: fake.url, owner: 'acme', repo: 'widgets' });
    pr = (
      await t.app.forge.openPullRequest({
        title: '[Task 1] Widgets',
        body: '',
        head: 'task-1',
        base: 'main',
        labels: [],
        taskId: '1',
      })
    ).number;
    putInReview(t, '1', pr, 'Widgets');
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const spec = (commentId: number, body = '@ticket-processor rename the widget') => ({
    prNumber: pr,
    title: '[Task 1] Widgets',
    body,
    login: 'carol',
    commentId,
    repository: 'acme/widgets',
  });

  it('starts one follow-up run for the same signed comment sent twice', async () => {
    const first = commentDelivery('gitea', spec(8001));
    expect((await t.deliver(first)).status).toBe(200);
    const replay = { body: first.body, headers: { ...first.headers, 'x-gitea-delivery': randomUUID() } };
    const again = await t.deliver(replay);
    expect(again.status).toBe(202);
    expect(again.body.status).toBe('duplicate');
    expect(t.followUps).toHaveLength(1);
  });

  it('starts no second run for the same comment id in a re-serialised, re-signed body', async () => {
    // What a forge's own redelivery can look like: other bytes, same comment.
    const again = commentDelivery('gitea', spec(8001, '@ticket-processor rename the widget '));
    expect((await t.deliver(again)).body.status).toBe('duplicate');
    expect(t.followUps).toHaveLength(1);
    // A new comment is a new event.
    expect((await t.deliver(commentDelivery('gitea', spec(8002)))).status).toBe(200);
    expect(t.followUps).toHaveLength(2);
  });

  it('processes a merge once', async () => {
    putInReview(t, '4', 44, 'Fourth');
    const merged = giteaMergedDelivery({
      prNumber: 44,
      title: '[Task 4] Fourth',
      branch: 'task-4',
      repository: 'acme/widgets',
    });
    expect((await t.deliver(merged)).status).toBe(200);
    // Back in review by hand, as if it had never been merged: a replay must not complete it again.
    const file = folderContents(t.root).completed?.find((f) => f.startsWith('task-4'));
    expect(file).toBeDefined();
    renameSync(path.join(t.root, 'backlog/completed', file!), path.join(t.root, 'backlog/review', file!));
    t.app.store.upsertRun({ taskId: '4', state: 'review' });
    const replay = { body: merged.body, headers: { ...merged.headers, 'x-gitea-delivery': randomUUID() } };
    expect((await t.deliver(replay)).body.status).toBe('duplicate');
    expect(folderContents(t.root).review).toContain(file);
  });

  it('refuses a delivery without a delivery id with 400, for every forge', async () => {
    const noId = commentDelivery('gitea', spec(8003));
    delete noId.headers['x-gitea-delivery'];
    const res = await t.deliver(noId);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/delivery id/i);
    for (const [forge, event] of [
      ['github', 'issue_comment'],
      ['gitlab', 'Note Hook'],
    ] as const) {
      const d = sign(forge, event, { action: 'created', object_kind: 'note' }, null);
      const r = await t.deliver(d);
      expect(r.status, forge).toBe(400);
      expect(r.body.message).toMatch(/delivery id/i);
    }
    expect(t.followUps).toHaveLength(2);
  });
});
