import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signGitea } from '../../../src/forges/webhooks/index.js';
import { type FakeGitea, startFakeGitea } from '../../fixtures/fake-gitea/index.js';
import { type GitHttpServer, startGitHttpServer } from '../../fixtures/git-http/index.js';
import { folderContents, runCli, writeTask } from '../../helpers/project.js';
import {
  allFiles,
  findNeedles,
  type Needle,
  refSha,
  scanTree,
  seedMain,
  showFile,
  startServe,
  waitFor,
} from './support.js';

/*
 * The whole loop as a user runs it: the real CLI (`start`, a subprocess) against the
 * spec-validated fake Gitea, whose repositories are real bare repos behind a smart-HTTP git
 * server that insists on the token header. Afterwards every byte the run left behind is
 * searched for the token and the webhook secret.
 */

const TOKEN = 'e2e-gitea-token-7c1f4b9a2d6e8035';
const HOOK_SECRET = 'e2e-hook-secret-3a9d5e71c0b4f826';
const OWNER = 'acme';
const REPO = 'widgets';
const NEEDLES: Needle[] = [
  { label: 'GITEA_TOKEN', value: TOKEN },
  { label: 'GITEA_WEBHOOK_SECRET', value: HOOK_SECRET },
];

// Task 1 writes a file; task 2 prints the env variable (not passed), a file under the service's
// /tmp (hidden by the sandbox), and a token it was handed through an `agent.env` name, then
// fails, so its output has to be redacted on the way into error.log/error.json.
const AGENT = [
  'if [ "$TP_TASK_ID" = 2 ]; then',
  '  echo "env says [$GITEA_TOKEN]";',
  '  echo "disk says [$(cat "$E2E_LEAK_FILE" 2>/dev/null)]";',
  '  echo "found token: $E2E_FOUND";',
  '  exit 1;',
  'fi;',
  'echo "change $TP_TASK_ID" > "file-$TP_TASK_ID.txt"',
].join(' ');

const DELIVERIES = JSON.parse(
  readFileSync(path.resolve('test/fixtures/webhooks/gitea/deliveries.json'), 'utf8'),
) as { deliveries: { file: string; headers: Record<string, string> }[] };

/** The headers Gitea sends with a `pull_request` event (from the recorded fixture), with a fresh delivery id. */
function pullRequestHeaders(delivery: string): Record<string, string> {
  const recorded = DELIVERIES.deliveries.find((d) => d.file === 'gitea-pull_request-merged.json');
  if (!recorded) throw new Error('fixture gitea-pull_request-merged.json missing from deliveries.json');
  return Object.fromEntries(
    Object.entries(recorded.headers).map(([k, v]) => [k, /-Delivery$/i.test(k) ? delivery : v]),
  );
}

function makeGiteaProject(fake: FakeGitea, over: Record<string, unknown> = {}): string {
  const root = readyDir('tp-e2e-project-');
  const config = {
    forge: { type: 'gitea', url: fake.url, owner: OWNER, repo: REPO },
    repository: { baseBranch: 'main' },
    agent: { type: 'command', command: AGENT, timeoutMs: 20_000, env: ['E2E_LEAK_FILE', 'E2E_FOUND'] },
    webhook: { enabled: true, port: 0 },
    git: { pushRetryDelay: 10 },
    ollama: { retryDelay: 10 },
    // debug: the git log then records every command, a place a token could slip into.
    logging: { level: 'debug' },
    ...over,
  };
  writeFileSync(path.join(root, 'config.json'), JSON.stringify(config, null, 2));
  for (const f of ['todo', 'doing', 'review', 'failed', 'completed'])
    mkdirSync(path.join(root, 'backlog', f), { recursive: true });
  return root;
}

const temps: string[] = [];
function readyDir(prefix: string): string {
  const dir = path.join(os.tmpdir(), `${prefix}${randomUUID().slice(0, 8)}`);
  mkdirSync(dir, { recursive: true });
  temps.push(dir);
  return dir;
}

describe('e2e: `start` with forge.type gitea against the fake Gitea', () => {
  let gitServer: GitHttpServer;
  let fake: FakeGitea;
  let leakDir: string;
  let leakFile: string;

  beforeAll(async () => {
    gitServer = await startGitHttpServer({ token: TOKEN });
    fake = await startFakeGitea({ token: TOKEN, orgs: [OWNER], gitBackend: gitServer });
    await fake.addRepo(OWNER, REPO, { ownerIsOrg: true });
    await seedMain(gitServer.repoPath(OWNER, REPO));
    // Outside every scanned tree: where the misbehaving agent "finds" the token.
    leakDir = await mkdtemp(path.join(os.tmpdir(), 'tp-e2e-leak-'));
    leakFile = path.join(leakDir, 'token.txt');
    writeFileSync(leakFile, TOKEN);
  });

  afterEach(() => {
    expect(fake.violations).toEqual([]);
  });

  afterAll(async () => {
    await fake?.close();
    await gitServer?.close();
    for (const d of [...temps, leakDir]) if (d) await rm(d, { recursive: true, force: true });
  });

  it('the leak scanner finds a planted secret (so zero hits below means something)', async () => {
    const dir = readyDir('tp-e2e-scan-');
    mkdirSync(path.join(dir, 'repos/x.git'), { recursive: true });
    writeFileSync(
      path.join(dir, 'repos/x.git/config'),
      `[http]\n\textraHeader = Authorization: token ${TOKEN}\n`,
    );
    writeFileSync(path.join(dir, 'clean.log'), 'nothing here\n');
    const { scanned, hits } = await scanTree([dir], NEEDLES);
    expect(scanned).toHaveLength(2);
    expect(hits).toEqual([{ where: path.join(dir, 'repos/x.git/config'), label: 'GITEA_TOKEN' }]);
  });

  it('publishes a PR over HTTP, completes it from a signed merge webhook, and leaks no secret', async () => {
    const root = makeGiteaProject(fake);
    const cli = await startServe(root, {
      GITEA_TOKEN: TOKEN,
      GITEA_WEBHOOK_SECRET: HOOK_SECRET,
      E2E_LEAK_FILE: leakFile,
      E2E_FOUND: TOKEN,
    });
    let stopped = false;
    try {
      const health = await fetch(`${cli.url}/health`);
      expect(health.status).toBe(200);

      writeTask(root, '1', { title: 'Add widget export', extra: 'labels: [feature]' });
      writeTask(root, '2', { title: 'Leaky agent' });
      await waitFor(
        () => {
          const f = folderContents(root);
          return f.review?.length === 1 && f.failed?.length === 1 && fake.state.prs.length === 1;
        },
        'task 1 in review/ with a PR and task 2 in failed/',
        45_000,
        () => ({ folders: folderContents(root), prs: fake.state.prs.length, out: cli.output() }),
      );
      expect(folderContents(root)).toMatchObject({
        todo: [],
        doing: [],
        review: ['task-1 - Add widget export.md'],
        failed: ['task-2 - Leaky agent.md'],
      });

      // The PR on the fake Gitea, from a branch that really reached the bare repository.
      const pr = fake.state.prs[0]!;
      expect(pr).toMatchObject({ owner: OWNER, repo: REPO, base: 'main', state: 'open', merged: false });
      expect(pr.title).toBe('[Task 1] Add widget export');
      expect(fake.state.labels.filter((l) => pr.labelIds.includes(l.id)).map((l) => l.name)).toEqual([
        'feature',
      ]);
      const bare = gitServer.repoPath(OWNER, REPO);
      expect(pr.headSha).toBe(await refSha(bare, `refs/heads/${pr.head}`));
      expect(await showFile(bare, pr.head, 'file-1.txt')).toBe('change 1\n');
      // Pushed over smart HTTP, and every git request carried the token header.
      const pushes = gitServer.requests.filter(
        (r) => r.method === 'POST' && r.path.endsWith('/git-receive-pack'),
      );
      expect(pushes.length).toBeGreaterThanOrEqual(1);
      expect(pushes.every((r) => r.status === 200)).toBe(true);
      expect(gitServer.requests.filter((r) => !r.authorized)).toEqual([]);
      expect(fake.requests.filter((r) => r.auth !== 'token')).toEqual([]);

      // The reviewer merges on Gitea; Gitea then sends the signed pull_request webhook.
      const api = `${fake.url}/api/v1/repos/${OWNER}/${REPO}/pulls/${pr.number}`;
      const auth = { Authorization: `token ${TOKEN}`, 'Content-Type': 'application/json' };
      expect(
        (await fetch(`${api}/merge`, { method: 'POST', headers: auth, body: '{"Do":"merge"}' })).status,
      ).toBe(200);
      const merged = (await (await fetch(api, { headers: auth })).json()) as Record<string, unknown>;
      expect(merged.merged).toBe(true);
      const payload = {
        action: 'closed',
        number: pr.number,
        pull_request: merged,
        repository: (merged.base as { repo: unknown }).repo,
        sender: merged.merged_by,
      };
      // Gitea indents its payloads; the signature covers exactly these bytes.
      const raw = Buffer.from(JSON.stringify(payload, null, 2));
      const delivery = randomUUID();
      const post = (signature: string, body: Buffer = raw) =>
        fetch(`${cli.url}/webhook`, {
          method: 'POST',
          headers: { ...pullRequestHeaders(delivery), 'X-Gitea-Signature': signature },
          body,
        });

      // Forged first, with the real delivery id: refused, nothing moves, and the id is not used up.
      const forged = await post(signGitea(raw, 'not-the-secret'));
      expect(forged.status).toBe(401);
      // Signed over re-serialised JSON (compact) instead of the bytes sent: refused as well.
      const reserialised = await post(signGitea(JSON.stringify(payload), HOOK_SECRET));
      expect(reserialised.status).toBe(401);
      expect(folderContents(root).review).toEqual(['task-1 - Add widget export.md']);
      expect(folderContents(root).completed).toEqual([]);

      const good = await post(signGitea(raw, HOOK_SECRET));
      expect(good.status).toBe(200);
      expect(await good.json()).toMatchObject({ status: 'accepted' });
      expect(folderContents(root)).toMatchObject({
        review: [],
        completed: ['task-1 - Add widget export.md'],
      });
      // Gitea retries a delivery it thinks failed: the replay is acknowledged, not reprocessed.
      const replay = await post(signGitea(raw, HOOK_SECRET));
      expect(replay.status).toBe(202);
      expect(await replay.json()).toMatchObject({ status: 'duplicate' });

      const exit = await cli.stop();
      stopped = true;
      expect(exit.code).toBe(0);

      // The failing agent: scrubbed env (the variable was empty), and the token it found redacted.
      const errorLog = readFileSync(path.join(root, 'backlog/failed/task-2 - Leaky agent.error.log'), 'utf8');
      const errorJson = readFileSync(
        path.join(root, 'backlog/failed/task-2 - Leaky agent.error.json'),
        'utf8',
      );
      expect(errorLog).toContain('env says []');
      expect(errorLog).toContain('disk says []');
      expect(errorLog).toMatch(/found token: \S/);
      expect(JSON.parse(errorJson)).toMatchObject({ taskId: '2', code: 'AGENT_FAILED' });
      expect(JSON.parse(errorJson).outputTail).toMatch(/found token: \S/);

      // The grep: every file under the project (repos/ with their git configs, logs, backlog,
      // the SQLite store), every repository the forge holds, the forge's stored PRs,
      // comments and request bodies, and everything the CLI printed.
      const { scanned, hits } = await scanTree([root, gitServer.root], NEEDLES);
      const rel = scanned.map((f) => path.relative(root, f));
      expect(rel.some((f) => /^repos\/.*config$/.test(f))).toBe(true);
      expect(rel.some((f) => /^logs\/.*\.log$/.test(f))).toBe(true);
      expect(rel).toContain('backlog/failed/task-2 - Leaky agent.error.log');
      expect(rel).toContain('.ticket-processor/state.db');
      hits.push(
        ...findNeedles('fake Gitea PRs', JSON.stringify(fake.state.prs), NEEDLES),
        ...findNeedles('fake Gitea comments', JSON.stringify(fake.state.comments), NEEDLES),
        ...findNeedles('fake Gitea request bodies', JSON.stringify(fake.requests), NEEDLES),
        ...findNeedles('CLI stdout', exit.stdout, NEEDLES),
        ...findNeedles('CLI stderr', exit.stderr, NEEDLES),
      );
      expect(hits).toEqual([]);
      // The remote a git config records is the plain clone URL.
      const configs = (await allFiles(path.join(root, 'repos'))).filter((f) => path.basename(f) === 'config');
      const remotes = configs.map((f) => readFileSync(f, 'utf8')).join('\n');
      expect(remotes).toContain(gitServer.repoUrl(OWNER, REPO));
      expect(remotes).not.toMatch(/extraHeader|Authorization/i);
    } finally {
      if (!stopped) await cli.stop();
    }
  }, 120_000);

  describe('`start --once` with a wrong token', () => {
    const wrong = 'e2e-wrong-token-91b3c5d7e9f1a2b4';
    const needles = [...NEEDLES, { label: 'wrong GITEA_TOKEN', value: wrong }];
    let root: string;
    let res: Awaited<ReturnType<typeof runCli>>;
    let seen: FakeGitea['requests'];

    beforeAll(async () => {
      root = makeGiteaProject(fake, { webhook: { enabled: false } });
      writeTask(root, '7', { title: 'Never published' });
      const before = fake.requests.length;
      res = await runCli(['start', '--once'], {
        cwd: root,
        env: { GITEA_TOKEN: wrong, GITEA_WEBHOOK_SECRET: HOOK_SECRET },
        timeoutMs: 60_000,
      });
      seen = fake.requests.slice(before);
    }, 90_000);

    it('exits 1 after the forge refused the token, logs FORGE_AUTH, and leaks no token', async () => {
      expect(res.code).toBe(1);
      // The forge really saw the wrong token, refused it, and nothing was created with it.
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.every((r) => r.auth === 'invalid' && r.status === 401)).toBe(true);
      expect(folderContents(root).review).toEqual([]);
      const errors = readFileSync(path.join(root, 'logs/error.log'), 'utf8');
      expect(errors).toContain('"code":"FORGE_AUTH"');
      const { hits } = await scanTree([root], needles);
      hits.push(
        ...findNeedles('CLI stdout', res.stdout, needles),
        ...findNeedles('CLI stderr', res.stderr, needles),
      );
      expect(hits).toEqual([]);
    });

    it('moves the task to failed/ with a FORGE_AUTH error.json that names the token', () => {
      expect(folderContents(root)).toMatchObject({
        todo: [],
        doing: [],
        failed: ['task-7 - Never published.md'],
      });
      const report = JSON.parse(
        readFileSync(path.join(root, 'backlog/failed/task-7 - Never published.error.json'), 'utf8'),
      ) as { code: string; error: string; hint?: string; retryable: boolean };
      expect(report.code).toBe('FORGE_AUTH');
      expect(report.retryable).toBe(false);
      expect(report.error).toMatch(/401/);
      expect(report.hint).toMatch(/Check the Gitea token/);
      const errorLog = readFileSync(
        path.join(root, 'backlog/failed/task-7 - Never published.error.log'),
        'utf8',
      );
      expect(errorLog).toContain('FORGE_AUTH');
      expect(res.stdout).toMatch(/task 7: .*failed/);
    });
  });
});
