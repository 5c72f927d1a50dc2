import { describe, expect, it } from 'vitest';
import { gitOut, writeTask } from '../../helpers/project.js';
import {
  fakeOllamaPerTest,
  finding,
  REVIEW_MODEL,
  reply,
  reviewAppsClosedAfterEach,
  reviewConfig,
  reviewRequests,
  runAll,
} from './support.js';

/* Follow-up runs (a reviewer's PR comment) go through the same change stages: they are reviewed too. */

const newFake = fakeOllamaPerTest();
const open = reviewAppsClosedAfterEach();

describe('code review of follow-up runs', () => {
  it('reviews the follow-up change, replies with the review and puts its findings on the lines', async () => {
    const fake = await newFake();
    fake.enqueueReply(REVIEW_MODEL, reply([]));
    fake.enqueueReply(REVIEW_MODEL, reply([finding({ severity: 'minor', message: 'Comma looks odd' })]));
    const { app, root, reviews } = await open(
      reviewConfig(fake, { codeReview: { onCritical: 'comment' }, webhook: { autoMergePR: false } }),
    );
    writeTask(root, '1', { title: 'Greet' });
    await runAll(app);
    const pr = app.store.listPullRequests()[0]!;
    expect(await app.startFollowUp('1', pr.number, 'say it with a comma', 'alice')).toBe(true);
    await app.followUpsIdle();

    expect(reviewRequests(fake)).toHaveLength(2);
    expect(JSON.stringify(reviewRequests(fake)[1]?.messages)).toContain('+hello, fixed');
    expect(reviews.map((r) => r.findings.minor)).toEqual([0, 1]);
    const replyText = app.store.listComments(pr.number).at(-1)!;
    expect(replyText).toContain('ticket-processor: pushed');
    expect(replyText).toContain('| 🟡 minor | bugs | `greet.txt:1` | Comma looks odd |');
    expect(app.store.listReviewComments(pr.number)).toEqual([
      { path: 'greet.txt', line: 1, body: expect.stringContaining('Comma looks odd') },
    ]);
  });

  it('a blocked follow-up pushes nothing and says it stopped at the code review', async () => {
    const fake = await newFake();
    fake.enqueueReply(REVIEW_MODEL, reply([]));
    fake.enqueueReply(
      REVIEW_MODEL,
      reply([finding({ severity: 'critical', category: 'security', message: 'Leaks data' })]),
    );
    const { app, root, remote } = await open(
      reviewConfig(fake, {
        codeReview: { onCritical: 'comment', blockOnCritical: true },
        webhook: { autoMergePR: false },
      }),
    );
    writeTask(root, '2', { title: 'Greet' });
    await runAll(app);
    const pr = app.store.listPullRequests()[0]!;
    const before = gitOut(['rev-parse', pr.head], remote);
    await app.startFollowUp('2', pr.number, 'change it', 'alice');
    await app.followUpsIdle();
    const replyText = app.store.listComments(pr.number).at(-1)!;
    expect(replyText).toContain('stopped at the code review; nothing was pushed');
    expect(replyText).toContain('greet.txt:1 (security) Leaks data');
    expect(gitOut(['rev-parse', pr.head], remote)).toBe(before);
  });
});
