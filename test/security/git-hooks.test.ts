import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TpError } from '../../src/errors/index.js';
import type { PreparedWorktree, Workspace } from '../../src/workspace/index.js';
import { cleanGit } from '../helpers/clean-git.js';
import { makeProject } from '../helpers/project.js';
import { testWorkspace } from '../helpers/workspace.js';

/**
 * Issue 9, finding 2 (git part): hooks that an escaped agent installs in the shared cache
 * repository (`reference-transaction`, `post-checkout`, …) ran inside the service's own git
 * calls, with the forge token in their environment. Every git call now runs with
 * `core.hooksPath=/dev/null`, and a worktree whose `.git` file was redirected to another
 * repository (with its own config: filters, fsmonitor) is refused.
 */
const TOKEN = 'gitea-token-0123456789abcdef';
const AWS = 'aws-secret-value-0123456789abcdef';
const HOOKS = [
  'reference-transaction',
  'post-checkout',
  'pre-push',
  'post-commit',
  'pre-commit',
  'post-index-change',
];
const auth = { header: `Authorization: token ${TOKEN}` };

let root: string;
let remote: string;
let hookOut: string;
let ws: Workspace;
const saved = { GITEA_TOKEN: process.env.GITEA_TOKEN, AWS: process.env.AWS_SECRET_ACCESS_KEY };

beforeEach(async () => {
  ({ root, remote } = await makeProject());
  hookOut = path.join(root, 'hook-out');
  await mkdir(hookOut);
  // Also in this process's environment: the old code handed git all of it.
  process.env.GITEA_TOKEN = TOKEN;
  process.env.AWS_SECRET_ACCESS_KEY = AWS;
  ws = testWorkspace(root, {
    secrets: [TOKEN],
    env: { ...process.env, GITEA_TOKEN: TOKEN, AWS_SECRET_ACCESS_KEY: AWS },
  });
});

afterEach(() => {
  if (saved.GITEA_TOKEN === undefined) delete process.env.GITEA_TOKEN;
  else process.env.GITEA_TOKEN = saved.GITEA_TOKEN;
  if (saved.AWS === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
  else process.env.AWS_SECRET_ACCESS_KEY = saved.AWS;
});

/** Hook scripts that record that they ran, and the environment they saw. */
async function installHooks(dir: string) {
  await mkdir(dir, { recursive: true });
  for (const name of HOOKS) {
    const file = path.join(dir, name);
    await writeFile(file, `#!/bin/sh\nenv > "${hookOut}/${name}.$$.env"\nexit 0\n`);
    await chmod(file, 0o755);
  }
}

/** A run as the pipeline does it: prepare, change, diff, commit, push (with push auth). */
async function taskRun(branch: string) {
  const wt = await ws.prepare(remote, 'main', branch, auth);
  await writeFile(path.join(wt.dir, 'change.txt'), 'changed\n');
  await ws.changes(wt);
  await ws.diff(wt);
  await ws.commit(wt, 'change', '1', { staged: true });
  await ws.push(remote, wt, auth);
  await ws.reset(wt);
  await ws.cleanup(remote, wt);
}

async function ranHooks(): Promise<{ names: string[]; leaked: boolean }> {
  const files = await readdir(hookOut);
  const texts = await Promise.all(files.map((f) => readFile(path.join(hookOut, f), 'utf8')));
  return { names: files, leaked: texts.some((t) => t.includes(TOKEN) || t.includes(AWS)) };
}

describe('git hooks in the cache repository never run', () => {
  it('hooks in the cache repository hooks/ folder', async () => {
    const first = await ws.prepare(remote, 'main', 'task-0', auth);
    await ws.cleanup(remote, first);
    await installHooks(path.join(ws.cacheDir(remote), 'hooks'));
    await taskRun('task-1');
    expect(await ranHooks()).toEqual({ names: [], leaked: false });
  });

  it('hooks in a folder the cache config names with core.hooksPath', async () => {
    const first = await ws.prepare(remote, 'main', 'task-0', auth);
    await ws.cleanup(remote, first);
    const dir = path.join(root, 'elsewhere-hooks');
    await installHooks(dir);
    await cleanGit(ws.cacheDir(remote), ['config', 'core.hooksPath', dir]);
    await taskRun('task-2');
    expect(await ranHooks()).toEqual({ names: [], leaked: false });
  });
});

describe('a worktree whose .git was redirected is refused', () => {
  let evil: string;
  let pwned: string;

  beforeEach(async () => {
    // Another repository whose config runs a command when `git add` cleans a file.
    evil = await mkdtemp(path.join(tmpdir(), 'tp-evil-'));
    pwned = path.join(evil, 'pwned');
    await cleanGit(evil, ['init', '--quiet']);
    await cleanGit(evil, ['config', 'filter.x.clean', `sh -c 'env > ${pwned}; cat'`]);
    await cleanGit(evil, ['config', 'core.fsmonitor', `sh -c 'env > ${pwned}.fsmonitor'`]);
  });

  afterEach(async () => {
    await rm(evil, { recursive: true, force: true });
  });

  async function redirected(kind: 'file' | 'dir'): Promise<PreparedWorktree> {
    const wt = await ws.prepare(remote, 'main', `task-${kind}`, auth);
    await writeFile(path.join(wt.dir, '.gitattributes'), '* filter=x\n');
    await writeFile(path.join(wt.dir, 'a.txt'), 'a\n');
    if (kind === 'file') {
      await writeFile(path.join(wt.dir, '.git'), `gitdir: ${path.join(evil, '.git')}\n`);
    } else {
      await rm(path.join(wt.dir, '.git'));
      await cleanGit(wt.dir, ['init', '--quiet']);
      await cleanGit(wt.dir, ['config', 'filter.x.clean', `sh -c 'env > ${pwned}; cat'`]);
    }
    return wt;
  }

  for (const kind of ['file', 'dir'] as const) {
    it(`diff, changes, commit, reset and push refuse it (.git ${kind})`, async () => {
      const wt = await redirected(kind);
      for (const call of [
        () => ws.diff(wt),
        () => ws.changes(wt),
        () => ws.commit(wt, 'm', '1'),
        () => ws.reset(wt),
        () => ws.push(remote, wt, auth),
      ]) {
        const err = await call().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(existsSync(pwned), `filter ran in ${call}`).toBe(false);
        expect(existsSync(`${pwned}.fsmonitor`)).toBe(false);
        expect(TpError.isInstance(err) ? err.message : String(err)).toMatch(/\.git .*does not point at/);
      }
    });
  }
});
