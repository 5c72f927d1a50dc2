import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TpError } from '../../../src/errors/index.js';
import { GiteaForge } from '../../../src/forges/gitea/index.js';
import { MAX_REVIEW_TEXT } from '../../../src/forges/review-text.js';
import { type FakeGitea, startFakeGitea } from '../../fixtures/fake-gitea/index.js';
import { numberedLines, seedBranches } from '../../fixtures/fake-github/seed-branches.js';
import { type GitHttpServer, startGitHttpServer } from '../../fixtures/git-http/index.js';

const TOKEN = 'tp-review-token-77c1d0e2a9';
const fastRetry = { maxRetries: 2, initialDelayMs: 5, maxDelayMs: 10 };

describe('GiteaForge.addReview against the spec-validated fake Gitea with a real diff', () => {
  let gitServer: GitHttpServer;
  let fake: FakeGitea;
  let headSha = '';
  let prNumber = 0;

  const forge = () =>
    new GiteaForge({ baseUrl: fake.url, token: TOKEN, owner: 'acme', repo: 'shop', retry: fastRetry });
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${fake.url}/api/v1/repos/acme/shop${path}`, {
      headers: { Authorization: `token ${TOKEN}` },
    });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };
  const reviewsBefore = () => fake.state.reviews.length;

  beforeAll(async () => {
    gitServer = await startGitHttpServer({ token: TOKEN });
    fake = await startFakeGitea({ token: TOKEN, orgs: ['acme'], gitBackend: gitServer });
    await fake.addRepo('acme', 'shop');
    const seeded = await seedBranches({
      remote: gitServer.repoUrl('acme', 'shop'),
      header: `Authorization: token ${TOKEN}`,
      head: 'task-7',
      baseFiles: { 'src/app.ts': numberedLines(30) },
      headFiles: { 'src/app.ts': numberedLines(30, { 10: 'changed 10' }), 'src/new.ts': numberedLines(5) },
    });
    headSha = seeded.headSha;
    const pr = await forge().openPullRequest({
      title: '[Task 7] x',
      body: 'b',
      head: 'task-7',
      base: 'main',
      labels: ['ticket-processor', 'needs-attention'],
      taskId: '7',
    });
    prNumber = pr.number;
  });

  afterEach(() => {
    expect(fake.violations).toEqual([]);
  });

  afterAll(async () => {
    await fake?.close();
    await gitServer?.close();
  });

  it('opens the PR with the needs-attention label, creating the missing label', () => {
    const names = fake.state.labels.map((l) => l.name).sort();
    expect(names).toEqual(['needs-attention', 'ticket-processor']);
    const pr = fake.state.prs.find((p) => p.number === prNumber);
    const attention = fake.state.labels.find((l) => l.name === 'needs-attention');
    expect(pr?.labelIds).toContain(attention?.id);
  });

  it('posts one COMMENT review with comments on their lines; a comment without a line goes in the body', async () => {
    await forge().addReview(prNumber, {
      body: '## Review\n2 findings',
      commitSha: headSha,
      comments: [
        { path: 'src/app.ts', line: 10, body: 'major: off by one' },
        { path: 'src/new.ts', line: 2, body: 'minor: name it better' },
        { path: 'package.json', line: undefined, body: 'critical: vulnerable dependency' },
      ],
    });
    const reviews = await api<{ id: number; state: string; body: string; commit_id: string }[]>(
      `/pulls/${prNumber}/reviews`,
    );
    expect(reviews).toHaveLength(1);
    const review = reviews[0];
    expect(review).toMatchObject({ state: 'COMMENT', commit_id: headSha });
    expect(review?.body).toContain('## Review');
    expect(review?.body).toContain('`package.json`');
    expect(review?.body).toContain('critical: vulnerable dependency');
    const comments = await api<{ path: string; position: number; body: string; diff_hunk: string }[]>(
      `/pulls/${prNumber}/reviews/${review?.id}/comments`,
    );
    expect(comments.map((c) => [c.path, c.position, c.body])).toEqual([
      ['src/app.ts', 10, 'major: off by one'],
      ['src/new.ts', 2, 'minor: name it better'],
    ]);
    expect(comments[0]?.diff_hunk).toContain('+changed 10');
    const sent = fake.requests.filter(
      (r) => r.operation === 'POST /repos/{owner}/{repo}/pulls/{index}/reviews',
    );
    expect(sent.at(-1)?.body).toMatchObject({
      event: 'COMMENT',
      commit_id: headSha,
      comments: [
        { path: 'src/app.ts', new_position: 10, body: 'major: off by one' },
        { path: 'src/new.ts', new_position: 2, body: 'minor: name it better' },
      ],
    });
  });

  it('folds every comment into the body when Gitea refuses a line (past the end of the file), dropping none', async () => {
    const before = reviewsBefore();
    await forge().addReview(prNumber, {
      body: 'Summary',
      commitSha: headSha,
      comments: [
        { path: 'src/app.ts', line: 10, body: 'first finding' },
        { path: 'src/app.ts', line: 999, body: 'second finding' },
      ],
    });
    const refused = fake.requests.filter(
      (r) => r.operation === 'POST /repos/{owner}/{repo}/pulls/{index}/reviews' && r.status === 500,
    );
    expect(refused.length).toBeGreaterThanOrEqual(1);
    const added = fake.state.reviews.slice(before);
    expect(added).toHaveLength(1);
    expect(added[0]?.body).toContain('Summary');
    expect(added[0]?.body).toContain('`src/app.ts` line 10');
    expect(added[0]?.body).toContain('first finding');
    expect(added[0]?.body).toContain('`src/app.ts` line 999');
    expect(added[0]?.body).toContain('second finding');
    expect(fake.state.reviewComments.filter((c) => c.reviewId === added[0]?.id)).toEqual([]);
  });

  it('caps a huge comment and splits a huge folded body into the review plus PR comments', async () => {
    const before = reviewsBefore();
    const commentsBefore = fake.state.comments.length;
    const huge = `start ${'x'.repeat(100_000)} end`;
    const many = Array.from({ length: 30 }, (_, i) => ({
      path: `docs/f${i}.md`,
      line: undefined,
      body: `note-${i} ${'y'.repeat(4_000)}`,
    }));
    await forge().addReview(prNumber, {
      body: 'Large review',
      commitSha: headSha,
      comments: [{ path: 'src/app.ts', line: 11, body: huge }, ...many],
    });
    const review = fake.state.reviews[before];
    const onLine = fake.state.reviewComments.filter((c) => c.reviewId === review?.id);
    expect(onLine).toHaveLength(1);
    expect(onLine[0]?.body.length).toBeLessThanOrEqual(MAX_REVIEW_TEXT);
    expect(onLine[0]?.body.startsWith('start ')).toBe(true);
    expect(onLine[0]?.body).toMatch(/truncated\)$/);
    expect(review?.body.length).toBeLessThanOrEqual(MAX_REVIEW_TEXT);
    const extra = fake.state.comments.slice(commentsBefore).filter((c) => c.issue === prNumber);
    expect(extra.length).toBeGreaterThanOrEqual(1);
    const everything = [review?.body ?? '', ...extra.map((c) => c.body)].join('\n');
    for (let i = 0; i < 30; i++) expect(everything).toContain(`note-${i} `);
  });

  it('posts nothing for an empty review, and does not fold on an auth failure', async () => {
    const before = fake.requests.length;
    await forge().addReview(prNumber, { body: '  ', comments: [] });
    expect(fake.requests.length).toBe(before);

    fake.injectFault({ method: 'POST', path: /\/reviews$/, status: 403, times: 1 });
    const err = await forge()
      .addReview(prNumber, { body: 'x', comments: [{ path: 'src/app.ts', line: 10, body: 'y' }] })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(TpError.isInstance(err) && err.code).toBe('FORGE_AUTH');
    expect(String((err as Error).message)).not.toContain(TOKEN);
  });
});
