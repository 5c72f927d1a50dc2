import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitOut, tmpDir } from '../../helpers/project.js';
import { bareRemote, recordingWorkspace, testWorkspace } from '../../helpers/workspace.js';

describe('Workspace: start-up warm-up', () => {
  it('clones, fetches and makes idle worktrees at the base; the first tasks then run no worktree add', async () => {
    const root = tmpDir();
    const { remote } = bareRemote(root);
    const { ws, count } = recordingWorkspace(root);
    await ws.warmUp(async () => ({ remote, baseBranch: 'main', auth: undefined }), 3);
    expect(count('clone')).toBe(1);
    expect(count('worktree')).toBe(3);
    const base = gitOut(['rev-parse', 'main'], remote);
    const idle = readdirSync(path.join(root, 'repos', 'worktrees'));
    expect(idle).toHaveLength(3);
    // Detached: no branch is held, so any task may take any of them.
    for (const dir of idle) {
      const wt = path.join(root, 'repos', 'worktrees', dir);
      expect(gitOut(['rev-parse', 'HEAD'], wt)).toBe(base);
      expect(gitOut(['rev-parse', '--abbrev-ref', 'HEAD'], wt)).toBe('HEAD');
    }

    const taken = await Promise.all([1, 2, 3].map((i) => ws.prepare(remote, 'main', `task-${i}`)));
    expect(count('worktree')).toBe(3);
    expect(count('clone')).toBe(1);
    expect(taken.map((w) => gitOut(['rev-parse', '--abbrev-ref', 'HEAD'], w.dir)).sort()).toEqual([
      'task-1',
      'task-2',
      'task-3',
    ]);
    // A fourth at once finds the pool empty and makes one.
    const fourth = await ws.prepare(remote, 'main', 'task-4');
    expect(count('worktree')).toBe(4);
    for (const w of [...taken, fourth]) await ws.cleanup(remote, w);
    await ws.drain();
  });

  it('never throws: a remote that is not there is left to the first run to report', async () => {
    const root = tmpDir();
    const { ws, count } = recordingWorkspace(root);
    const missing = { remote: path.join(root, 'missing.git'), baseBranch: 'main', auth: undefined };
    await expect(ws.warmUp(async () => missing, 2)).resolves.toBeUndefined();
    expect(count('worktree')).toBe(0);
  });
});

describe('Workspace: a worktree given back before its push', () => {
  it('is taken by the next task while the push of the first one goes out from the cache', async () => {
    const root = tmpDir();
    const { remote } = bareRemote(root);
    const { ws, count } = recordingWorkspace(root);
    const a = await ws.prepare(remote, 'main', 'task-1');
    writeFileSync(path.join(a.dir, 'one.txt'), 'one\n');
    await ws.diff(a);
    const sha = await ws.commit(a, 'one', '1', { staged: true });
    await ws.cleanup(remote, a);
    const adds = count('worktree');

    // The next task takes the same folder (a checkout, no worktree add) and changes it…
    const b = await ws.prepare(remote, 'main', 'task-2');
    expect(b.dir).toBe(a.dir);
    expect(count('worktree')).toBe(adds);
    writeFileSync(path.join(b.dir, 'two.txt'), 'two\n');
    // …and the first task's push still sends exactly its own commit.
    await ws.push(remote, a, undefined, { released: { sha } });
    expect(gitOut(['rev-parse', 'refs/heads/task-1'], remote)).toBe(sha);
    expect(gitOut(['ls-tree', '--name-only', 'task-1'], remote).split('\n')).not.toContain('two.txt');
    expect(gitOut(['ls-tree', '--name-only', 'task-1'], remote).split('\n')).toContain('one.txt');
    await ws.cleanup(remote, b);
    await ws.drain();
  });
});

describe('Workspace: fetches and worktree adds on one cache', () => {
  it('never overlap: a fetch during a worktree add fails on its placeholder HEAD', async () => {
    const root = tmpDir();
    const { remote } = bareRemote(root);
    const calls: { sub: string; start: number; end: number; ok: boolean }[] = [];
    const ws = testWorkspace(root, {
      log: (l) => {
        const end = performance.now();
        calls.push({ sub: l.args.join(' '), start: end - l.durationMs, end, ok: l.ok });
      },
    });
    await ws.sync(remote, 'main');
    // The warm-up makes 8 worktrees while fetches keep coming, as when a restart has a task queued.
    let warming = true;
    const warm = ws
      .warmUp(async () => ({ remote, baseBranch: 'main', auth: undefined }), 8)
      .finally(() => {
        warming = false;
      });
    let fetched = 0;
    while (warming) {
      await ws.sync(remote, 'main');
      fetched++;
    }
    await warm;
    await ws.drain();
    const adds = calls.filter((c) => c.sub.startsWith('worktree add'));
    const fetches = calls.filter((c) => c.sub.startsWith('fetch'));
    expect(adds).toHaveLength(8);
    expect(fetched).toBeGreaterThan(0);
    expect(calls.filter((c) => !c.ok)).toEqual([]);
    // 2 ms of slack: durations are whole milliseconds of Date.now, the end here is just after.
    const overlapping = fetches.filter((f) => adds.some((a) => f.start < a.end - 2 && a.start < f.end - 2));
    expect(overlapping).toEqual([]);
  });

  it("a fetch that fails names git's reason, not only the branch", async () => {
    const root = tmpDir();
    const { remote } = bareRemote(root);
    const ws = testWorkspace(root);
    await ws.sync(remote, 'main');
    rmSync(remote, { recursive: true, force: true });
    const err = await ws.prepare(remote, 'main', 'task-1').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'GIT_FAILED' });
    expect((err as Error).message).toMatch(
      /^Cannot fetch base branch "main" from the target repository \(git fetch failed: .+\)\.$/,
    );
  });
});
