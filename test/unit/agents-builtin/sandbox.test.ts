import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyEdits } from '../../../src/agents/builtin/edits.js';
import { Sandbox, SandboxError } from '../../../src/agents/builtin/sandbox.js';
import { tempTree } from './helpers.js';

describe('Sandbox', () => {
  let t: Awaited<ReturnType<typeof tempTree>>;
  let sb: Sandbox;
  beforeEach(async () => {
    t = await tempTree();
    sb = new Sandbox(t.repo);
    await mkdir(path.join(t.base, 'outside'));
    await writeFile(path.join(t.base, 'outside', 'secret.txt'), 'secret\n');
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it.each([
    ['../outside/secret.txt', /escapes/],
    ['src/../../outside/x', /escapes/],
    ['/etc/passwd', /absolute/],
    ['C:\\Windows\\x', /absolute/],
    ['~/x', /absolute/],
    ['.git/config', /\.git/],
    ['sub/.GIT/HEAD', /\.git/],
    ['', /empty/],
  ])('rejects %s', async (p, msg) => {
    await expect(sb.resolve(p)).rejects.toThrow(msg);
    await expect(sb.resolve(p)).rejects.toBeInstanceOf(SandboxError);
  });

  it('accepts normalised in-tree paths', async () => {
    await expect(sb.resolve('./a/b/../c.txt')).resolves.toMatchObject({ rel: 'a/c.txt', exists: false });
  });

  it('refuses writes through a symlinked directory that leads outside', async () => {
    await symlink(path.join(t.base, 'outside'), path.join(t.repo, 'link'));
    const res = await applyEdits(sb, [{ kind: 'write', path: 'link/new.txt', content: 'pwned\n' }]);
    expect(res.ok).toBe(false);
    expect(await readdir(path.join(t.base, 'outside'))).toEqual(['secret.txt']);
  });

  it('refuses edits of a symlinked file that points outside', async () => {
    await symlink(path.join(t.base, 'outside', 'secret.txt'), path.join(t.repo, 'innocent.txt'));
    const res = await applyEdits(sb, [
      { kind: 'replace', path: 'innocent.txt', search: 'secret\n', replace: 'x\n' },
    ]);
    expect(res.ok).toBe(false);
    expect(await readFile(path.join(t.base, 'outside', 'secret.txt'), 'utf8')).toBe('secret\n');
    await expect(sb.read('innocent.txt')).rejects.toThrow(/outside/);
  });

  it('refuses a broken symlink and a symlink into .git', async () => {
    await mkdir(path.join(t.repo, '.git'));
    await symlink(path.join(t.repo, '.git'), path.join(t.repo, 'g'));
    await symlink(path.join(t.base, 'nowhere'), path.join(t.repo, 'dangling'));
    await expect(sb.resolve('g/config')).rejects.toThrow(/\.git/);
    await expect(sb.resolve('dangling')).rejects.toThrow(/broken symlink/);
  });

  it('follows an in-tree symlink to its real target', async () => {
    await writeFile(path.join(t.repo, 'real.txt'), 'a\n');
    await symlink('real.txt', path.join(t.repo, 'alias.txt'));
    const res = await applyEdits(sb, [{ kind: 'replace', path: 'alias.txt', search: 'a\n', replace: 'b\n' }]);
    expect(res).toEqual({ ok: true, changed: ['alias.txt'] });
    expect(await readFile(path.join(t.repo, 'real.txt'), 'utf8')).toBe('b\n');
  });
});
