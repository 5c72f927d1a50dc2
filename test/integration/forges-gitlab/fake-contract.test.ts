import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitLabForge } from '../../../src/forges/gitlab/index.js';
import { TypeContract } from '../../fixtures/fake-github/type-contract.js';
import { routes } from '../../fixtures/fake-gitlab/handlers.js';
import { type FakeGitLab, recorded, startFakeGitLab } from '../../fixtures/fake-gitlab/index.js';

/*
 * Contract: every answer the fake GitLab gives satisfies the schema type gitbeaker declares
 * for the call that reaches that endpoint (required fields, primitive types, literal unions
 * such as `merge_status`, nullability, nested objects), read by the TypeScript compiler from
 * the installed gitbeaker typings. Error bodies follow GitLab's `{ message | error }` form.
 */

const TOKEN = 'glpat-contractToken0123456789';

const CONTRACT_SOURCE = `
import type * as G from '@gitbeaker/rest';
export type Namespace = G.NamespaceSchema;
export type Project = G.ProjectSchema;
export type MergeRequestList = G.MergeRequestSchemaWithBasicLabels[];
export type MergeRequest = G.ExpandedMergeRequestSchema;
export type Note = G.NoteSchema;
/**
 * gitbeaker declares expires_at and group_saml_identity non-null; GitLab's API docs show both
 * null for a member without them, and the adapter reads neither.
 */
export type Member = G.CondensedMemberSchema & {
  access_level: G.SimpleMemberSchema['access_level'];
  email: string;
  expires_at: string | null;
  group_saml_identity: { extern_uid: string; provider: string; saml_provider_id: number } | null;
};
/** GitLab's error body: a string, a list of strings, or field → messages (Grape: error or message). */
export type ErrorBody =
  | { message: string | string[] | Record<string, string[]> }
  | { error: string };
`;

const ROUTE_TYPES: Record<string, string> = {
  'GET /namespaces/:id': 'Namespace',
  'GET /projects/:id': 'Project',
  'POST /projects': 'Project',
  'GET /projects/:id/merge_requests': 'MergeRequestList',
  'POST /projects/:id/merge_requests': 'MergeRequest',
  'GET /projects/:id/merge_requests/:iid': 'MergeRequest',
  'PUT /projects/:id/merge_requests/:iid': 'MergeRequest',
  'PUT /projects/:id/merge_requests/:iid/merge': 'MergeRequest',
  'POST /projects/:id/merge_requests/:iid/notes': 'Note',
  'GET /projects/:id/members/all/:user_id': 'Member',
};

describe('fake GitLab responses satisfy the gitbeaker schema types', () => {
  let contract: TypeContract;
  let fake: FakeGitLab;

  beforeAll(async () => {
    contract = new TypeContract(CONTRACT_SOURCE);
    fake = await startFakeGitLab({ token: TOKEN, user: 'tp-bot', groups: ['acme'] });
  }, 180_000);

  afterAll(async () => {
    await fake?.close();
  });

  it('maps every route of the fake to a gitbeaker type', () => {
    expect(Object.keys(ROUTE_TYPES).sort()).toEqual(routes.map((r) => `${r.method} ${r.pattern}`).sort());
  });

  it('detects a response that breaks the type (the check can fail)', () => {
    const mr = structuredClone(recorded.mergeRequest);
    delete mr.iid;
    mr.merge_status = 'maybe';
    mr.web_url = null;
    expect(contract.check('MergeRequest', mr)).toEqual(
      expect.arrayContaining([
        { path: '$.iid', problem: 'missing required field' },
        expect.objectContaining({ path: '$.merge_status' }),
        expect.objectContaining({ path: '$.web_url' }),
      ]),
    );
  });

  it('every answer in a full adapter run (success and error) satisfies its type', async () => {
    const f = new GitLabForge({ baseUrl: fake.url, token: TOKEN, projectPath: 'acme/app', createRepo: true });
    await f.ensureRepo();
    fake.state.projects[0]?.members.push({ userId: 7, username: 'devon', accessLevel: 30 });
    expect(await f.commenterCanTrigger({ author: 'devon', authorId: 7 })).toBe(true);
    expect(await f.commenterCanTrigger({ author: 'nobody', authorId: 8 })).toBe(false);
    await new GitLabForge({ baseUrl: fake.url, token: TOKEN, projectPath: 'acme/app' }).remoteUrl();
    const mr = await f.openPullRequest({
      title: 't',
      body: 'b',
      head: 'task-1',
      base: 'main',
      labels: ['x'],
      taskId: '1',
    });
    await f.openPullRequest({
      title: 't',
      body: 'b',
      head: 'task-1',
      base: 'main',
      labels: ['y'],
      taskId: '1',
    });
    await f.comment(mr.number, 'hello');
    await f.merge(mr.number);
    await f.merge(mr.number);
    await new GitLabForge({ baseUrl: fake.url, token: 'wrong', projectPath: 'acme/app' })
      .ensureRepo()
      .catch(() => undefined);

    const seen = new Set<string>();
    const problems: unknown[] = [];
    for (const req of fake.requests) {
      if (!req.route) continue;
      const name = req.status >= 400 ? 'ErrorBody' : (ROUTE_TYPES[req.route] ?? 'missing');
      if (req.status < 400) seen.add(req.route);
      for (const p of contract.check(name, req.responseBody))
        problems.push({ route: req.route, status: req.status, ...p });
    }
    expect(problems).toEqual([]);
    expect([...seen].sort()).toEqual(Object.keys(ROUTE_TYPES).sort());
    expect(fake.requests.map((r) => r.status)).toEqual(expect.arrayContaining([401, 404, 405, 409]));
  });
});
