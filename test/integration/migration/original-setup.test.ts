import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeGitea, startFakeGitea } from '../../fixtures/fake-gitea/index.js';
import { type FakeOllama, startFakeOllama } from '../../fixtures/fake-ollama/index.js';
import { type GitHttpServer, startGitHttpServer } from '../../fixtures/git-http/index.js';
import { folderContents, runCli, tmpDir, writeTask } from '../../helpers/project.js';
import { refSha, scanTree, seedMain, showFile, sqliteText } from '../e2e/support.js';

/*
 * A user of the original tool points ticket-processor at their install: the original's
 * config.json, byte for byte, and a .env with the original's Gitea variables (plus the
 * OLLAMA_HOST their .env.example has). The real CLI runs as a subprocess with the built-in
 * agent against the fake Ollama; the forge is the spec-validated fake Gitea behind a real
 * smart-HTTP git server that insists on the token header.
 */

const ORIGINAL = path.resolve('test/fixtures/original-install/config.json');
const TOKEN = 'migration-token-4d2a9c7e1b5f8036';
const HOOK_SECRET = 'migration-hook-secret-8e3b1f6a';
const ORG = 'ticket-processor';
// The original's default model; the fake serves it with tool calling.
const MODEL = 'deepseek-coder';
const NEEDLES = [{ label: 'GITEA_TOKEN', value: TOKEN }];

const temps: string[] = [];

/** An original install: config.json copied verbatim, .env with only the Gitea keys and OLLAMA_HOST. */
function originalInstall(
  gitea: FakeGitea,
  ollama: FakeOllama,
  configEdit?: (c: Record<string, unknown>) => void,
) {
  const root = tmpDir('tp-migration-');
  temps.push(root);
  const config = path.join(root, 'config.json');
  copyFileSync(ORIGINAL, config);
  if (configEdit) {
    const c = JSON.parse(readFileSync(config, 'utf8')) as Record<string, unknown>;
    configEdit(c);
    writeFileSync(config, JSON.stringify(c, null, 2));
  }
  writeFileSync(
    path.join(root, '.env'),
    [
      `GITEA_URL=${gitea.url}`,
      `GITEA_TOKEN=${TOKEN}`,
      `GITEA_ORG=${ORG}`,
      `GITEA_WEBHOOK_SECRET=${HOOK_SECRET}`,
      `OLLAMA_HOST=${ollama.url}`,
      '',
    ].join('\n'),
  );
  for (const f of ['todo', 'doing', 'review', 'failed', 'completed'])
    mkdirSync(path.join(root, 'backlog', f), { recursive: true });
  return root;
}

/** The built-in agent's two turns: write a file, then finish. */
function scriptAgent(ollama: FakeOllama, file: string, content: string): void {
  ollama.enqueueReply(MODEL, { toolCalls: [{ name: 'write_file', arguments: { path: file, content } }] });
  ollama.enqueueReply(MODEL, { toolCalls: [{ name: 'finish', arguments: { summary: `wrote ${file}` } }] });
}

describe('an original setup (config.json + .env) runs against Gitea', () => {
  let git: GitHttpServer;
  let gitea: FakeGitea;
  let ollama: FakeOllama;

  beforeAll(async () => {
    git = await startGitHttpServer({ token: TOKEN });
    gitea = await startFakeGitea({ token: TOKEN, orgs: [ORG], gitBackend: git });
    ollama = await startFakeOllama({
      models: [{ name: MODEL, contextLength: 16384, capabilities: ['completion', 'tools'] }],
    });
  });
  afterEach(() => {
    expect(gitea.violations).toEqual([]);
  });
  afterAll(async () => {
    await ollama?.close();
    await gitea?.close();
    await git?.close();
    for (const d of temps) await rm(d, { recursive: true, force: true });
  });

  it('uses the gitea forge, says so, and opens the PR on Gitea in the repository repository.url names', async () => {
    await gitea.addRepo(ORG, 'webapp', { ownerIsOrg: true });
    await seedMain(git.repoPath(ORG, 'webapp'));
    const root = originalInstall(gitea, ollama);
    writeTask(root, '3', { title: 'Add health page' });
    scriptAgent(ollama, 'health.txt', 'ok\n');
    // The original had no repository setting (it made a repository per task); this is the one
    // key such a user adds, given here the way a service manager would pass it.
    const repoUrl = git.repoUrl(ORG, 'webapp');
    const r = await runCli(['start', '--once'], {
      cwd: root,
      env: { TP_REPOSITORY: repoUrl },
      timeoutMs: 90_000,
    });
    expect(r.stderr).toContain(
      `notice: forge: using gitea at ${gitea.url} (forge.type not set; GITEA_URL and GITEA_TOKEN are)`,
    );
    expect(r.stderr).toContain(`notice: forge: repository ${ORG}/webapp (from repository.url)`);
    expect(r.code).toBe(0);
    expect(folderContents(root)).toMatchObject({
      todo: [],
      doing: [],
      review: ['task-3 - Add health page.md'],
    });

    const pr = gitea.state.prs.find((p) => p.repo === 'webapp');
    expect(pr).toMatchObject({ owner: ORG, repo: 'webapp', head: 'task-3', base: 'main', state: 'open' });
    expect(pr?.title).toBe('[Task 3] Add health page');
    const bare = git.repoPath(ORG, 'webapp');
    expect(await showFile(bare, 'task-3', 'health.txt')).toBe('ok\n');
    // Pushed with the token header, never with the token in a URL.
    expect(git.requests.filter((q) => !q.authorized)).toEqual([]);
    expect((await scanTree([path.join(root, 'repos')], NEEDLES)).hits).toEqual([]);
  }, 120_000);

  it('with repository.perTaskRepo: creates task-{id} in GITEA_ORG through the API and opens the PR there', async () => {
    const root = originalInstall(gitea, ollama, (c) => {
      c.repository = { perTaskRepo: true };
    });
    writeTask(root, '5', { title: 'Broken feature fixed' });
    scriptAgent(ollama, 'feature.txt', 'fixed\n');
    const before = gitea.requests.length;
    const r = await runCli(['start', '--once'], { cwd: root, timeoutMs: 90_000 });
    expect(r.stderr).toContain(
      `notice: forge: using gitea at ${gitea.url} (forge.type not set; GITEA_URL and GITEA_TOKEN are)`,
    );
    expect(r.code).toBe(0);
    expect(folderContents(root).review).toEqual(['task-5 - Broken feature fixed.md']);

    const created = gitea.requests
      .slice(before)
      .filter((q) => q.method === 'POST' && q.path === `/api/v1/orgs/${ORG}/repos`);
    expect(created).toHaveLength(1);
    expect(created[0]?.status).toBe(201);
    expect(gitea.state.repos.get(`${ORG}/task-5`.toLowerCase())).toBeDefined();

    const pr = gitea.state.prs.find((p) => p.repo === 'task-5');
    expect(pr).toMatchObject({ owner: ORG, repo: 'task-5', head: 'task-5', base: 'main', state: 'open' });
    const bare = git.repoPath(ORG, 'task-5');
    expect(await refSha(bare, 'refs/heads/main')).toMatch(/^[0-9a-f]{40}$/);
    expect(await showFile(bare, 'task-5', 'feature.txt')).toBe('fixed\n');
    expect(git.requests.filter((q) => !q.authorized)).toEqual([]);
    expect((await scanTree([path.join(root, 'repos')], NEEDLES)).hits).toEqual([]);
    // The run records the PR in its own repository (what webhooks and auto-merge go by).
    const rows = sqliteText(path.join(root, '.ticket-processor/state.db'));
    expect(rows).toContain(`/${ORG}/task-5/pulls/${pr?.number}`);
  }, 120_000);
});
