import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TpError } from '../../../src/errors/index.js';
import type { Forge } from '../../../src/forges/types.js';
import { createTargetResolver, repoKey } from '../../../src/pipeline/target.js';
import type { Task } from '../../../src/tasks/types.js';
import { tmpDir } from '../../helpers/project.js';

const ORIGIN = 'https://git.example.com/acme/widgets.git';
const HEADER = { header: 'Authorization: token t0k3n' };

/** The two Forge methods the resolver uses; the rest are never called. */
function forge(type: string): Forge {
  return {
    type,
    remoteUrl: async () => ORIGIN,
    pushAuth: () => (type === 'local' ? undefined : HEADER),
  } as unknown as Forge;
}

const task = (over: Partial<Task> = {}): Task =>
  ({ id: '7', repo: undefined, baseBranch: undefined, ...over }) as Task;

async function failure(p: Promise<unknown>): Promise<TpError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!TpError.isInstance(err)) throw new Error(`expected a TpError, got ${String(err)}`);
  return err;
}

describe('repoKey', () => {
  it('treats spellings of one forge URL alike and keeps real differences', () => {
    const k = (v: string) => repoKey(v, '/base');
    expect(k('HTTPS://Git.Example.com/acme/widgets/')).toBe(k(ORIGIN));
    expect(k('https://git.example.com:443/acme/widgets')).toBe(k(ORIGIN));
    expect(k('https://git.example.com/acme/Widgets.git')).not.toBe(k(ORIGIN));
    expect(k('http://git.example.com/acme/widgets.git')).not.toBe(k(ORIGIN));
    expect(k('https://git.example.com:8443/acme/widgets.git')).not.toBe(k(ORIGIN));
    expect(k('https://evil@git.example.com/acme/widgets.git')).not.toBe(k(ORIGIN));
    expect(k('git@Git.Example.com:acme/widgets.git')).toBe(k('git@git.example.com:acme/widgets'));
    expect(k('git@git.example.com:acme/widgets.git')).not.toBe(
      k('ssh://git@git.example.com/acme/widgets.git'),
    );
  });

  it('resolves local paths (relative, file://, through symlinks) and keeps `.git` in directory names', () => {
    const dir = tmpDir();
    mkdirSync(path.join(dir, 'repo.git'));
    symlinkSync(path.join(dir, 'repo.git'), path.join(dir, 'link.git'));
    const k = (v: string) => repoKey(v, dir);
    expect(k('repo.git')).toBe(k(path.join(dir, 'repo.git')));
    expect(k('./link.git/')).toBe(k('repo.git'));
    expect(k(`file://${dir}/repo.git`)).toBe(k('repo.git'));
    expect(k('repo')).not.toBe(k('repo.git'));
  });

  it('refuses option-like and empty values', () => {
    expect(() => repoKey('--upload-pack=touch /tmp/x;@x', '/')).toThrow();
    expect(() => repoKey('  ', '/')).toThrow();
  });
});

describe('createTargetResolver', () => {
  const policy = (type: string, over: Record<string, unknown> = {}) =>
    createTargetResolver({
      baseDir: '/srv/tp',
      configuredUrl: undefined,
      allowed: ['https://git.example.com/acme/other.git', '/srv/repos/extra.git'],
      baseBranch: 'main',
      allowedBaseBranches: [],
      forge: forge(type),
      defaultRemote: async () => ORIGIN,
      ...over,
    });

  it('sends the token only to the forge origin, never to another allowed repository on the same host', async () => {
    const resolve = policy('gitea');
    expect(await resolve(task())).toEqual({ remote: ORIGIN, auth: HEADER, baseBranch: 'main' });
    expect(await resolve(task({ repo: 'https://GIT.example.com/acme/widgets' }))).toEqual({
      remote: ORIGIN,
      auth: HEADER,
      baseBranch: 'main',
    });
    expect(await resolve(task({ repo: 'https://git.example.com/acme/other/' }))).toEqual({
      remote: 'https://git.example.com/acme/other.git',
      auth: undefined,
      baseBranch: 'main',
    });
    expect(await resolve(task({ repo: '/srv/repos/extra.git' }))).toMatchObject({
      remote: '/srv/repos/extra.git',
      auth: undefined,
    });
  });

  it('fails a repository outside the allow-list, option-like values included, naming the key', async () => {
    const resolve = policy('gitea');
    for (const repo of [
      'https://evil.example.com/acme/widgets.git',
      '--upload-pack=touch /tmp/x;@x',
      '/srv/repos/other.git',
      'https://git.example.com/acme/other.git/../widgets-fork.git',
    ]) {
      const err = await failure(resolve(task({ repo })));
      expect(err).toMatchObject({ code: 'TASK_REPO_NOT_ALLOWED', retryable: false });
      expect(err.hint).toContain('repository.allowed');
    }
  });

  it('allows repository.url under any spelling and uses the configured value (local forge: no auth)', async () => {
    const resolve = policy('local', { configuredUrl: 'remote.git', allowed: [] });
    expect(await resolve(task({ repo: './remote.git/' }))).toEqual({
      remote: '/srv/tp/remote.git',
      auth: undefined,
      baseBranch: 'main',
    });
  });

  it('allows the configured base branch and listed ones only', async () => {
    const open = policy('gitea');
    expect((await open(task({ baseBranch: 'main' }))).baseBranch).toBe('main');
    expect(await failure(open(task({ baseBranch: 'production' })))).toMatchObject({
      code: 'TASK_BASE_NOT_ALLOWED',
      retryable: false,
    });
    const listed = policy('gitea', { allowedBaseBranches: ['develop', 'release'] });
    expect((await listed(task({ baseBranch: 'release' }))).baseBranch).toBe('release');
    expect((await listed(task())).baseBranch).toBe('main');
    const err = await failure(listed(task({ baseBranch: '--force' })));
    expect(err.hint).toContain('repository.allowedBaseBranches');
  });
});
