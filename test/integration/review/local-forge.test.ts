import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderContents, gitOut, runCli, writeTask } from '../../helpers/project.js';
import {
  failedReport,
  fakeOllamaPerTest,
  finding,
  REVIEW_MODEL,
  reply,
  reviewAppsClosedAfterEach,
  reviewConfig,
  reviewRequests,
  runAll,
} from './support.js';

/*
 * The code review through the real app on the local forge: a command agent makes the
 * change, the fake Ollama plays the review model with scripted structured replies.
 */

const newFake = fakeOllamaPerTest();
const open = reviewAppsClosedAfterEach();

describe('code review on the local forge', () => {
  it('comment: opens the PR with the findings table and line comments, which `pr show` prints', async () => {
    const fake = await newFake();
    fake.enqueueReply(
      REVIEW_MODEL,
      reply([
        finding(),
        finding({ severity: 'info', category: 'style', line: null, message: 'Plain text file' }),
      ]),
    );
    const { app, root, reviews } = await open(reviewConfig(fake, { codeReview: { onCritical: 'comment' } }));
    writeTask(root, '1', { title: 'Greet' });
    await runAll(app);

    const [body] = reviewRequests(fake);
    expect(body?.format).toMatchObject({ type: 'object', properties: { findings: { type: 'array' } } });
    expect(body?.options).toMatchObject({ temperature: 0, num_ctx: 8192 });
    const pr = app.store.listPullRequests()[0]!;
    expect(pr.body).toContain('### Code review');
    expect(pr.body).toContain(
      '| 🟠 major | bugs | `greet.txt:1` | The greeting is wrong | Write "hello, fixed" |',
    );
    expect(pr.body).toContain('- Code review: 2 finding(s) in 1 round(s)');
    expect(app.store.listReviewComments(pr.number)).toEqual([
      { path: 'greet.txt', line: 1, body: expect.stringContaining('The greeting is wrong') },
    ]);
    expect(reviews).toEqual([
      expect.objectContaining({
        status: 'ok',
        round: 1,
        model: REVIEW_MODEL,
        findings: { critical: 0, major: 1, minor: 0, info: 1 },
      }),
    ]);
    const shown = await runCli(['pr', 'show', String(pr.number)], { cwd: root });
    expect(shown.stdout).toContain('--- review comments (1) ---');
    expect(shown.stdout).toContain('greet.txt:1: 🟠 **major** (bugs): The greeting is wrong');
  });

  it('hold: labels the PR needs-attention, never auto-merges, and the task stays in review/', async () => {
    const fake = await newFake();
    fake.enqueueReply(REVIEW_MODEL, reply([finding()]));
    const { app, root } = await open(reviewConfig(fake, { codeReview: { onCritical: 'hold' } }));
    writeTask(root, '2', { title: 'Greet' });
    await runAll(app);
    const pr = app.store.listPullRequests()[0]!;
    expect(pr.labels).toContain('needs-attention');
    expect(pr.state).toBe('open');
    expect(pr.body).toContain('Not auto-merged: the code review holds it: 1 open finding(s)');
    expect(folderContents(root).review).toEqual(['task-2 - Greet.md']);
  });

  it('fix: the agent gets the counted findings, the second review is clean, and the fixed change is merged', async () => {
    const fake = await newFake();
    fake.enqueueReply(
      REVIEW_MODEL,
      reply([finding(), finding({ severity: 'minor', message: 'Not counted at medium' })]),
    );
    fake.enqueueReply(REVIEW_MODEL, reply([]));
    const { app, root, remote, reviews } = await open(
      reviewConfig(fake, { codeReview: { onCritical: 'fix', maxFixRounds: 2 } }),
    );
    writeTask(root, '3', { title: 'Greet' });
    await runAll(app);

    const prompt = readFileSync(path.join(root, 'repos/prompts/task-3.md'), 'utf8');
    expect(prompt).toContain('greet.txt:1: The greeting is wrong');
    expect(prompt).not.toContain('Not counted at medium');
    const second = JSON.stringify(reviewRequests(fake)[1]?.messages);
    expect(second).toContain('+hello, fixed');
    expect(reviews.map((r) => [r.round, r.findings.major])).toEqual([
      [1, 1],
      [2, 0],
    ]);
    const pr = app.store.listPullRequests()[0]!;
    expect(pr.body).toContain('No findings.');
    expect(pr.body).toContain('in 2 round(s)');
    expect(pr.state).toBe('merged');
    expect(gitOut(['show', 'main:greet.txt'], remote)).toBe('hello, fixed');
  });

  it('fix: what the rounds leave open is reported as in comment', async () => {
    const fake = await newFake();
    fake.setResponder(() => reply([finding({ message: 'Still wrong' })]));
    const { app, root, reviews } = await open(
      reviewConfig(fake, { codeReview: { onCritical: 'fix', maxFixRounds: 1 } }),
    );
    writeTask(root, '4', { title: 'Greet' });
    await runAll(app);
    expect(reviews.map((r) => r.round)).toEqual([1, 2]);
    const pr = app.store.listPullRequests()[0]!;
    expect(pr.body).toContain('| 🟠 major | bugs | `greet.txt:1` | Still wrong |');
    expect(app.store.listReviewComments(pr.number)).toHaveLength(1);
  });

  it('blockOnCritical: an open critical finding fails the task (errorType review), opens no PR and pushes nothing', async () => {
    const fake = await newFake();
    fake.setResponder(() =>
      reply([finding({ severity: 'critical', category: 'security', message: 'Greets strangers' })]),
    );
    const { app, root, remote } = await open(
      reviewConfig(fake, { codeReview: { onCritical: 'comment', blockOnCritical: true } }),
    );
    writeTask(root, '5', { title: 'Greet' });
    await runAll(app);
    expect(folderContents(root).failed).toEqual(['task-5 - Greet.md']);
    const report = failedReport(root);
    expect(report).toMatchObject({
      code: 'REVIEW_BLOCKED',
      errorType: 'review',
      retryable: false,
      stage: 'review',
    });
    expect(report.findings).toEqual([
      expect.objectContaining({ severity: 'critical', file: 'greet.txt', line: 1 }),
    ]);
    expect(String(report.error)).toContain('greet.txt:1 (security) Greets strangers');
    expect(app.store.listPullRequests()).toEqual([]);
    expect(() => gitOut(['rev-parse', '--verify', 'task-5'], remote)).toThrow();
  });

  it('repairs an invalid reply and uses the corrected one', async () => {
    const fake = await newFake();
    fake.enqueueReply(REVIEW_MODEL, { content: '{"findings":[{"severity":"blocker"}]}' });
    fake.enqueueReply(REVIEW_MODEL, reply([finding({ severity: 'minor' })]));
    const { app, root } = await open(reviewConfig(fake, { codeReview: { onCritical: 'comment' } }));
    writeTask(root, '6', { title: 'Greet' });
    await runAll(app);
    expect(reviewRequests(fake)).toHaveLength(2);
    const pr = app.store.listPullRequests()[0]!;
    expect(pr.body).toContain('| 🟡 minor | bugs | `greet.txt:1` |');
    expect(pr.body).not.toContain('Review unavailable');
  });

  it('an invalid reply twice reads "review unavailable", never "no findings", and blocks auto-merge', async () => {
    const fake = await newFake();
    fake.setResponder(() => ({ content: 'LGTM, ship it!' }));
    const { app, root, reviews } = await open(reviewConfig(fake, { codeReview: { onCritical: 'fix' } }));
    writeTask(root, '7', { title: 'Greet' });
    await runAll(app);
    const pr = app.store.listPullRequests()[0]!;
    expect(pr.body).toContain("⚠️ Review unavailable: the review model's reply was invalid twice");
    expect(pr.body).not.toContain('No findings');
    expect(pr.body).toContain('Not auto-merged: the code review is unavailable');
    expect(pr.state).toBe('open');
    expect(folderContents(root).review).toEqual(['task-7 - Greet.md']);
    expect(reviews).toEqual([
      expect.objectContaining({ status: 'unavailable', error: expect.stringContaining('invalid twice') }),
    ]);
  });

  it('a review that times out is unavailable (hold labels it)', async () => {
    const fake = await newFake();
    fake.injectFault({ kind: 'hang' }, { paths: ['/api/chat'] });
    const { app, root, reviews } = await open(
      reviewConfig(fake, { codeReview: { onCritical: 'hold', timeoutMs: 700 } }),
    );
    writeTask(root, '8', { title: 'Greet' });
    await runAll(app);
    const pr = app.store.listPullRequests()[0]!;
    expect(pr.body).toContain('⚠️ Review unavailable: timed out after 700 ms (codeReview.timeoutMs)');
    expect(pr.labels).toContain('needs-attention');
    expect(pr.state).toBe('open');
    expect(reviews[0]).toMatchObject({ status: 'unavailable' });
  });

  it('splits a large change into several review requests and merges their findings', async () => {
    const fake = await newFake();
    fake.addModel({ name: 'small-ctx:1b', contextLength: 4096, capabilities: ['completion'] });
    fake.setResponder((req) => {
      const user = req.messages.find((m) => m.role === 'user')?.content ?? '';
      const file = /files: ([^,)]+)/.exec(user)?.[1] ?? 'unknown';
      return reply([
        finding({ severity: 'info', category: 'style', file, line: 1, message: `seen ${file}` }),
      ]);
    });
    const big = (name: string) =>
      `i=0; while [ $i -lt 150 ]; do echo "line $i of ${name} with some padding text" >> ${name}; i=$((i+1)); done;`;
    const { app, root } = await open(
      reviewConfig(fake, {
        agent: { command: `${big('a.txt')} ${big('b.txt')} ${big('c.txt')} echo hi > greet.txt` },
        codeReview: { model: 'small-ctx:1b', onCritical: 'comment' },
      }),
    );
    writeTask(root, '9', { title: 'Big' });
    await runAll(app);
    const requests = reviewRequests(fake);
    expect(requests.length).toBeGreaterThanOrEqual(3);
    expect(requests.every((r) => (r.options as { num_ctx: number }).num_ctx === 4096)).toBe(true);
    const pr = app.store.listPullRequests()[0]!;
    for (const f of ['a.txt', 'b.txt', 'c.txt']) expect(pr.body).toContain(`seen ${f}`);
  });

  it('a repeated review of the same change is served from the response cache', async () => {
    const fake = await newFake();
    fake.enqueueReply(REVIEW_MODEL, reply([finding()]));
    const { app, root } = await open(reviewConfig(fake, { codeReview: { onCritical: 'hold' } }));
    const lookups: boolean[] = [];
    app.events.on('cache.lookup', (e) => {
      if (e.purpose === 'review') lookups.push(e.hit);
    });
    writeTask(root, '10', { title: 'Greet', description: 'Say hello' });
    writeTask(root, '11', { title: 'Greet', description: 'Say hello' });
    // hold: neither PR is merged, so both changes start from the same main and diff alike.
    await runAll(app);
    expect(reviewRequests(fake)).toHaveLength(1);
    expect(lookups).toEqual([false, true]);
    const bodies = app.store.listPullRequests().map((p) => p.body);
    expect(bodies).toHaveLength(2);
    for (const b of bodies)
      expect(b).toContain('| 🟠 major | bugs | `greet.txt:1` | The greeting is wrong |');
  });

  it('a fix round cannot slip past the secret scan: a token it adds fails the task and nothing is pushed', async () => {
    const fake = await newFake();
    fake.setResponder(() => reply([finding()]));
    const token = `ghp_${'Q7'.repeat(18)}`;
    const agent = `if [ -n "$TP_FOLLOW_UP" ]; then echo 'const t = "${token}";' > greet.txt; else echo hello > greet.txt; fi`;
    const { app, root, remote } = await open(
      reviewConfig(fake, { agent: { command: agent }, codeReview: { onCritical: 'fix', maxFixRounds: 1 } }),
    );
    writeTask(root, '12', { title: 'Greet' });
    await runAll(app);
    // Reviewed once, then the fix round's token stopped the run before a second review.
    expect(reviewRequests(fake)).toHaveLength(1);
    expect(failedReport(root)).toMatchObject({ code: 'SECRET_DETECTED' });
    expect(app.store.listPullRequests()).toEqual([]);
    expect(() => gitOut(['rev-parse', '--verify', 'task-12'], remote)).toThrow();
  });
});
