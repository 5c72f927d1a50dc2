import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TpError } from '../../../src/errors/index.js';
import { GitLabForge } from '../../../src/forges/gitlab/index.js';
import { numberedLines, seedBranches } from '../../fixtures/fake-github/seed-branches.js';
import { TypeContract } from '../../fixtures/fake-github/type-contract.js';
import { type FakeGitLab, reviewRoutes, startFakeGitLab } from '../../fixtures/fake-gitlab/index.js';
import { type GitHttpServer, startGitHttpServer } from '../../fixtures/git-http/index.js';

const TOKEN = 'glpat-reviewToken0123456789';

const CONTRACT_SOURCE = `
import type * as G from '@gitbeaker/rest';
export type Discussion = G.DiscussionSchema;
export type DiscussionList = G.DiscussionSchema[];
export type Diffs = G.MergeRequestDiffSchema[];
export type MergeRequest = G.ExpandedMergeRequestSchema;
export type ErrorBody = { message: string | string[] | Record<string, string[]> } | { error: string };
`;
const ROUTE_TYPES: Record<string, string> = {
  'POST /projects/:id/merge_requests/:iid/discussions': 'Discussion',
  'GET /projects/:id/merge_requests/:iid/discussions': 'DiscussionList',
  'GET /projects/:id/merge_requests/:iid/diffs': 'Diffs',
};

describe('GitLabForge.addReview against the fake GitLab with a real diff', () => {
  let gitServer: GitHttpServer;
  let fake: FakeGitLab;
  let headSha = '';
  let iid = 0;

  const forge = () =>
    new GitLabForge({
      baseUrl: fake.url,
      token: TOKEN,
      projectPath: 'acme/shop',
      retry: { maxRetries: 1, initialDelayMs: 5, maxDelayMs: 10 },
    });
  const mr = () =>
    fake.state.projects.find((p) => p.path === 'shop')?.mergeRequests.find((m) => m.iid === iid);
  const discussionPosts = () =>
    fake.requests.filter((r) => r.route === 'POST /projects/:id/merge_requests/:iid/discussions');

  beforeAll(async () => {
    gitServer = await startGitHttpServer({ token: TOKEN });
    fake = await startFakeGitLab({ token: TOKEN, groups: ['acme'], gitBackend: gitServer });
    await fake.addProject('acme', 'shop');
    const f = forge();
    const seeded = await seedBranches({
      remote: await f.remoteUrl(),
      header: f.pushAuth().header ?? '',
      head: 'task-9',
      baseFiles: { 'src/app.ts': numberedLines(40) },
      headFiles: { 'src/app.ts': numberedLines(40, { 20: 'changed 20' }), 'src/new.ts': numberedLines(3) },
    });
    headSha = seeded.headSha;
    iid = (
      await f.openPullRequest({
        title: '[Task 9] x',
        body: 'b',
        head: 'task-9',
        base: 'main',
        labels: ['ticket-processor', 'needs-attention'],
        taskId: '9',
      })
    ).number;
  });

  afterAll(async () => {
    await fake?.close();
    await gitServer?.close();
  });

  it('opens the MR with the needs-attention label (GitLab creates labels given on an MR)', () => {
    expect(mr()?.labels).toEqual(['ticket-processor', 'needs-attention']);
  });

  it('starts a discussion per line with diff_refs positions; unchanged lines carry both numbers', async () => {
    await forge().addReview(iid, {
      body: 'Summary',
      commitSha: headSha,
      comments: [
        { path: 'src/app.ts', line: 20, body: 'added line note' },
        { path: 'src/app.ts', line: 18, body: 'context line note' },
        { path: 'src/new.ts', line: 2, body: 'new file note' },
        { path: 'src/app.ts', line: 3, body: 'outside the diff' },
        { path: 'go.mod', line: undefined, body: 'file-level note' },
      ],
    });
    const ds = mr()?.discussions ?? [];
    const refs = mr()?.diffRefs;
    expect(refs?.head_sha).toBe(headSha);
    expect(ds.map((d) => [d.position?.new_path, d.position?.new_line, d.position?.old_line, d.body])).toEqual(
      [
        ['src/app.ts', 20, null, 'added line note'],
        ['src/app.ts', 18, 18, 'context line note'],
        ['src/new.ts', 2, null, 'new file note'],
      ],
    );
    expect(ds[0]?.position).toMatchObject({ ...refs, position_type: 'text' });
    // The line outside the diff was never sent: the MR's diff showed it is not there.
    expect(discussionPosts()).toHaveLength(3);
    const summary = mr()?.notes.at(-1)?.body ?? '';
    for (const text of ['Summary', '`src/app.ts` line 3', 'outside the diff', '`go.mod`', 'file-level note'])
      expect(summary).toContain(text);
  });

  it('a discussion GitLab refuses (400) goes into the summary note, the others stay on their lines', async () => {
    const before = mr()?.discussions?.length ?? 0;
    fake.injectFault({
      method: 'POST',
      path: /\/discussions$/,
      status: 400,
      times: 1,
      body: { message: 'line_code invalid' },
    });
    await forge().addReview(iid, {
      body: 'Again',
      commitSha: headSha,
      comments: [
        { path: 'src/app.ts', line: 20, body: 'refused one' },
        { path: 'src/app.ts', line: 21, body: 'placed one' },
      ],
    });
    const added = (mr()?.discussions ?? []).slice(before);
    expect(added.map((d) => d.body)).toEqual(['placed one']);
    const summary = mr()?.notes.at(-1)?.body ?? '';
    expect(summary).toContain('Again');
    expect(summary).toContain('refused one');
    expect(summary).not.toContain('placed one');
  });

  it('folds everything when the review was written for another commit than the MR head', async () => {
    const before = mr()?.discussions?.length ?? 0;
    await forge().addReview(iid, {
      body: 'Stale',
      commitSha: 'f'.repeat(40),
      comments: [{ path: 'src/app.ts', line: 20, body: 'moved line' }],
    });
    expect(mr()?.discussions?.length).toBe(before);
    expect(mr()?.notes.at(-1)?.body).toContain('moved line');
  });

  it('auth failures reach the caller', async () => {
    fake.injectFault({ method: 'POST', path: /\/discussions$/, status: 403, times: 1 });
    const err = await forge()
      .addReview(iid, {
        body: 'x',
        commitSha: headSha,
        comments: [{ path: 'src/app.ts', line: 20, body: 'y' }],
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(TpError.isInstance(err) && err.code).toBe('FORGE_AUTH');
  });

  it('review answers satisfy the gitbeaker schema types', { timeout: 240_000 }, async () => {
    const res = await fetch(`${fake.url}/api/v4/projects/acme%2Fshop/merge_requests/${iid}/discussions`, {
      headers: { 'PRIVATE-TOKEN': TOKEN },
    });
    expect(res.status).toBe(200);
    const contract = new TypeContract(CONTRACT_SOURCE);
    expect(Object.keys(ROUTE_TYPES).sort()).toEqual(
      reviewRoutes.map((r) => `${r.method} ${r.pattern}`).sort(),
    );
    const problems: unknown[] = [];
    const seen = new Set<string>();
    for (const req of fake.requests) {
      if (!req.route || req.fault) continue;
      const name =
        req.status >= 400
          ? 'ErrorBody'
          : req.route === 'GET /projects/:id/merge_requests/:iid'
            ? 'MergeRequest'
            : ROUTE_TYPES[req.route];
      if (!name) continue;
      if (req.status < 400) seen.add(req.route);
      for (const p of contract.check(name, req.responseBody)) problems.push({ route: req.route, ...p });
    }
    expect(problems).toEqual([]);
    expect([...seen].sort()).toEqual(
      [...Object.keys(ROUTE_TYPES), 'GET /projects/:id/merge_requests/:iid'].sort(),
    );
  });
});
