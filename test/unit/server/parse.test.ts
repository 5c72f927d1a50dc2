import { describe, expect, it } from 'vitest';
import { TpError } from '../../../src/errors/index.js';
import {
  deliveryId,
  detectForge,
  parseGiteaEvent,
  parseGithubEvent,
  parseGitlabEvent,
  taskIdFromPullRequest,
} from '../../../src/forges/webhooks/index.js';
import { giteaSamples } from '../../fixtures/webhooks/gitea-extra/samples.js';
import { githubSamples, type RawSample } from '../../fixtures/webhooks/github/samples.js';
import { gitlabSamples } from '../../fixtures/webhooks/gitlab/samples.js';

const json = (s: RawSample) => JSON.parse(s.body.toString('utf8')) as unknown;

describe('parseGithubEvent (payloads from @octokit/webhooks-examples)', () => {
  const gh = githubSamples();

  it('maps closed + merged to pr.merged with branch and url', () => {
    const s = gh['pull_request.closed.merged']!;
    expect(parseGithubEvent(s.headers, json(s))).toEqual({
      kind: 'pr.merged',
      prNumber: 2,
      title: '[Task 42] Update the README with new information.',
      branch: 'task-42',
      url: 'https://github.com/Codertocat/Hello-World/pull/2',
      repository: 'Codertocat/Hello-World',
    });
  });

  it('maps closed without merge to pr.closed', () => {
    const s = gh['pull_request.closed.unmerged']!;
    expect(parseGithubEvent(s.headers, json(s))).toEqual({
      kind: 'pr.closed',
      prNumber: 2,
      title: 'Update the README with new information.',
      branch: 'changes',
      repository: 'Codertocat/Hello-World',
    });
  });

  it('maps a new comment on a pull request to pr.comment', () => {
    const s = gh['issue_comment.created.pull_request']!;
    expect(parseGithubEvent(s.headers, json(s))).toEqual({
      kind: 'pr.comment',
      prNumber: 1,
      title: '[Task 44] Spelling error in the README file',
      branch: '',
      body: '@ticket-processor please fix the typo in line 3 too',
      author: 'Codertocat',
      authorId: 21031067,
      authorAssociation: 'OWNER',
      repository: 'Codertocat/Hello-World',
    });
  });

  it('ignores a comment on a plain issue, and edited comments', () => {
    const issue = gh['issue_comment.created.issue']!;
    expect(parseGithubEvent(issue.headers, json(issue))).toBeUndefined();
    const onPull = gh['issue_comment.created.pull_request']!;
    const edited = { ...(json(onPull) as object), action: 'edited' };
    expect(parseGithubEvent(onPull.headers, edited)).toBeUndefined();
  });

  it('maps ping, ignores other actions and events, and never throws on odd JSON', () => {
    const ping = gh.ping!;
    expect(parseGithubEvent(ping.headers, json(ping))).toEqual({ kind: 'ping' });
    const closed = gh['pull_request.closed.unmerged']!;
    expect(
      parseGithubEvent(closed.headers, { ...(json(closed) as object), action: 'opened' }),
    ).toBeUndefined();
    expect(parseGithubEvent({ 'x-github-event': 'push' }, json(closed))).toBeUndefined();
    for (const odd of [
      null,
      5,
      'x',
      [],
      {},
      { action: 'closed' },
      { action: 'closed', pull_request: 'no' },
    ]) {
      expect(parseGithubEvent({ 'x-github-event': 'pull_request' }, odd)).toBeUndefined();
      expect(parseGithubEvent({ 'x-github-event': 'issue_comment' }, odd)).toBeUndefined();
    }
  });
});

describe('parseGiteaEvent (checked-in Gitea/Forgejo samples)', () => {
  const gt = giteaSamples();

  it('maps a merged PR', () => {
    const s = gt['pull_request.closed.merged']!;
    expect(parseGiteaEvent(s.headers, json(s))).toEqual({
      kind: 'pr.merged',
      prNumber: 12,
      title: '[Task 42] Add rate limiting to the login endpoint',
      branch: 'task-42',
      url: 'http://gitea.local:3000/ticket-processor/webapp/pulls/12',
      repository: 'ticket-processor/webapp',
    });
  });

  it('maps a PR closed without merge (Forgejo headers)', () => {
    const s = gt['pull_request.closed.unmerged']!;
    expect(parseGiteaEvent({ 'x-forgejo-event': 'pull_request' }, json(s))).toMatchObject({
      kind: 'pr.closed',
      prNumber: 13,
      branch: 'task-43',
    });
  });

  it('maps a PR comment, with the branch from the included pull request', () => {
    const s = gt['issue_comment.pull_request_comment.created']!;
    expect(parseGiteaEvent(s.headers, json(s))).toEqual({
      kind: 'pr.comment',
      prNumber: 14,
      title: '[Task 44] Add a health endpoint',
      branch: 'task-44',
      body: '@ticket-processor the tests fail on Node 20, please fix them',
      author: 'alice',
      authorId: 4,
      repository: 'ticket-processor/webapp',
    });
  });

  it('ignores push and comments on issues', () => {
    const push = gt.push!;
    expect(parseGiteaEvent(push.headers, json(push))).toBeUndefined();
    const c = gt['issue_comment.pull_request_comment.created']!;
    const onIssue = json(c) as Record<string, unknown> & { issue: Record<string, unknown> };
    const { pull_request: _p, ...issueOnly } = onIssue.issue;
    const payload = { ...onIssue, is_pull: false, pull_request: null, issue: issueOnly };
    expect(parseGiteaEvent(c.headers, payload)).toBeUndefined();
  });
});

describe('parseGitlabEvent (checked-in GitLab samples)', () => {
  const gl = gitlabSamples();

  it('maps merge, close and a merge-request note', () => {
    const merge = gl['merge_request.merge']!;
    expect(parseGitlabEvent(merge.headers, json(merge))).toEqual({
      kind: 'pr.merged',
      prNumber: 5,
      title: '[Task 42] Add rate limiting to the login endpoint',
      branch: 'task-42',
      url: 'https://gitlab.local/tp/webapp/-/merge_requests/5',
      repository: 'tp/webapp',
    });
    const close = gl['merge_request.close']!;
    expect(parseGitlabEvent(close.headers, json(close))).toEqual({
      kind: 'pr.closed',
      prNumber: 6,
      title: 'Rename the config loader',
      branch: 'task-43',
      repository: 'tp/webapp',
    });
    const note = gl['note.merge_request']!;
    expect(parseGitlabEvent(note.headers, json(note))).toEqual({
      kind: 'pr.comment',
      prNumber: 7,
      title: '[Task 44] Add a health endpoint',
      branch: 'task-44',
      body: '@ticket-processor the tests fail on Node 20, please fix them',
      author: 'alice',
      authorId: 4,
      repository: 'tp/webapp',
    });
  });

  it('ignores issue notes, pushes, updates and unknown shapes', () => {
    for (const name of ['note.issue', 'push']) {
      const s = gl[name]!;
      expect(parseGitlabEvent(s.headers, json(s)), name).toBeUndefined();
    }
    const merge = gl['merge_request.merge']!;
    const updated = json(merge) as { object_attributes: Record<string, unknown> };
    updated.object_attributes.action = 'update';
    expect(parseGitlabEvent(merge.headers, updated)).toBeUndefined();
    expect(parseGitlabEvent(merge.headers, null)).toBeUndefined();
    expect(parseGitlabEvent({}, json(merge))).toBeUndefined();
  });
});

describe('deliveryId and detectForge', () => {
  it('reads each forge delivery header', () => {
    expect(deliveryId(giteaSamples().push!.headers)).toBe('5b0a1c9e-2f8d-4e61-9c3a-7d4e2b1f0a14');
    expect(deliveryId(githubSamples().ping!.headers)).toBe('d1f0a6e0-7a1b-11ef-8c1e-000000000005');
    // Idempotency-Key survives GitLab's retries; the event UUID is the fallback.
    const gl = gitlabSamples().push!.headers;
    expect(deliveryId(gl)).toBe('7d1e2f3a-4b5c-4d6e-8f90-a1b2c3d4e505');
    const { 'idempotency-key': _k, ...older } = gl;
    expect(deliveryId(older)).toBe('2a7e1f3c-5d6b-4c8a-9e0f-1a2b3c4d5e05');
    expect(deliveryId({ 'x-gitlab-event-uuid': 'abc' })).toBe('abc');
  });

  it('ignores missing, overlong and non-printable ids', () => {
    expect(deliveryId({})).toBeUndefined();
    expect(deliveryId({ 'x-github-delivery': 'a'.repeat(201) })).toBeUndefined();
    expect(deliveryId({ 'x-github-delivery': 'a b' })).toBeUndefined();
    expect(deliveryId({ 'idempotency-key': 'k' })).toBeUndefined();
  });

  it('detects Gitea first, because Gitea also sends GitHub headers', () => {
    expect(detectForge(giteaSamples()['pull_request.closed.merged']!.headers)).toBe('gitea');
    expect(detectForge(githubSamples().ping!.headers)).toBe('github');
    expect(detectForge(gitlabSamples().push!.headers)).toBe('gitlab');
    expect(detectForge({ 'x-forgejo-signature': 'x' })).toBe('gitea');
    expect(detectForge({ 'content-type': 'application/json' })).toBeUndefined();
  });
});

describe('taskIdFromPullRequest', () => {
  const re = 'task-(\\d+)';
  it('reads the [Task N] title tag first', () => {
    expect(taskIdFromPullRequest('[Task 42] Add login', 'feature/x', re)).toBe('42');
    expect(taskIdFromPullRequest('Draft: [task #7] thing', '', re)).toBe('7');
    expect(taskIdFromPullRequest('[Task 42] Add login', 'task-9', re)).toBe('42');
  });

  it('falls back to the branch, then the title, with the configured regex', () => {
    expect(taskIdFromPullRequest('Add login', 'task-42', re)).toBe('42');
    expect(taskIdFromPullRequest('feat(task-0042): x', 'main', re)).toBe('0042');
    expect(taskIdFromPullRequest('Add login', 'ticket/17', 'ticket/(\\d+)')).toBe('17');
    expect(taskIdFromPullRequest('Update README', 'changes', re)).toBeUndefined();
  });

  it('names the config key when the regex is invalid', () => {
    try {
      taskIdFromPullRequest('x', 'task-1', 'task-(');
      expect.unreachable();
    } catch (err) {
      expect(TpError.isInstance(err) && err.code).toBe('CONFIG_INVALID');
      expect((err as Error).message).toContain('taskIdFormat.extractRegex');
    }
  });
});
