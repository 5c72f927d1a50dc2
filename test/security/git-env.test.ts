import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git } from '../../src/workspace/index.js';
import { makeProject } from '../helpers/project.js';
import { testWorkspace } from '../helpers/workspace.js';

/**
 * Issue 9, finding 2 (git part): every git process gets a minimal environment (allow-list),
 * the push auth only on calls that talk to the remote, and `core.hooksPath=/dev/null`.
 * Observed for real: a `git` wrapper first on PATH records each call's argv and environment,
 * then runs the real git.
 */
const TOKEN = 'gitea-token-0123456789abcdef';
const SECRETS: Record<string, string> = {
  GITEA_TOKEN: TOKEN,
  AWS_SECRET_ACCESS_KEY: 'aws-secret-value-0123456789abcdef',
  DATABASE_URL: 'postgres://u:dbpassword123@db/x',
  NPM_CONFIG__AUTH: 'npm-auth-0123456789',
  TP_API_TOKEN: 'api-token-0123456789',
  SOME_UNLISTED_VAR: 'unlisted-value-42',
};
const NETWORK = new Set(['clone', 'fetch', 'ls-remote', 'push']);
const savedPath = process.env.PATH;
const savedSecrets = Object.fromEntries(Object.keys(SECRETS).map((k) => [k, process.env[k]]));

let root: string;
let remote: string;
let log: string;
let pathWithWrapper: string;

interface Call {
  args: string[];
  env: Record<string, string>;
}

/**
 * One file per call: git calls run concurrently (the pool's background clean, `gc --auto`), and
 * appends of several writes each to one shared log interleave, which tore a call's record apart.
 */
async function calls(): Promise<Call[]> {
  const names = await readdir(log).catch(() => [] as string[]);
  const texts = await Promise.all(names.map((n) => readFile(path.join(log, n), 'utf8')));
  return texts
    .map((t) => t.replace(/^\u0001CALL\n/, ''))
    .filter((c) => c.trim() !== '')
    .map((c) => {
      const [argPart = '', envPart = ''] = c.split('\u0001ENV\n');
      const args = argPart.split('\u0000').filter((a) => a !== '');
      const env: Record<string, string> = {};
      for (const kv of envPart.split('\u0000')) {
        const i = kv.indexOf('=');
        if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
      }
      return { args, env };
    });
}

/** The git subcommand: the first argument after the global options (`-c k=v`, `--git-dir=…`). */
function subcommand(args: string[]): string {
  let i = 0;
  while (args[i]?.startsWith('-')) i += args[i] === '-c' ? 2 : 1;
  return args[i] ?? '';
}

beforeAll(async () => {
  ({ root, remote } = await makeProject());
  const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  const bin = path.join(root, 'wrapper-bin');
  log = path.join(root, 'git-calls');
  await mkdir(bin);
  await mkdir(log);
  await writeFile(
    path.join(bin, 'git'),
    [
      '#!/bin/sh',
      `f=$(mktemp '${log}/call.XXXXXX')`,
      `{ printf '\\001CALL\\n'; for a in "$@"; do printf '%s\\000' "$a"; done; printf '\\001ENV\\n'; env -0; } > "$f"`,
      `exec '${realGit}' "$@"`,
      '',
    ].join('\n'),
  );
  await chmod(path.join(bin, 'git'), 0o755);
  pathWithWrapper = `${bin}:${savedPath}`;
  // The old code handed git this process's whole environment: put the secrets there too.
  process.env.PATH = pathWithWrapper;
  Object.assign(process.env, SECRETS);
});

afterAll(() => {
  process.env.PATH = savedPath;
  for (const [k, v] of Object.entries(savedSecrets)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('the environment of every git process', () => {
  it('holds no secret, and the auth header only on calls that talk to the remote', async () => {
    const ws = testWorkspace(root, {
      secrets: [TOKEN],
      env: {
        ...SECRETS,
        PATH: pathWithWrapper,
        HOME: root,
        LANG: 'C.UTF-8',
        SSH_AUTH_SOCK: '/tmp/agent.sock',
        https_proxy: 'http://proxy.local:3128',
      },
    });
    const auth = { header: `Authorization: token ${TOKEN}` };
    const wt = await ws.prepare(remote, 'main', 'task-1', auth);
    await writeFile(path.join(wt.dir, 'x.txt'), 'x\n');
    await ws.diff(wt);
    await ws.commit(wt, 'msg', '1', { staged: true });
    await ws.push(remote, wt, auth);
    await ws.remoteHead(remote, 'task-1', auth);
    await ws.cleanup(remote, wt);
    // The pool cleans a returned worktree in the background: let it finish before reading the log.
    await ws.drain();

    const seen = await calls();
    const kinds = new Set(seen.map((c) => subcommand(c.args)));
    for (const k of ['clone', 'fetch', 'worktree', 'add', 'diff', 'commit', 'push', 'ls-remote']) {
      expect(kinds).toContain(k);
    }
    for (const c of seen) {
      const sub = subcommand(c.args);
      for (const name of Object.keys(SECRETS)) expect(c.env[name], `${name} in git ${sub}`).toBeUndefined();
      const holders = Object.keys(c.env).filter((k) => c.env[k]?.includes(TOKEN));
      expect(holders, `token holders in git ${sub}`).toEqual(NETWORK.has(sub) ? ['GIT_CONFIG_VALUE_0'] : []);
      expect(c.args.join(' '), `git ${sub}`).toContain('-c core.hooksPath=/dev/null');
      expect(c.env.HOME, `HOME in git ${sub}`).toBe(root);
      expect(c.env.LANG, `LANG in git ${sub}`).toBe('C.UTF-8');
      if (NETWORK.has(sub)) {
        expect(c.env.GIT_CONFIG_VALUE_0, `auth on git ${sub}`).toBe(auth.header);
        expect(c.env.SSH_AUTH_SOCK).toBe('/tmp/agent.sock');
        expect(c.env.https_proxy).toBe('http://proxy.local:3128');
      } else {
        expect(c.env.GIT_CONFIG_VALUE_0, `auth on git ${sub}`).toBeUndefined();
        expect(c.env.SSH_AUTH_SOCK, `ssh agent on git ${sub}`).toBeUndefined();
        expect(c.env.https_proxy).toBeUndefined();
      }
    }
  });

  it('git() without a base environment still passes only the allow-list', async () => {
    await rm(log, { recursive: true });
    await mkdir(log);
    await git(['--version'], { cwd: root });
    const c = (await calls()).find((call) => call.args.includes('--version'));
    expect(c).toBeDefined();
    for (const name of Object.keys(SECRETS)) expect(c?.env[name]).toBeUndefined();
  });
});
