import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TpError } from '../../src/errors/index.js';
import { GiteaForge } from '../../src/forges/gitea/index.js';
import { handlers } from '../fixtures/fake-gitea/handlers.js';
import {
  DEFAULT_SPEC_PATH,
  type FakeGitea,
  GiteaSpecValidator,
  startFakeGitea,
} from '../fixtures/fake-gitea/index.js';

const TOKEN = 'contract-token-0123456789';
const auth = { Authorization: `token ${TOKEN}` };
const json = { ...auth, 'Content-Type': 'application/json' };

describe('fake Gitea validates traffic against the Gitea swagger spec', () => {
  let fake: FakeGitea;

  beforeAll(async () => {
    fake = await startFakeGitea({ token: TOKEN, orgs: ['acme'] });
    await fake.addRepo('acme', 'widgets');
  });
  afterAll(async () => fake?.close());
  beforeEach(() => {
    fake.violations.length = 0;
  });

  const call = (path: string, init: RequestInit = {}) => fetch(`${fake.url}${path}`, init);

  it('answers conforming requests without violations', async () => {
    const version = await call('/api/v1/version');
    expect(version.status).toBe(200);
    expect(await version.json()).toEqual({ version: '1.23.0' });
    const repo = await call('/api/v1/repos/acme/widgets', { headers: auth });
    expect(repo.status).toBe(200);
    const list = await call('/api/v1/repos/acme/widgets/pulls?state=open&page=1&limit=5', { headers: auth });
    expect(list.status).toBe(200);
    const label = await call('/api/v1/repos/acme/widgets/labels', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ name: 'bug', color: '#ee0701' }),
    });
    expect(label.status).toBe(201);
    expect(fake.violations).toEqual([]);
  });

  it('serves collaborator permissions per the spec, and the Gitea forge reads them', async () => {
    fake.setPermission('acme', 'widgets', 'carol', 'write');
    fake.setPermission('acme', 'widgets', 'rita', 'read');
    const res = await call('/api/v1/repos/acme/widgets/collaborators/carol/permission', { headers: auth });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      permission: 'write',
      role_name: 'write',
      user: { login: 'carol' },
    });
    const unknown = await call('/api/v1/repos/acme/widgets/collaborators/nobody/permission', {
      headers: auth,
    });
    expect(unknown.status).toBe(404);
    const forge = new GiteaForge({ baseUrl: fake.url, token: TOKEN, owner: 'acme', repo: 'widgets' });
    expect(await forge.commenterCanTrigger({ author: 'carol' })).toBe(true);
    expect(await forge.commenterCanTrigger({ author: 'rita' })).toBe(false);
    expect(await forge.commenterCanTrigger({ author: 'nobody' })).toBe(false);
    expect(await forge.commenterCanTrigger({ author: 'tp-bot' })).toBe(true);
    fake.injectFault({ path: /\/permission$/, status: 403 });
    await expect(forge.commenterCanTrigger({ author: 'carol' })).rejects.toMatchObject({
      code: 'FORGE_AUTH',
      hint: expect.stringContaining('admin'),
    });
    expect(fake.violations).toEqual([]);
  });

  it('serves pull request reviews per the spec (CreatePullReviewOptions in, PullReview/PullReviewComment out)', async () => {
    const pr = await call('/api/v1/repos/acme/widgets/pulls', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ title: 'review me', head: 'task-r', base: 'main' }),
    });
    const { number } = (await pr.json()) as { number: number };
    const reviews = `/api/v1/repos/acme/widgets/pulls/${number}/reviews`;
    const ok = await call(reviews, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        body: 'summary',
        event: 'COMMENT',
        commit_id: 'a'.repeat(40),
        comments: [{ path: 'a.ts', body: 'here', new_position: 3, old_position: 0 }],
      }),
    });
    expect(ok.status).toBe(200);
    const review = (await ok.json()) as { id: number; state: string; comments_count: number };
    expect(review).toMatchObject({ state: 'COMMENT', comments_count: 1 });
    const listed = await call(`${reviews}?page=1&limit=10`, { headers: auth });
    expect(((await listed.json()) as unknown[]).length).toBe(1);
    const comments = await call(`${reviews}/${review.id}/comments`, { headers: auth });
    expect(await comments.json()).toMatchObject([
      { path: 'a.ts', position: 3, body: 'here', pull_request_review_id: review.id },
    ]);
    expect(fake.violations).toEqual([]);

    // GitHub's field names are not Gitea's: the fake refuses them as the spec does not list them.
    const githubShaped = await call(reviews, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ event: 'COMMENT', comments: [{ path: 'a.ts', body: 'x', line: 3 }] }),
    });
    expect(githubShaped.status).toBe(400);
    const wrongType = await call(reviews, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ event: 'COMMENT', comments: [{ path: 'a.ts', body: 'x', new_position: '3' }] }),
    });
    expect(wrongType.status).toBe(400);
    expect(fake.violations.map((v) => v.reason)).toEqual([
      expect.stringContaining('"line"'),
      expect.stringContaining('new_position must be integer'),
    ]);
    fake.violations.length = 0;

    // Gitea's own rules: COMMENT needs a body or a comment; the author may not approve.
    const empty = await call(reviews, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ event: 'COMMENT' }),
    });
    expect(empty.status).toBe(422);
    const approve = await call(reviews, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ event: 'APPROVED', body: 'lgtm' }),
    });
    expect(approve.status).toBe(422);
    expect((await call(`${reviews}/999999/comments`, { headers: auth })).status).toBe(404);
    expect(fake.violations).toEqual([]);
    // Later cases count pull requests from zero.
    fake.state.prs.splice(0);
    fake.state.reviews.splice(0);
    fake.state.reviewComments.splice(0);
  });

  it('rejects a path the spec lacks', async () => {
    const res = await call('/api/v1/repos/acme/widgets/pull-requests', { headers: auth });
    expect(res.status).toBe(400);
    expect(fake.violations).toMatchObject([
      { kind: 'request', reason: expect.stringContaining('not in the spec') },
    ]);
  });

  it('rejects a method the spec lacks for a known path', async () => {
    const res = await call('/api/v1/version', { method: 'DELETE' });
    expect(res.status).toBe(400);
    expect(fake.violations[0]?.reason).toMatch(/method DELETE is not defined/);
  });

  it('rejects a body field the spec lacks, naming it', async () => {
    const res = await call('/api/v1/repos/acme/widgets/pulls', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ title: 't', head: 'a', base: 'main', draft: true }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain('"draft"');
    expect(fake.violations).toHaveLength(1);
    expect(fake.state.prs).toHaveLength(0);
  });

  it('rejects a body of the wrong type, a missing required field, a body where none is allowed, a non-JSON content type', async () => {
    const wrongType = await call('/api/v1/repos/acme/widgets/pulls', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ title: 't', head: 'a', base: 'main', labels: ['bug'] }),
    });
    expect(wrongType.status).toBe(400);
    const missing = await call('/api/v1/repos/acme/widgets/pulls/1/merge', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ delete_branch_after_merge: true }),
    });
    expect(missing.status).toBe(400);
    const bodyWhereNone = await call('/api/v1/repos/acme/widgets/issues/1/labels', {
      method: 'DELETE',
      headers: json,
      body: JSON.stringify({ labels: [1] }),
    });
    expect(bodyWhereNone.status).toBe(400);
    const notJson = await call('/api/v1/repos/acme/widgets/pulls/1/merge', {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'text/plain' },
      body: JSON.stringify({ Do: 'merge' }),
    });
    expect(notJson.status).toBe(400);
    expect(fake.violations.map((v) => v.reason)).toEqual([
      expect.stringContaining('body/labels/0 must be integer'),
      expect.stringContaining("must have required property 'Do'"),
      expect.stringContaining('takes no request body'),
      expect.stringContaining('not application/json'),
    ]);
  });

  it('rejects unknown query parameters and badly typed path parameters', async () => {
    expect((await call('/api/v1/repos/acme/widgets/pulls?per_page=5', { headers: auth })).status).toBe(400);
    expect((await call('/api/v1/repos/acme/widgets/pulls?state=merged', { headers: auth })).status).toBe(400);
    expect((await call('/api/v1/repos/acme/widgets/pulls/abc', { headers: auth })).status).toBe(400);
    expect(fake.violations.map((v) => v.reason)).toEqual([
      expect.stringContaining('"per_page" is not defined'),
      expect.stringContaining('allowed values'),
      expect.stringContaining('index="abc" is not an integer'),
    ]);
  });

  it('catches its own responses when they stray from the spec (500 + violation)', async () => {
    const repo = fake.state.repos.get('acme/widgets');
    if (!repo) throw new Error('fixture repo missing');
    const saved = repo.defaultBranch;
    (repo as { defaultBranch: unknown }).defaultBranch = 42;
    try {
      const res = await call('/api/v1/repos/acme/widgets', { headers: auth });
      expect(res.status).toBe(500);
      expect(fake.violations).toMatchObject([
        { kind: 'response', reason: expect.stringContaining('default_branch') },
      ]);
    } finally {
      repo.defaultBranch = saved;
    }
  });

  it('fails the real client when it sends a field the spec lacks', async () => {
    const smuggle: typeof fetch = (input, init) => {
      const body =
        typeof init?.body === 'string'
          ? JSON.stringify({ ...JSON.parse(init.body), draft: false })
          : init?.body;
      return fetch(input, { ...init, body });
    };
    const forge = new GiteaForge({
      baseUrl: fake.url,
      token: TOKEN,
      owner: 'acme',
      repo: 'widgets',
      fetch: smuggle,
      retry: { maxRetries: 0 },
    });
    const err = await forge.comment(1, 'hello').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(TpError.isInstance(err) && err.code).toBe('FORGE_BAD_REQUEST');
    expect(fake.violations[0]?.reason).toContain('"draft"');
  });

  it('validator: response schemas, undeclared statuses and declared empty bodies', () => {
    const v = new GiteaSpecValidator();
    const op = v.match('POST', '/api/v1/repos/o/r/pulls/3/merge');
    if ('error' in op) throw new Error(op.error);
    expect(v.validateResponse(op, 200, undefined)).toEqual([]);
    expect(v.validateResponse(op, 200, { merged: true })).toEqual([
      expect.stringContaining('declares no body'),
    ]);
    expect(v.validateResponse(op, 201, undefined)).toEqual([
      expect.stringContaining('status 201 is not declared'),
    ]);
    expect(v.validateResponse(op, 503, { message: 'down', url: 'x' })).toEqual([]);
    expect(v.validateResponse(op, 503, { message: 'down', trace: 'x' })).toHaveLength(1);
    const pulls = v.match('GET', '/api/v1/repos/o/r/pulls');
    if ('error' in pulls) throw new Error(pulls.error);
    expect(v.validateResponse(pulls, 200, [{ number: 1, state: 'open', head: { ref: 'x' } }])).toEqual([]);
    expect(v.validateResponse(pulls, 200, [{ number: '1' }])).toEqual([expect.stringContaining('/0/number')]);
  });

  it('implements only operations that exist in the spec', () => {
    const spec = JSON.parse(readFileSync(DEFAULT_SPEC_PATH, 'utf8')) as {
      paths: Record<string, Record<string, unknown>>;
    };
    for (const key of Object.keys(handlers)) {
      const [method = '', template = ''] = key.split(' ');
      expect(spec.paths[template]?.[method.toLowerCase()], key).toBeDefined();
    }
  });
});
