import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import { createDemoRemote } from '../../src/demo/setup.js';
import { type FakeGitea, startFakeGitea } from '../fixtures/fake-gitea/index.js';
import { type GitHttpServer, startGitHttpServer } from '../fixtures/git-http/index.js';
import { folderContents, gitOut, makeProject, tmpDir, writeTask } from '../helpers/project.js';
import { startServe, waitFor } from '../helpers/serve.js';
import { seedMain } from '../integration/e2e/support.js';

/*
 * Issue 9, finding 1: a task's `repo:` may only name a repository the operator listed, and the
 * forge token goes only to the forge's own origin. On the old code a task's `repo:` URL got
 * the Gitea Authorization header, and a local path in an API request was read and pushed to.
 */

const TOKEN = 'allow-list-gitea-token-5e2b9c7d1a40';
const OTHER_TOKEN = 'other-host-token-0f3e8a6c2d91';

/** A plain HTTP server on 127.0.0.1 that keeps every request's headers; optionally a proxy to a git server. */
async function recorder(forwardTo?: { url: string; header: string }) {
  const seen: Array<{ path: string; headers: http.IncomingHttpHeaders }> = [];
  const server = http.createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: { ...req.headers } });
    if (!forwardTo) {
      req.resume();
      res.writeHead(404).end('no such repository\n');
      return;
    }
    const target = new URL(req.url ?? '/', forwardTo.url);
    const headers = { ...req.headers, host: target.host, authorization: forwardTo.header };
    const out = http.request(target, { method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('task repo: outside repository.allowed (forge gitea)', () => {
  let fake: FakeGitea;
  let other: GitHttpServer;
  let otherHost: Awaited<ReturnType<typeof recorder>>;
  let extraHost: Awaited<ReturnType<typeof recorder>>;

  beforeAll(async () => {
    // The forge's own repository needs no git backend here: every task below names another repo.
    fake = await startFakeGitea({ token: TOKEN, orgs: ['acme'] });
    await fake.addRepo('acme', 'widgets', { ownerIsOrg: true });
    other = await startGitHttpServer({ token: OTHER_TOKEN });
    await other.createBareRepo('acme', 'extra');
    await seedMain(other.repoPath('acme', 'extra'));
    otherHost = await recorder();
    // The allowed extra repository sits behind a proxy that records what we send and adds its own credential.
    extraHost = await recorder({ url: other.url, header: `token ${OTHER_TOKEN}` });
  });

  afterAll(async () => {
    await otherHost?.close();
    await extraHost?.close();
    await other?.close();
    await fake?.close();
  });

  async function giteaProject(taskRepo: string) {
    const { root } = await makeProject({
      forge: { type: 'gitea', url: fake.url, owner: 'acme', repo: 'widgets' },
      repository: { url: undefined, allowed: [`${extraHost.url}/acme/extra.git`] },
      agent: { type: 'command', command: 'echo hi > hello.txt' },
      ollama: { availableModels: [] },
    });
    writeTask(root, '1', { title: 'Elsewhere', extra: `repo: ${taskRepo}` });
    const app = await createApp(loadConfig({ cwd: root, env: { GITEA_TOKEN: TOKEN } }));
    try {
      await app.worker.start({ watch: false });
      await app.worker.idle();
    } finally {
      await app.close();
    }
    return root;
  }

  it('fails a task naming another host, not retryable, and sends that host nothing (no token)', async () => {
    const root = await giteaProject(`${otherHost.url}/x.git`);
    expect(otherHost.seen.filter((s) => s.headers.authorization)).toEqual([]);
    expect(otherHost.seen).toEqual([]);
    expect(folderContents(root).failed).toEqual(['task-1 - Elsewhere.md']);
    const report = JSON.parse(
      readFileSync(path.join(root, 'backlog/failed/task-1 - Elsewhere.error.json'), 'utf8'),
    );
    expect(report).toMatchObject({ code: 'TASK_REPO_NOT_ALLOWED', retryable: false });
    expect(report.hint).toContain('repository.allowed');
  });

  it('runs a task in an allowed extra repository without sending it the forge token', async () => {
    const root = await giteaProject(`${extraHost.url}/acme/extra.git`);
    expect(extraHost.seen.length).toBeGreaterThan(0);
    expect(extraHost.seen.filter((s) => s.headers.authorization)).toEqual([]);
    expect(folderContents(root).review).toEqual(['task-1 - Elsewhere.md']);
    expect(gitOut(['show', 'task-1:hello.txt'], other.repoPath('acme', 'extra'))).toBe('hi');
  });

  it('matches another spelling of an allowed URL and uses the configured one', async () => {
    // Upper-case scheme and host part, no `.git`, a trailing slash: the same repository.
    const spelled = `${extraHost.url.replace('http://127.0.0.1', 'HTTP://127.0.0.1')}/acme/extra/`;
    const seenBefore = extraHost.seen.length;
    const root = await giteaProject(spelled);
    expect(folderContents(root).review).toEqual(['task-1 - Elsewhere.md']);
    expect(extraHost.seen.slice(seenBefore).every((s) => s.path.startsWith('/acme/extra.git/'))).toBe(true);
    expect(extraHost.seen.filter((s) => s.headers.authorization)).toEqual([]);
  });
});

describe('POST /api/tasks with a repo outside repository.allowed (forge local)', () => {
  it('fails the task and neither reads nor pushes to the other local repository', async () => {
    const { root, remote } = await makeProject({
      webhook: { enabled: true, port: 0 },
      agent: { type: 'command', command: 'cat README.md > seen.txt' },
      ollama: { availableModels: [] },
    });
    const elsewhere = tmpDir('tp-other-');
    const otherRepo = await createDemoRemote(elsewhere);
    const before = gitOut(['for-each-ref'], otherRepo);
    const cli = await startServe(root, {});
    try {
      const res = await fetch(`${cli.url}/api/tasks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'Other repo', repo: otherRepo }),
      });
      expect(res.status).toBe(201);
      await waitFor(() => {
        const f = folderContents(root);
        return (f.failed?.length ?? 0) + (f.review?.length ?? 0) === 1;
      }, 'the task to finish');
    } finally {
      await cli.stop();
    }
    const failed = folderContents(root).failed ?? [];
    expect(failed).toHaveLength(1);
    const name = failed[0]!.replace(/\.md$/, '.error.json');
    const report = JSON.parse(readFileSync(path.join(root, 'backlog/failed', name), 'utf8'));
    expect(report).toMatchObject({ code: 'TASK_REPO_NOT_ALLOWED', retryable: false });
    expect(gitOut(['for-each-ref'], otherRepo)).toBe(before);
    // Nothing was cloned from it either (the start-up warm-up clones only the configured
    // repository), and the configured repository got no branch.
    const otherHash = createHash('sha1').update(otherRepo).digest('hex').slice(0, 8);
    const caches = existsSync(path.join(root, 'repos/cache'))
      ? readdirSync(path.join(root, 'repos/cache'))
      : [];
    expect(caches.filter((c) => c.includes(otherHash))).toEqual([]);
    expect(caches.length).toBeLessThanOrEqual(1);
    expect(gitOut(['for-each-ref'], remote)).not.toContain('task-');
  }, 90_000);
});
