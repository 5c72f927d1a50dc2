import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHttpServer, startGitHttpServer } from '../../fixtures/git-http/index.js';

const run = promisify(execFile);
const TOKEN = 'git-http-token-31337';

async function git(cwd: string, args: string[], header?: string) {
  return run('git', args, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
    env: {
      PATH: process.env.PATH,
      HOME: cwd,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_TERMINAL_PROMPT: '0',
      GIT_AUTHOR_NAME: 'T',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 'T',
      GIT_COMMITTER_EMAIL: 't@example.com',
      ...(header
        ? { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: header }
        : {}),
    },
  });
}

const failed = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: { stderr?: string }) => e.stderr ?? String(e),
  );

describe('git smart-HTTP fixture (git http-backend behind token auth)', () => {
  let server: GitHttpServer;
  let work: string;
  let url: string;

  beforeAll(async () => {
    server = await startGitHttpServer({ token: TOKEN });
    await server.createBareRepo('acme', 'repo');
    url = server.repoUrl('acme', 'repo');
    work = await mkdtemp(path.join(os.tmpdir(), 'tp-git-http-'));
    await git(work, ['init', '--quiet', '--initial-branch=main', 'src']);
  });

  afterAll(async () => {
    await server?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('refuses a push without the header and with a wrong token, with 401 + WWW-Authenticate', async () => {
    const src = path.join(work, 'src');
    await writeFile(path.join(src, 'a.txt'), 'a\n');
    await git(src, ['add', '.']);
    await git(src, ['commit', '--quiet', '-m', 'a']);
    expect(await failed(git(src, ['push', url, 'main']))).toMatch(
      /could not read Username|401|Authentication/,
    );
    expect(await failed(git(src, ['push', url, 'main'], 'Authorization: token nope'))).toBeTruthy();
    const res = await fetch(`${url}/info/refs?service=git-receive-pack`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect((await git(server.repoPath('acme', 'repo'), ['for-each-ref'])).stdout).toBe('');
  });

  it('accepts a push and a clone with the header; a large pack goes through chunked', async () => {
    const src = path.join(work, 'src');
    const header = `Authorization: token ${TOKEN}`;
    // Incompressible 3 MB is above git's 1 MB http.postBuffer, so the upload is chunked.
    await writeFile(path.join(src, 'blob.bin'), randomBytes(3 * 1024 * 1024));
    await git(src, ['add', '.']);
    await git(src, ['commit', '--quiet', '-m', 'big']);
    await git(src, ['push', '--quiet', url, 'main'], header);
    const sha = (await git(src, ['rev-parse', 'HEAD'])).stdout.trim();
    expect((await git(server.repoPath('acme', 'repo'), ['rev-parse', 'main'])).stdout.trim()).toBe(sha);

    const clone = path.join(work, 'clone');
    await git(work, ['clone', '--quiet', url, clone], header);
    const [cloned, original] = await Promise.all([
      readFile(path.join(clone, 'blob.bin')),
      readFile(path.join(src, 'blob.bin')),
    ]);
    // Buffer#equals, not toEqual: a deep diff of 3 MB byte by byte takes longer than the test.
    expect(cloned.equals(original)).toBe(true);
    expect(await readFile(path.join(clone, '.git', 'config'), 'utf8')).not.toContain(TOKEN);
    expect(server.requests.filter((r) => r.authorized).every((r) => r.status === 200)).toBe(true);
  });
});
