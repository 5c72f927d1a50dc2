import { createHmac, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { type App, createApp } from '../../src/app.js';
import { createAppServer } from '../../src/cli/start.js';
import { loadConfig } from '../../src/config/index.js';
import { createMetrics } from '../../src/observability/index.js';
import type { TpServer } from '../../src/server/index.js';
import { giteaSamples } from '../fixtures/webhooks/gitea-extra/samples.js';
import { githubSamples } from '../fixtures/webhooks/github/samples.js';
import { gitlabSamples } from '../fixtures/webhooks/gitlab/samples.js';
import { makeProject, writeTask } from '../helpers/project.js';

/*
 * The real service (createApp + the `start` command's server wiring) on 127.0.0.1, pointed at
 * a fake forge, with signed webhook deliveries built from the recorded fixture payloads.
 * Follow-up runs are recorded instead of run: these tests decide whether one may start.
 */

export const HOOK_SECRET = 'security-webhook-secret-0123';
export const TOKENS = {
  gitea: 'gitea-security-token-0123456789',
  github: 'ghp_securityToken0123456789abcdef',
  gitlab: 'glpat-securityToken0123456789',
};

export type ForgeName = 'gitea' | 'github' | 'gitlab';

export interface FollowUpCall {
  taskId: string;
  prNumber: number;
  instructions: string;
  author: string;
}

export interface AppUnderTest {
  root: string;
  app: App;
  server: TpServer;
  url: string;
  followUps: FollowUpCall[];
  /** Sends a delivery to `/webhook` over a real socket. */
  deliver(d: Delivery): Promise<{ status: number; body: { status: string; message: string } }>;
  close(): Promise<void>;
}

export interface ForgeTarget {
  type: ForgeName;
  url: string;
  owner: string;
  repo: string;
}

/**
 * A project whose forge is `target` (none: the local forge), its app built and its server
 * listening on `host` (default 127.0.0.1) at a free port.
 */
export async function startApp(
  target: ForgeTarget | undefined,
  config: Record<string, unknown> = {},
  env: Record<string, string> = {},
  host = '127.0.0.1',
): Promise<AppUnderTest> {
  const { root } = await makeProject({
    ...(target
      ? { forge: { type: target.type, url: target.url, owner: target.owner, repo: target.repo } }
      : {}),
    agent: { type: 'command', command: 'true' },
    ollama: { availableModels: [] },
    ...config,
  });
  const loaded = loadConfig({
    cwd: root,
    env: {
      GITEA_TOKEN: TOKENS.gitea,
      GITHUB_TOKEN: TOKENS.github,
      GITLAB_TOKEN: TOKENS.gitlab,
      GITEA_WEBHOOK_SECRET: HOOK_SECRET,
      GITHUB_WEBHOOK_SECRET: HOOK_SECRET,
      GITLAB_WEBHOOK_SECRET: HOOK_SECRET,
      ...env,
    },
  });
  const app = await createApp(loaded);
  const followUps: FollowUpCall[] = [];
  app.startFollowUp = async (taskId, prNumber, instructions, author) => {
    followUps.push({ taskId, prNumber, instructions, author });
    return true;
  };
  const server = createAppServer(app, createMetrics(app.events, { counts: () => app.source.counts() }));
  const { port } = await server.listen(0, host);
  const url = `http://127.0.0.1:${port}`;
  return {
    root,
    app,
    server,
    url,
    followUps,
    async deliver(d) {
      const res = await fetch(`${url}/webhook`, { method: 'POST', headers: d.headers, body: d.body });
      return { status: res.status, body: (await res.json()) as { status: string; message: string } };
    },
    async close() {
      await server.close();
      await app.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Task `id` in review/ with its run recording pull request `prNumber` (what a published run leaves). */
export function putInReview(t: AppUnderTest, id: string, prNumber: number, title = `Task number ${id}`) {
  const file = writeTask(t.root, id, { title }, 'review');
  t.app.store.upsertRun({
    taskId: id,
    file: path.basename(file),
    state: 'review',
    branch: `task-${id}`,
    prNumber,
  });
  return file;
}

export interface Delivery {
  body: Buffer;
  headers: Record<string, string>;
}

function payloadOf(forge: ForgeName, sample: string): Record<string, unknown> {
  const samples = forge === 'gitea' ? giteaSamples() : forge === 'github' ? githubSamples() : gitlabSamples();
  const s = samples[sample];
  if (!s) throw new Error(`no ${forge} sample ${sample}`);
  return JSON.parse(s.body.toString('utf8')) as Record<string, unknown>;
}

/** Signs `payload` as `forge` does (Gitea indents its JSON), under a delivery id of its own (none: `null`). */
export function sign(
  forge: ForgeName,
  event: string,
  payload: unknown,
  delivery: string | null = randomUUID(),
  secret = HOOK_SECRET,
): Delivery {
  const body = Buffer.from(forge === 'gitea' ? JSON.stringify(payload, null, 2) : JSON.stringify(payload));
  const hex = createHmac('sha256', secret).update(body).digest('hex');
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (forge === 'gitea') {
    Object.assign(headers, {
      'x-gitea-event': event,
      'x-gitea-signature': hex,
      'x-hub-signature-256': `sha256=${hex}`,
      'user-agent': 'Go-http-client/1.1',
    });
    if (delivery) headers['x-gitea-delivery'] = delivery;
  } else if (forge === 'github') {
    Object.assign(headers, { 'x-github-event': event, 'x-hub-signature-256': `sha256=${hex}` });
    if (delivery) headers['x-github-delivery'] = delivery;
  } else {
    Object.assign(headers, { 'x-gitlab-event': event, 'x-gitlab-token': secret });
    if (delivery) {
      headers['x-gitlab-event-uuid'] = delivery;
      headers['idempotency-key'] = delivery;
    }
  }
  return { body, headers };
}

export interface CommentSpec {
  prNumber: number;
  title: string;
  body: string;
  login: string;
  /** The comment's own id (a new comment has a new one). */
  commentId: number;
  /** `owner/name` (GitLab: the project path). */
  repository: string;
  /** GitHub only. */
  association?: string;
  /** GitLab only: the commenter's numeric user id. */
  userId?: number;
}

/** A signed "comment created on a pull request" delivery, from the recorded sample of `forge`. */
export function commentDelivery(forge: ForgeName, c: CommentSpec, delivery?: string): Delivery {
  if (forge === 'gitlab') {
    const p = payloadOf('gitlab', 'note.merge_request') as Record<string, Record<string, unknown>>;
    p.user = { ...p.user, id: c.userId ?? 0, username: c.login, name: c.login };
    p.project = { ...p.project, path_with_namespace: c.repository };
    p.object_attributes = { ...p.object_attributes, id: c.commentId, note: c.body, description: c.body };
    p.merge_request = { ...p.merge_request, iid: c.prNumber, title: c.title, source_branch: 'feature' };
    return sign('gitlab', 'Note Hook', p, delivery);
  }
  const sample =
    forge === 'gitea' ? 'issue_comment.pull_request_comment.created' : 'issue_comment.created.pull_request';
  const p = payloadOf(forge, sample) as Record<string, Record<string, unknown>>;
  p.issue = { ...p.issue, number: c.prNumber, title: c.title };
  const user = { ...(p.comment?.user as Record<string, unknown>), login: c.login };
  p.comment = { ...p.comment, id: c.commentId, body: c.body, user };
  if (c.association) p.comment.author_association = c.association;
  p.repository = { ...p.repository, full_name: c.repository };
  return sign(forge, 'issue_comment', p, delivery);
}

export interface MergeSpec {
  prNumber: number;
  title: string;
  branch: string;
  repository: string;
  /** Changes what the forge reports as last update (a different event of the same PR). */
  updatedAt?: string;
}

/** A signed Gitea "pull request merged" delivery, from the recorded sample. */
export function giteaMergedDelivery(m: MergeSpec, delivery?: string): Delivery {
  const p = payloadOf('gitea', 'pull_request.closed.merged') as Record<string, Record<string, unknown>>;
  p.number = m.prNumber as never;
  const head = { ...(p.pull_request?.head as Record<string, unknown>), ref: m.branch, label: m.branch };
  p.pull_request = {
    ...p.pull_request,
    // Gitea numbers PRs per repository and ids globally; another PR has another id.
    id: 1000 + m.prNumber,
    number: m.prNumber,
    title: m.title,
    head,
    ...(m.updatedAt ? { updated_at: m.updatedAt } : {}),
  };
  p.repository = { ...p.repository, full_name: m.repository };
  return sign('gitea', 'pull_request', p, delivery);
}
