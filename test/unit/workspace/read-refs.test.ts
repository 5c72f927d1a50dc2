import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRefsFromFiles } from '../../../src/workspace/read-refs.js';
import { tmpDir } from '../../helpers/project.js';
import { bareRemote } from '../../helpers/workspace.js';

const git = (args: string[], cwd: string) =>
  execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@t', ...args], {
    cwd,
    encoding: 'utf8',
  }).trim();

function forEachRef(gitDir: string): Map<string, string> {
  const out = git(
    ['--git-dir', gitDir, 'for-each-ref', '--format=%(refname) %(objectname)', 'refs/remotes/origin/'],
    gitDir,
  );
  return new Map(
    out
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ') as [string, string]),
  );
}

describe('readRefsFromFiles', () => {
  it('reads what for-each-ref reads: packed refs, loose refs that override them, nested names, pruned refs gone', () => {
    const root = tmpDir();
    const { remote, advance } = bareRemote(root);
    advance('task-1', 'a.txt');
    advance('feature/deep/x', 'b.txt');
    const cache = path.join(root, 'cache.git');
    git(['clone', '--bare', '--quiet', remote, cache], root);
    const fetch = () =>
      git(
        ['--git-dir', cache, 'fetch', '--quiet', '--prune', 'origin', '+refs/heads/*:refs/remotes/origin/*'],
        root,
      );
    fetch();
    git(['--git-dir', cache, 'pack-refs', '--all'], root);
    // After packing: one branch moves (a loose ref over the packed one), one appears, one is deleted.
    advance('task-1', 'c.txt');
    advance('task-2', 'd.txt');
    git(['--git-dir', remote, 'branch', '-D', 'feature/deep/x'], root);
    fetch();
    return readRefsFromFiles(cache, 'refs/remotes/origin/').then((refs) => {
      expect(refs).toBeDefined();
      expect(refs).toEqual(forEachRef(cache));
      expect([...refs!.keys()].sort()).toEqual([
        'refs/remotes/origin/main',
        'refs/remotes/origin/task-1',
        'refs/remotes/origin/task-2',
      ]);
    });
  });

  it('leaves a layout it does not know to git (reftable, an unparsable ref)', async () => {
    const root = tmpDir();
    const { remote } = bareRemote(root);
    const cache = path.join(root, 'cache.git');
    git(['clone', '--bare', '--quiet', remote, cache], root);
    git(['--git-dir', cache, 'fetch', '--quiet', 'origin', '+refs/heads/*:refs/remotes/origin/*'], root);
    writeFileSync(path.join(cache, 'refs', 'remotes', 'origin', 'odd'), 'not a sha\n');
    expect(await readRefsFromFiles(cache, 'refs/remotes/origin/')).toBeUndefined();
    const other = path.join(root, 'other.git');
    git(['init', '--quiet', '--bare', other], root);
    writeFileSync(
      path.join(other, 'config'),
      '[core]\n\tbare = true\n[extensions]\n\trefStorage = reftable\n',
    );
    expect(await readRefsFromFiles(other, 'refs/remotes/origin/')).toBeUndefined();
  });
});
