import { z } from 'zod';
import type { ForgeEvent } from '../types.js';
import { eventName, header, type WebhookHeaders } from './headers.js';

// Only the fields we read are described; everything else in a payload is ignored. A payload
// missing one of them is not an event we act on (undefined), never an exception.
const prNumber = z.number().int().positive();
const login = z.object({ login: z.string(), id: z.number().optional() });
/** GitHub and Gitea name the repository the same way; other fields of it are not read. */
const repository = z.object({ full_name: z.string() }).nullish();

const repositoryOf = (r: z.infer<typeof repository>) => (r?.full_name ? { repository: r.full_name } : {});

const githubPullRequest = z.object({
  action: z.string(),
  pull_request: z.object({
    number: prNumber,
    title: z.string(),
    merged: z.boolean().nullish(),
    merged_at: z.string().nullish(),
    html_url: z.string().optional(),
    head: z.object({ ref: z.string() }),
  }),
  repository,
});

const githubIssueComment = z.object({
  action: z.string(),
  issue: z.object({
    number: prNumber,
    title: z.string(),
    pull_request: z.unknown().optional(),
  }),
  comment: z.object({
    body: z.string().nullish(),
    user: login.nullish(),
    author_association: z.string().optional(),
  }),
  sender: login.optional(),
  repository,
});

const giteaIssueComment = githubIssueComment.extend({
  is_pull: z.boolean().optional(),
  pull_request: z.object({ head: z.object({ ref: z.string() }) }).nullish(),
});

const gitlabMergeRequest = z.object({
  object_kind: z.literal('merge_request'),
  object_attributes: z.object({
    iid: prNumber,
    title: z.string(),
    source_branch: z.string(),
    state: z.string().optional(),
    action: z.string().optional(),
    url: z.string().optional(),
  }),
  project: z.object({ path_with_namespace: z.string() }).optional(),
});

const gitlabNote = z.object({
  object_kind: z.literal('note'),
  user: z.object({ username: z.string(), id: z.number().optional() }).optional(),
  project: z.object({ path_with_namespace: z.string() }).optional(),
  object_attributes: z.object({
    note: z.string(),
    noteable_type: z.string(),
    action: z.string().optional(),
  }),
  merge_request: z.object({ iid: prNumber, title: z.string(), source_branch: z.string() }).optional(),
});

/** The comment's author (the sender when the comment names none), with the id when given. */
function commenter(
  user: z.infer<typeof login> | null | undefined,
  sender: z.infer<typeof login> | undefined,
): { author: string; authorId?: number } {
  const who = user ?? sender;
  return { author: who?.login ?? '', ...(who?.id !== undefined ? { authorId: who.id } : {}) };
}

/** `closed` + merged → pr.merged, `closed` without merge → pr.closed; the same in GitHub and Gitea. */
function pullRequestEvent(json: unknown): ForgeEvent | undefined {
  const parsed = githubPullRequest.safeParse(json);
  if (!parsed.success || parsed.data.action !== 'closed') return undefined;
  const pr = parsed.data.pull_request;
  const base = {
    prNumber: pr.number,
    title: pr.title,
    branch: pr.head.ref,
    ...repositoryOf(parsed.data.repository),
  };
  if (pr.merged === true || (pr.merged == null && !!pr.merged_at)) {
    return { kind: 'pr.merged', ...base, ...(pr.html_url ? { url: pr.html_url } : {}) };
  }
  return { kind: 'pr.closed', ...base };
}

/**
 * GitHub webhook payload → our event. `pull_request` closed (merged or not), a new
 * `issue_comment` on a pull request, and `ping`; anything else is `undefined` (ignored).
 * An issue comment does not carry the PR's branch, so `branch` is empty there.
 */
export function parseGithubEvent(headers: WebhookHeaders, json: unknown): ForgeEvent | undefined {
  const event = eventName('github', headers);
  if (event === 'ping') return { kind: 'ping' };
  if (event === 'pull_request') return pullRequestEvent(json);
  if (event === 'issue_comment') {
    const parsed = githubIssueComment.safeParse(json);
    if (!parsed.success) return undefined;
    const { action, issue, comment, repository: repo } = parsed.data;
    // Edits and deletions must not start a second follow-up run.
    if (action !== 'created' || issue.pull_request == null) return undefined;
    return {
      kind: 'pr.comment',
      prNumber: issue.number,
      title: issue.title,
      branch: '',
      body: comment.body ?? '',
      ...commenter(comment.user, parsed.data.sender),
      ...(comment.author_association ? { authorAssociation: comment.author_association } : {}),
      ...repositoryOf(repo),
    };
  }
  return undefined;
}

/**
 * Gitea / Forgejo payload → our event. Gitea reports a merge as `closed` with
 * `merged: true` like GitHub, and a PR comment as `issue_comment` with `is_pull: true`
 * (newer versions include the pull request, and so its branch).
 */
export function parseGiteaEvent(headers: WebhookHeaders, json: unknown): ForgeEvent | undefined {
  const event = eventName('gitea', headers);
  if (event === 'ping') return { kind: 'ping' };
  if (event === 'pull_request') return pullRequestEvent(json);
  if (event === 'issue_comment') {
    const parsed = giteaIssueComment.safeParse(json);
    if (!parsed.success) return undefined;
    const { action, issue, comment, is_pull, pull_request, repository: repo } = parsed.data;
    const onPull = is_pull === true || issue.pull_request != null || pull_request != null;
    if (action !== 'created' || !onPull) return undefined;
    return {
      kind: 'pr.comment',
      prNumber: issue.number,
      title: issue.title,
      branch: pull_request?.head.ref ?? '',
      body: comment.body ?? '',
      ...commenter(comment.user, parsed.data.sender),
      ...repositoryOf(repo),
    };
  }
  return undefined;
}

/**
 * GitLab payload → our event: a merge request merged (`action: merge`) or closed
 * (`action: close`), or a new note on a merge request. GitLab has no ping; its "Test"
 * button sends a sample of the chosen event. `object_kind` decides, so system hooks
 * (`X-Gitlab-Event: System Hook`) work too.
 */
export function parseGitlabEvent(headers: WebhookHeaders, json: unknown): ForgeEvent | undefined {
  if (header(headers, 'x-gitlab-event') === undefined) return undefined;
  const kind = (json as { object_kind?: unknown } | null)?.object_kind;
  if (kind === 'merge_request') {
    const parsed = gitlabMergeRequest.safeParse(json);
    if (!parsed.success) return undefined;
    const mr = parsed.data.object_attributes;
    const project = parsed.data.project?.path_with_namespace;
    const base = {
      prNumber: mr.iid,
      title: mr.title,
      branch: mr.source_branch,
      ...(project ? { repository: project } : {}),
    };
    if (mr.action === 'merge') return { kind: 'pr.merged', ...base, ...(mr.url ? { url: mr.url } : {}) };
    if (mr.action === 'close') return { kind: 'pr.closed', ...base };
    return undefined;
  }
  if (kind === 'note') {
    const parsed = gitlabNote.safeParse(json);
    if (!parsed.success) return undefined;
    const { object_attributes: note, merge_request: mr, user, project } = parsed.data;
    if (note.noteable_type !== 'MergeRequest' || !mr) return undefined;
    if (note.action !== undefined && note.action !== 'create') return undefined;
    return {
      kind: 'pr.comment',
      prNumber: mr.iid,
      title: mr.title,
      branch: mr.source_branch,
      body: note.note,
      author: user?.username ?? '',
      ...(user?.id !== undefined ? { authorId: user.id } : {}),
      ...(project ? { repository: project.path_with_namespace } : {}),
    };
  }
  return undefined;
}
