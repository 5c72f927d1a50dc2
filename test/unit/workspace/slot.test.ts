import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { claimSlot } from '../../../src/workspace/index.js';
import { gitOut, tmpDir } from '../../helpers/project.js';
import { bareRemote, testWorkspace } from '../../helpers/workspace.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('claimSlot', () => {
  it('gives two claims distinct slots, and a released slot to the next claim', async () => {
    const repos = tmpDir();
    const a = await claimSlot(repos);
    const b = await claimSlot(repos);
    expect([a.slot, b.slot]).toEqual([0, 1]);
    expect(a.dir).toBe(path.join(repos, 'workers', '0'));
    expect(readFileSync(path.join(a.dir, 'owner.pid'), 'utf8').trim().split(' ')[0]).toBe(
      String(process.pid),
    );
    await a.release();
    const c = await claimSlot(repos);
    expect(c.slot).toBe(0);
    await b.release();
    await c.release();
  });

  it('takes over a slot whose owner is dead, and skips one whose owner lives', async () => {
    const repos = tmpDir();
    // A pid that surely belonged to a process that has exited.
    const dead = spawnSync('true').pid!;
    const live = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      for (const [slot, pid] of [
        ['0', live.pid!],
        ['1', dead],
      ] as const) {
        mkdirSync(path.join(repos, 'workers', slot), { recursive: true });
        writeFileSync(path.join(repos, 'workers', slot, 'owner.pid'), `${pid}\n`);
      }
      const s = await claimSlot(repos);
      expect(s.slot).toBe(1);
      expect(readFileSync(path.join(s.dir, 'owner.pid'), 'utf8').trim().split(' ')[0]).toBe(
        String(process.pid),
      );
      await s.release();
      expect(existsSync(path.join(s.dir, 'owner.pid'))).toBe(false);
    } finally {
      live.kill('SIGKILL');
    }
  });

  it('a lock with our pid but written by an earlier process (a restarted container) is free', async () => {
    const repos = tmpDir();
    mkdirSync(path.join(repos, 'workers', '0'), { recursive: true });
    writeFileSync(path.join(repos, 'workers', '0', 'owner.pid'), `${process.pid} earlier-incarnation\n`);
    const s = await claimSlot(repos);
    expect(s.slot).toBe(0);
    await s.release();
  });
});

describe('sweepOrphans in a slot', () => {
  const children: Array<{ kill(s: string): void }> = [];
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
  });

  it('leaves the worktrees, branches and processes of another slot (and of the root) alone', async () => {
    const root = tmpDir();
    const { remote } = bareRemote(root);
    const repos = path.join(root, 'repos');
    const [s0, s1] = [await claimSlot(repos), await claimSlot(repos)];
    const ws0 = testWorkspace(root, { reposDir: s0.dir });
    const ws1 = testWorkspace(root, { reposDir: s1.dir });
    const w0 = await ws0.prepare(remote, 'main', 'task-1');
    const w1 = await ws1.prepare(remote, 'main', 'task-2');
    const agent = spawn('/bin/sh', ['-c', 'sleep 60 & wait'], {
      cwd: w1.dir,
      detached: true,
      stdio: 'ignore',
    });
    children.push({ kill: (s) => process.kill(-agent.pid!, s) });
    await new Promise((r) => setTimeout(r, 100));

    expect(await ws0.sweepOrphans()).toBe(1);
    // The coordinator's Workspace (the root folders.repos) sweeps only its own folders too.
    expect(await testWorkspace(root).sweepOrphans()).toBe(0);
    expect(existsSync(w0.dir)).toBe(false);
    expect(existsSync(w1.dir)).toBe(true);
    expect(alive(agent.pid!)).toBe(true);
    expect(gitOut(['worktree', 'list', '--porcelain'], w1.cache!)).toContain(w1.dir);
    expect(gitOut(['rev-parse', '--abbrev-ref', 'HEAD'], w1.dir)).toBe('task-2');
    // Slot 0's stale task branch went with its worktree.
    expect(gitOut(['for-each-ref', '--format=%(refname)', 'refs/heads/task-1'], w0.cache!)).toBe('');
    expect(await ws1.sweepOrphans()).toBe(1);
    expect(existsSync(w1.dir)).toBe(false);
    await s0.release();
    await s1.release();
  });
});
