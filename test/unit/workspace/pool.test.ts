import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitOut, tmpDir } from '../../helpers/project.js';
import { bareRemote, recordingWorkspace } from '../../helpers/workspace.js';

const listed = (ws: { cacheDir(r: string): string }, remote: string) =>
  gitOut(['worktree', 'list', '--porcelain'], ws.cacheDir(remote));

describe('Workspace: single-flight fetch', () => {
  it('runs one fetch for four concurrent prepares on a cold cache, and one for four on a warm one', async () => {
    const root = tmpDir();
    const { remote } = bareRemote(root);
    const { ws, count } = recordingWorkspace(root);
    const cold = await Promise.all([1, 2, 3, 4].map((i) => ws.prepare(remote, 'main', `task-${i}`)));
    expect(count('clone')).toBe(1);
    expect(count('fetch')).toBe(1);
    const base = gitOut(['rev-parse', 'main'], remote);
    expect(cold.map((w) => w.baseSha)).toEqual([base, base, base, base]);
    expect(new Set(cold.map((w) => w.dir)).size).toBe(4);
    await Promise.all(cold.map((w) => ws.cleanup(remote, w)));
    await ws.drain();

    const warm = await Promise.all([5, 6, 7, 8].map((i) => ws.prepare(remote, 'main', `task-${i}`)));
    expect(count('fetch')).toBe(2);
    // The base and lease shas come from the ref files the fetch left: no ref-reading process, no worktree add.
    expect(count('for-each-ref')).toBe(0);
    expect(count('worktree')).toBe(4);
    expect(warm.map((w) => w.remoteBranchSha)).toEqual(['', '', '', '']);
    await Promise.all(warm.map((w) => ws.cleanup(remote, w)));
    await ws.drain();
  });

  it('a prepare asked for after a fetch started sees the remote as it is after its request', async () => {
    const root = tmpDir();
    const { remote, advance } = bareRemote(root);
    const { ws } = recordingWorkspace(root);
    const first = await ws.prepare(remote, 'main', 'task-1');
    await ws.cleanup(remote, first);
    const moved = advance('main', 'next.txt');
    const lease = advance('task-2', 'theirs.txt');
    const wt = await ws.prepare(remote, 'main', 'task-2');
    expect(wt.baseSha).toBe(moved);
    expect(wt.remoteBranchSha).toBe(lease);
    await ws.cleanup(remote, wt);
    await ws.drain();
  });
});

describe('Workspace: fetch freshness by admission time', () => {
  it('tasks admitted before a fetch started share it, after it finished too; a task admitted later gets a new one', async () => {
    const root = tmpDir();
    const { remote, advance } = bareRemote(root);
    const { ws, count } = recordingWorkspace(root);
    const admitted = Date.now();
    const first = await ws.prepare(remote, 'main', 'task-1', undefined, { freshSince: admitted });
    await ws.cleanup(remote, first);
    // The remote moves, but task 2 was admitted with task 1: the fetch that served task 1 is recent enough.
    const old = first.baseSha;
    const moved = advance('main', 'next.txt');
    const second = await ws.prepare(remote, 'main', 'task-2', undefined, { freshSince: admitted });
    expect(second.baseSha).toBe(old);
    expect(count('fetch')).toBe(1);
    await ws.cleanup(remote, second);
    // Admitted now, after that fetch started: it sees the new base.
    await new Promise((r) => setTimeout(r, 5));
    const third = await ws.prepare(remote, 'main', 'task-3', undefined, { freshSince: Date.now() });
    expect(third.baseSha).toBe(moved);
    expect(count('fetch')).toBe(2);
    await ws.cleanup(remote, third);
    await ws.drain();
  });
});

describe('Workspace: prefetch', () => {
  it('a fetch started when a task file appears serves that task; a cache never prepared is not fetched', async () => {
    const root = tmpDir();
    const { remote, advance } = bareRemote(root);
    const { ws, count } = recordingWorkspace(root);
    ws.prefetch(remote, undefined, Date.now());
    expect(count('fetch')).toBe(0);
    const first = await ws.prepare(remote, 'main', 'task-1');
    await ws.cleanup(remote, first);
    const moved = advance('main', 'next.txt');
    const seen = Date.now();
    ws.prefetch(remote, undefined, seen);
    const wt = await ws.prepare(remote, 'main', 'task-2', undefined, { freshSince: seen });
    expect(wt.baseSha).toBe(moved);
    expect(count('fetch')).toBe(2);
    await ws.cleanup(remote, wt);
    await ws.drain();
  });
});

describe('Workspace: worktree pool', () => {
  it('reuses a worktree with nothing left of the previous task, at the new base', async () => {
    const root = tmpDir();
    const { remote, advance } = bareRemote(root);
    const { ws, count } = recordingWorkspace(root);
    const a = await ws.prepare(remote, 'main', 'task-1');
    writeFileSync(path.join(a.dir, 'committed.txt'), 'c');
    await ws.commit(a, 'one', '1');
    writeFileSync(path.join(a.dir, 'README.md'), 'changed by the agent\n');
    writeFileSync(path.join(a.dir, 'untracked.txt'), 'u');
    writeFileSync(path.join(a.dir, 'staged.txt'), 's');
    gitOut(['add', 'staged.txt'], a.dir);
    writeFileSync(path.join(a.dir, 'debug.log'), 'ignored');
    await mkdir(path.join(a.dir, 'build'), { recursive: true });
    writeFileSync(path.join(a.dir, 'build', 'out.o'), 'ignored');
    await ws.cleanup(remote, a);
    const base = advance('main', 'fresh.txt');
    const adds = count('worktree');

    const b = await ws.prepare(remote, 'main', 'task-2');
    expect(b.dir).toBe(a.dir);
    expect(count('worktree')).toBe(adds);
    expect(b.baseSha).toBe(base);
    expect(gitOut(['rev-parse', 'HEAD'], b.dir)).toBe(base);
    expect(gitOut(['rev-parse', '--abbrev-ref', 'HEAD'], b.dir)).toBe('task-2');
    expect(readdirSync(b.dir).sort()).toEqual(['.git', '.gitignore', 'README.md', 'fresh.txt']);
    expect(gitOut(['status', '--porcelain', '--ignored', '--untracked-files=all'], b.dir)).toBe('');
    expect(gitOut(['show', 'HEAD:README.md'], b.dir)).toBe('base');
    await ws.cleanup(remote, b);
    await ws.drain();
  });

  it('takes back the idle worktree already on the branch (a re-run of the same task)', async () => {
    const root = tmpDir();
    const { remote } = bareRemote(root);
    const { ws } = recordingWorkspace(root);
    const [a, b] = await Promise.all([
      ws.prepare(remote, 'main', 'task-1'),
      ws.prepare(remote, 'main', 'task-2'),
    ]);
    await ws.cleanup(remote, a);
    await ws.cleanup(remote, b);
    const again = await ws.prepare(remote, 'main', 'task-2');
    expect(again.dir).toBe(b.dir);
    await ws.cleanup(remote, again);
    await ws.drain();
  });

  it('removes a discarded worktree for good and never hands it out again', async () => {
    const root = tmpDir();
    const { remote } = bareRemote(root);
    const { ws } = recordingWorkspace(root);
    const a = await ws.prepare(remote, 'main', 'task-1');
    await ws.cleanup(remote, a, { discard: true });
    expect(existsSync(a.dir)).toBe(false);
    expect(listed(ws, remote)).not.toContain(a.dir);
    const b = await ws.prepare(remote, 'main', 'task-2');
    expect(b.dir).not.toBe(a.dir);
    await ws.cleanup(remote, b);
    await ws.drain();
  });

  it('does not pool a worktree whose .git was replaced, nor one where a git call failed', async () => {
    const root = tmpDir();
    const { remote } = bareRemote(root);
    const { ws } = recordingWorkspace(root);
    const [a, b] = await Promise.all([
      ws.prepare(remote, 'main', 'task-1'),
      ws.prepare(remote, 'main', 'task-2'),
    ]);
    writeFileSync(path.join(a.dir, '.git'), `gitdir: ${path.join(root, 'elsewhere')}\n`);
    await ws.cleanup(remote, a);
    await expect(ws.reset({ ...b, baseSha: 'f'.repeat(40) })).rejects.toThrow(/git reset/);
    await ws.cleanup(remote, b);
    await ws.drain();
    const c = await ws.prepare(remote, 'main', 'task-3');
    expect([a.dir, b.dir]).not.toContain(c.dir);
    expect(existsSync(a.dir)).toBe(false);
    expect(existsSync(b.dir)).toBe(false);
    await ws.cleanup(remote, c);
    await ws.drain();
  });

  it('keeps at most poolSize idle worktrees', async () => {
    const root = tmpDir();
    const { remote } = bareRemote(root);
    const { ws } = recordingWorkspace(root, { poolSize: 1 });
    const wts = await Promise.all([1, 2, 3].map((i) => ws.prepare(remote, 'main', `task-${i}`)));
    for (const wt of wts) await ws.cleanup(remote, wt);
    await ws.drain();
    expect(wts.filter((w) => existsSync(w.dir))).toHaveLength(1);
  });
});
