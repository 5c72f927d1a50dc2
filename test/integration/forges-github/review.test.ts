import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TpError } from '../../../src/errors/index.js';
import { GitHubForge } from '../../../src/forges/github/index.js';
import { type FakeGitHub, reviewRoutes, startFakeGitHub } from '../../fixtures/fake-github/index.js';
import { numberedLines, seedBranches } from '../../fixtures/fake-github/seed-branches.js';
import { TypeContract } from '../../fixtures/fake-github/type-contract.js';
import { type GitHttpServer, startGitHttpServer } from '../../fixtures/git-http/index.js';

const TOKEN = 'ghp_reviewToken0123456789abcdef';

const CONTRACT_SOURCE = `
import type { RestEndpointMethodTypes as T } from '@octokit/rest';
import type { components } from '@octokit/openapi-types';
export type PullsCreateReview = T['pulls']['createReview']['response']['data'];
export type PullsListReviews = T['pulls']['listReviews']['response']['data'];
export type ValidationErrorSimple = components['schemas']['validation-error-simple'];
export type BasicError = components['schemas']['basic-error'];
`;
const ROUTE_TYPES: Record<string, string> = {
  'POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews': 'PullsCreateReview',
  'GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews': 'PullsListReviews',
};

describe('GitHubForge.addReview against the fake GitHub with a real diff', () => {
  let gitServer: GitHttpServer;
  let fake: FakeGitHub;
  let headSha = '';
  let prNumber = 0;

  const forge = () =>
    new GitHubForge({
      baseUrl: fake.apiUrl,
      token: TOKEN,
      owner: 'acme',
      repo: 'shop',
      retry: { maxRetries: 1, initialDelayMs: 5, maxDelayMs: 10 },
    });
  const pull = () => fake.state.repos.get('acme/shop')?.pulls.find((p) => p.number === prNumber);
  const reviewPosts = () =>
    fake.requests.filter((r) => r.route === 'POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews');

  beforeAll(async () => {
    gitServer = await startGitHttpServer({ token: TOKEN });
    fake = await startFakeGitHub({ token: TOKEN, orgs: ['acme'], gitBackend: gitServer });
    await fake.addRepo('acme', 'shop');
    const f = forge();
    const seeded = await seedBranches({
      remote: await f.remoteUrl(),
      header: f.pushAuth().header ?? '',
      head: 'task-8',
      baseFiles: { 'src/app.ts': numberedLines(40) },
      headFiles: { 'src/app.ts': numberedLines(40, { 20: 'changed 20' }), 'src/new.ts': numberedLines(3) },
    });
    headSha = seeded.headSha;
    prNumber = (
      await f.openPullRequest({
        title: '[Task 8] x',
        body: 'b',
        head: 'task-8',
        base: 'main',
        labels: ['needs-attention'],
        taskId: '8',
      })
    ).number;
  });

  afterAll(async () => {
    await fake?.close();
    await gitServer?.close();
  });

  it('labels the PR needs-attention (GitHub creates the missing label)', () => {
    expect(pull()?.labels.map((l) => l.name)).toEqual(['needs-attention']);
    expect(fake.state.repos.get('acme/shop')?.labels.map((l) => l.name)).toEqual(['needs-attention']);
  });

  it('posts a COMMENT review with RIGHT-side line comments on lines of the diff', async () => {
    await forge().addReview(prNumber, {
      body: 'Summary',
      commitSha: headSha,
      comments: [
        // Line 17 is context (3 lines above the change); line 20 is the added one.
        { path: 'src/app.ts', line: 17, body: 'context line note' },
        { path: 'src/app.ts', line: 20, body: 'changed line note' },
        { path: 'src/new.ts', line: 3, body: 'new file note' },
        { path: 'README.md', line: undefined, body: 'file-level note' },
      ],
    });
    const review = pull()?.reviews?.at(-1);
    expect(review).toMatchObject({ state: 'COMMENTED', commitId: headSha });
    expect(review?.comments.map((c) => [c.path, c.line, c.side, c.body])).toEqual([
      ['src/app.ts', 17, 'RIGHT', 'context line note'],
      ['src/app.ts', 20, 'RIGHT', 'changed line note'],
      ['src/new.ts', 3, 'RIGHT', 'new file note'],
    ]);
    expect(review?.body).toContain('Summary');
    expect(review?.body).toContain('`README.md`');
    expect(review?.body).toContain('file-level note');
    expect(reviewPosts().at(-1)?.body).toMatchObject({ event: 'COMMENT', commit_id: headSha });
  });

  it('on 422 for a line outside the diff, posts the whole review as its body once', async () => {
    const postsBefore = reviewPosts().length;
    const reviewsBefore = pull()?.reviews?.length ?? 0;
    await forge().addReview(prNumber, {
      body: 'Second review',
      commitSha: headSha,
      comments: [
        { path: 'src/app.ts', line: 20, body: 'in the diff' },
        { path: 'src/app.ts', line: 2, body: 'outside the diff' },
      ],
    });
    const posts = reviewPosts().slice(postsBefore);
    expect(posts.map((p) => p.status)).toEqual([422, 200]);
    expect(JSON.stringify(posts[0]?.responseBody)).toContain('must be part of the diff');
    expect(posts[1]?.body).toMatchObject({ event: 'COMMENT', comments: [] });
    const added = pull()?.reviews?.slice(reviewsBefore) ?? [];
    expect(added).toHaveLength(1);
    expect(added[0]?.comments).toEqual([]);
    for (const text of [
      'Second review',
      '`src/app.ts` line 20',
      'in the diff',
      '`src/app.ts` line 2',
      'outside the diff',
    ])
      expect(added[0]?.body).toContain(text);
  });

  it('gives a summary to a review that has only line comments (GitHub needs a body for COMMENT)', async () => {
    await forge().addReview(prNumber, {
      body: '',
      comments: [{ path: 'src/new.ts', line: 1, body: 'only a line' }],
    });
    const review = pull()?.reviews?.at(-1);
    expect(review?.body.trim()).not.toBe('');
    expect(review?.comments).toMatchObject([{ path: 'src/new.ts', line: 1, body: 'only a line' }]);
  });

  it('does not fold on auth or server failures: they reach the caller', async () => {
    fake.injectFault({ method: 'POST', path: /\/reviews$/, status: 401, times: 1 });
    const err = await forge()
      .addReview(prNumber, { body: 'x', comments: [{ path: 'src/app.ts', line: 20, body: 'y' }] })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(TpError.isInstance(err) && err.code).toBe('FORGE_AUTH');
  });

  it('review answers satisfy the Octokit response types', { timeout: 240_000 }, async () => {
    const res = await fetch(`${fake.apiUrl}/repos/acme/shop/pulls/${prNumber}/reviews`, {
      headers: { Authorization: `token ${TOKEN}` },
    });
    expect(res.status).toBe(200);
    // Compiling Octokit's typings blocks for seconds: after the HTTP call, so no idle socket is reused.
    const contract = new TypeContract(CONTRACT_SOURCE);
    expect(Object.keys(ROUTE_TYPES).sort()).toEqual(
      reviewRoutes.map((r) => `${r.method} ${r.pattern}`).sort(),
    );
    const problems: unknown[] = [];
    const seen = new Set<string>();
    for (const req of fake.requests) {
      if (!req.route || !(req.route in ROUTE_TYPES) || req.fault) continue;
      // GitHub documents 422 from the review endpoints as validation-error-simple (string errors).
      const name =
        req.status === 422
          ? 'ValidationErrorSimple'
          : req.status >= 400
            ? 'BasicError'
            : ROUTE_TYPES[req.route];
      if (req.status < 400) seen.add(req.route);
      for (const p of contract.check(name ?? 'missing', req.responseBody))
        problems.push({ route: req.route, ...p });
    }
    expect(problems).toEqual([]);
    expect([...seen].sort()).toEqual(Object.keys(ROUTE_TYPES).sort());
  });
});
