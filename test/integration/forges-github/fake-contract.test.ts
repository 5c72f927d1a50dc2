import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubForge } from '../../../src/forges/github/index.js';
import { routes } from '../../fixtures/fake-github/handlers.js';
import { type FakeGitHub, recorded, startFakeGitHub } from '../../fixtures/fake-github/index.js';
import { TypeContract } from '../../fixtures/fake-github/type-contract.js';

/*
 * Contract: every answer the fake GitHub gives satisfies the response type Octokit declares
 * for that endpoint (all required fields, their primitive types, literals and nullability,
 * nested objects included), and every error body satisfies GitHub's error schemas. The
 * types are read from the installed Octokit typings by the TypeScript compiler.
 */

const TOKEN = 'ghp_contractToken0123456789abcdef';

const CONTRACT_SOURCE = `
import type { RestEndpointMethodTypes as T } from '@octokit/rest';
import type { components } from '@octokit/openapi-types';
type D<A extends keyof T, B extends keyof T[A]> = T[A][B] extends { response: { data: infer X } } ? X : never;
export type UsersGetAuthenticated = D<'users', 'getAuthenticated'>;
export type OrgsGet = D<'orgs', 'get'>;
export type ReposCreateInOrg = D<'repos', 'createInOrg'>;
export type ReposCreateForAuthenticatedUser = D<'repos', 'createForAuthenticatedUser'>;
export type ReposGet = D<'repos', 'get'>;
export type PullsList = D<'pulls', 'list'>;
export type PullsCreate = D<'pulls', 'create'>;
export type PullsGet = D<'pulls', 'get'>;
export type PullsMerge = D<'pulls', 'merge'>;
export type IssuesAddLabels = D<'issues', 'addLabels'>;
export type IssuesCreateComment = D<'issues', 'createComment'>;
export type BasicError = components['schemas']['basic-error'];
export type ValidationError = components['schemas']['validation-error'];
`;

/** Which Octokit response type each fake route must satisfy. */
const ROUTE_TYPES: Record<string, string> = {
  'GET /user': 'UsersGetAuthenticated',
  'GET /orgs/{org}': 'OrgsGet',
  'POST /orgs/{org}/repos': 'ReposCreateInOrg',
  'POST /user/repos': 'ReposCreateForAuthenticatedUser',
  'GET /repos/{owner}/{repo}': 'ReposGet',
  'GET /repos/{owner}/{repo}/pulls': 'PullsList',
  'POST /repos/{owner}/{repo}/pulls': 'PullsCreate',
  'GET /repos/{owner}/{repo}/pulls/{pull_number}': 'PullsGet',
  'PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge': 'PullsMerge',
  'POST /repos/{owner}/{repo}/issues/{issue_number}/labels': 'IssuesAddLabels',
  'POST /repos/{owner}/{repo}/issues/{issue_number}/comments': 'IssuesCreateComment',
};

describe('fake GitHub responses satisfy the Octokit response types', () => {
  let contract: TypeContract;
  let fake: FakeGitHub;

  beforeAll(async () => {
    // Type-checking Octokit's 130k-line OpenAPI typings takes a while on a busy machine.
    contract = new TypeContract(CONTRACT_SOURCE);
    fake = await startFakeGitHub({ token: TOKEN, user: 'tp-bot', orgs: ['acme'] });
  }, 180_000);

  afterAll(async () => {
    await fake?.close();
  });

  it('maps every route of the fake to an Octokit type', () => {
    expect(Object.keys(ROUTE_TYPES).sort()).toEqual(routes.map((r) => `${r.method} ${r.pattern}`).sort());
    expect(contract.names()).toEqual(expect.arrayContaining(Object.values(ROUTE_TYPES)));
  });

  it('detects a response that breaks the type (the check can fail)', () => {
    const pr = structuredClone(recorded.pullRequest);
    delete pr.number;
    pr.state = 'weird';
    pr.merged_at = 42;
    const problems = contract.check('PullsGet', pr);
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: '$.number', problem: 'missing required field' },
        expect.objectContaining({ path: '$.state' }),
        expect.objectContaining({ path: '$.merged_at' }),
      ]),
    );
    expect(contract.check('PullsMerge', { sha: 'abc', merged: 'yes', message: 'm' })).toEqual([
      expect.objectContaining({ path: '$.merged' }),
    ]);
  });

  it('every answer in a full adapter run (success and error) satisfies its type', async () => {
    const org = new GitHubForge({
      baseUrl: fake.apiUrl,
      token: TOKEN,
      owner: 'acme',
      repo: 'app',
      createRepo: true,
    });
    await org.ensureRepo();
    // A fresh adapter reads the now existing repository (GET 200) instead of using its cache.
    await new GitHubForge({ baseUrl: fake.apiUrl, token: TOKEN, owner: 'acme', repo: 'app' }).remoteUrl();
    const pr = await org.openPullRequest({
      title: 't',
      body: 'b',
      head: 'task-1',
      base: 'main',
      labels: ['x'],
      taskId: '1',
    });
    await org.openPullRequest({
      title: 't',
      body: 'b',
      head: 'task-1',
      base: 'main',
      labels: [],
      taskId: '1',
    });
    await org.comment(pr.number, 'hello');
    await org.merge(pr.number);
    await org.merge(pr.number);
    const user = new GitHubForge({
      baseUrl: fake.apiUrl,
      token: TOKEN,
      owner: 'tp-bot',
      repo: 'mine',
      createRepo: true,
    });
    await user.ensureRepo();
    await new GitHubForge({ baseUrl: fake.apiUrl, token: 'wrong', owner: 'acme', repo: 'app' })
      .ensureRepo()
      .catch(() => undefined);

    const seen = new Set<string>();
    const problems: unknown[] = [];
    for (const req of fake.requests) {
      if (!req.route) continue;
      const isError = req.status >= 400;
      const name = isError
        ? req.status === 422
          ? 'ValidationError'
          : 'BasicError'
        : (ROUTE_TYPES[req.route] ?? 'missing');
      if (!isError) seen.add(req.route);
      for (const p of contract.check(name, req.responseBody))
        problems.push({ route: req.route, status: req.status, ...p });
    }
    expect(problems).toEqual([]);
    expect([...seen].sort()).toEqual(Object.keys(ROUTE_TYPES).sort());
    expect(fake.requests.some((r) => r.status === 422)).toBe(true);
    expect(fake.requests.some((r) => r.status === 401)).toBe(true);
    expect(fake.requests.some((r) => r.status === 405)).toBe(true);
  });
});
