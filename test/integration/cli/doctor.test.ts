import { existsSync, readdirSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeGitea, startFakeGitea } from '../../fixtures/fake-gitea/index.js';
import { startFakeGitHub } from '../../fixtures/fake-github/index.js';
import { type FakeOllama, startFakeOllama } from '../../fixtures/fake-ollama/index.js';
import { makeProject, runCli } from '../../helpers/project.js';
import { startServe } from '../../helpers/serve.js';

/*
 * `doctor` as a user runs it: the real CLI against the fake Ollama and the spec-checked fake
 * Gitea. Each line is `✔ what`, `! what: why → fix` or `✘ what: why → fix`.
 */

const TOKEN = 'doctor-gitea-token-5e0b7c2a9d14f836';
const WRONG = 'doctor-wrong-token-0a1b2c3d4e5f6789';
const OWNER = 'acme';
const REPO = 'widgets';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function ollama(names: string[]): Promise<FakeOllama> {
  const fake = await startFakeOllama({
    models: names.map((name) => ({ name, contextLength: 32768, capabilities: ['completion', 'tools'] })),
  });
  closers.push(() => fake.close());
  return fake;
}

async function gitea(withHookOnPort?: number): Promise<FakeGitea> {
  const fake = await startFakeGitea({ token: TOKEN, orgs: [OWNER] });
  closers.push(() => fake.close());
  await fake.addRepo(OWNER, REPO, { ownerIsOrg: true });
  if (withHookOnPort !== undefined) {
    // Created through the API, as an admin would: the fake checks the request against the spec.
    const res = await fetch(`${fake.url}/api/v1/repos/${OWNER}/${REPO}/hooks`, {
      method: 'POST',
      headers: { Authorization: `token ${TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        type: 'gitea',
        active: true,
        events: ['pull_request'],
        config: {
          url: `http://127.0.0.1:${withHookOnPort}/webhook/gitea`,
          content_type: 'json',
          secret: 's3cret',
        },
      }),
    });
    expect(res.status).toBe(201);
  }
  return fake;
}

const lines = (out: string, mark: string) => out.split('\n').filter((l) => l.startsWith(mark));

describe('ticket-processor doctor', () => {
  it('names a configured model that is not pulled, with the `ollama pull` fix, and exits 1', async () => {
    const fake = await ollama(['qwen2.5-coder:7b']);
    const port = await freePort();
    const { root } = await makeProject({
      webhook: { enabled: true, port },
      ollama: {
        host: fake.url,
        defaultModel: 'ollama/qwen2.5-coder:7b',
        fallbackModels: ['ollama/llama3.1:8b'],
      },
    });
    const r = await runCli(['doctor'], { cwd: root, env: { OLLAMA_HOST: '' } });
    expect(r.code).toBe(1);
    const failed = lines(r.stdout, '✘');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toContain('llama3.1:8b');
    expect(failed[0]).toContain('ollama.fallbackModels');
    expect(failed[0]).toMatch(/→ .*ollama pull llama3\.1:8b/);
    expect(r.stdout).toMatch(/^✔ .*qwen2\.5-coder:7b/m);
    expect(r.stdout).toMatch(new RegExp(`^✔ ollama ${fake.url.replace(/[.:/]/g, '\\$&')}: reachable`, 'm'));
    // No worker ran: the task folders and the store are as makeProject left them.
    expect(existsSync(path.join(root, '.ticket-processor'))).toBe(false);
    expect(readdirSync(path.join(root, 'backlog/todo'))).toEqual([]);
  }, 60_000);

  it('reports a wrong forge token with the fix, and never prints the token', async () => {
    const fakeOllama = await ollama(['qwen2.5-coder:7b']);
    const fake = await gitea();
    const port = await freePort();
    const { root } = await makeProject({
      repository: {},
      webhook: { enabled: true, port },
      forge: { type: 'gitea', url: fake.url, owner: OWNER, repo: REPO },
      ollama: { host: fakeOllama.url, defaultModel: 'ollama/qwen2.5-coder:7b' },
    });
    const r = await runCli(['doctor'], { cwd: root, env: { GITEA_TOKEN: WRONG, OLLAMA_HOST: '' } });
    expect(r.code).toBe(1);
    const failed = lines(r.stdout, '✘');
    expect(failed[0]).toMatch(/^✘ forge gitea token: .*401.* → .*GITEA_TOKEN/);
    expect(`${r.stdout}${r.stderr}`).not.toContain(WRONG);
    expect(fake.requests.some((q) => q.path === '/api/v1/user' && q.auth === 'invalid')).toBe(true);
    expect(fake.violations).toEqual([]);
  }, 60_000);

  it('a healthy setup: every line ✔ and exit 0; --json says the same', async () => {
    const fakeOllama = await ollama(['qwen2.5-coder:7b', 'llama3.1:8b', 'deepseek-coder:6.7b']);
    const port = await freePort();
    const fake = await gitea(port);
    const { root } = await makeProject({
      repository: {},
      webhook: { enabled: true, port },
      forge: { type: 'gitea', url: fake.url, owner: OWNER, repo: REPO },
      ollama: {
        host: fakeOllama.url,
        defaultModel: 'ollama/qwen2.5-coder:7b',
        fallbackModels: ['llama3.1:8b'],
        numCtx: 16384,
      },
      codeReview: { enabled: true, model: 'deepseek-coder:6.7b' },
      modelSelection: { tiers: { small: ['qwen2.5-coder:7b'] }, profiles: { fast: ['llama3.1:8b'] } },
    });
    const env = { GITEA_TOKEN: TOKEN, OLLAMA_HOST: '' };
    const r = await runCli(['doctor'], { cwd: root, env });
    expect(lines(r.stdout, '✘'), r.stdout).toEqual([]);
    expect(r.code).toBe(0);
    for (const what of [
      /^✔ node v\d+/m,
      /^✔ git \d+\.\d+/m,
      /^✔ config .*config\.json/m,
      /^✔ ollama .*: reachable, version/m,
      /^✔ model deepseek-coder:6\.7b: .*codeReview\.model/m,
      /^✔ model llama3\.1:8b: .*modelSelection\.profiles\.fast/m,
      /^✔ num_ctx 16384: fits/m,
      /^✔ forge gitea token: valid \(user tp-bot\)/m,
      /^✔ forge repository acme\/widgets: reachable/m,
      /^✔ forge webhook: /m,
      new RegExp(`^✔ webhook port 127\\.0\\.0\\.1:${port}: free`, 'm'),
      /^[✔!] disk: /m,
    ])
      expect(r.stdout).toMatch(what);
    expect(r.stdout).not.toContain(TOKEN);

    const j = await runCli(['doctor', '--json'], { cwd: root, env });
    expect(j.code).toBe(0);
    const report = JSON.parse(j.stdout) as { ok: boolean; checks: { status: string; what: string }[] };
    expect(report.ok).toBe(true);
    expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(report.checks.map((c) => c.what)).toContain('forge gitea token');
    expect(fake.violations).toEqual([]);
  }, 60_000);

  it('GitHub through Octokit: a valid token and its repository, then a wrong token', async () => {
    const fakeOllama = await ollama(['qwen2.5-coder:7b']);
    const gh = await startFakeGitHub({ token: TOKEN, orgs: [OWNER] });
    closers.push(() => gh.close());
    await gh.addRepo(OWNER, REPO);
    const { root } = await makeProject({
      repository: {},
      forge: { type: 'github', url: gh.url, owner: OWNER, repo: REPO },
      ollama: { host: fakeOllama.url, defaultModel: 'ollama/qwen2.5-coder:7b' },
    });
    const good = await runCli(['doctor'], { cwd: root, env: { GITHUB_TOKEN: TOKEN, OLLAMA_HOST: '' } });
    expect(lines(good.stdout, '✘'), good.stdout).toEqual([]);
    expect(good.stdout).toMatch(/^✔ forge github token: valid \(user tp-bot/m);
    expect(good.stdout).toMatch(/^✔ forge repository acme\/widgets: reachable/m);
    const bad = await runCli(['doctor'], { cwd: root, env: { GITHUB_TOKEN: WRONG, OLLAMA_HOST: '' } });
    expect(bad.code).toBe(1);
    expect(lines(bad.stdout, '✘')).toEqual([
      expect.stringMatching(/^✘ forge github token: .*401.* → .*GITHUB_TOKEN/),
    ]);
    expect(`${bad.stdout}${bad.stderr}`).not.toContain(WRONG);
  }, 60_000);

  it('the webhook port: ✔ when a running instance serves it, ✘ when another program holds it', async () => {
    const fakeOllama = await ollama(['qwen2.5-coder:7b']);
    const port = await freePort();
    const { root } = await makeProject({
      webhook: { enabled: true, port },
      ollama: { host: fakeOllama.url, defaultModel: 'ollama/qwen2.5-coder:7b' },
    });
    const env = { OLLAMA_HOST: '' };
    const cli = await startServe(root, env);
    try {
      const r = await runCli(['doctor'], { cwd: root, env });
      expect(r.stdout).toMatch(
        new RegExp(`^✔ webhook port 127\\.0\\.0\\.1:${port}: in use by a running ticket-processor`, 'm'),
      );
    } finally {
      await cli.stop();
    }
    const sockets = new Set<Socket>();
    const other = createServer((s) => {
      sockets.add(s);
      s.end('not http\n');
    });
    await new Promise<void>((resolve) => other.listen(port, '127.0.0.1', resolve));
    try {
      const r = await runCli(['doctor'], { cwd: root, env });
      expect(r.code).toBe(1);
      expect(lines(r.stdout, '✘')).toEqual([
        `✘ webhook port 127.0.0.1:${port}: in use by another program → stop it, or set webhook.port (or \`start --port\`) to a free port`,
      ]);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => other.close(resolve));
    }
  }, 90_000);
});
