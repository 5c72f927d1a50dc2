import { afterEach, describe, expect, it } from 'vitest';
import { GitSpawner } from '../../../src/workspace/git-spawner.js';
import { runGit } from '../../../src/workspace/run-git.js';
import { tmpDir } from '../../helpers/project.js';

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' };

/** The pid of the process that started git: read by a git alias, whose shell's parent is git. */
async function helperPid(spawner: GitSpawner): Promise<number> {
  const res = await runGit(['-c', "alias.starter=!cut -d' ' -f4 /proc/$PPID/stat", 'starter'], {
    cwd: tmpDir(),
    env,
    timeoutMs: 10_000,
    spawner,
  });
  return Number(res.stdout.trim());
}

describe('GitSpawner: git started from a helper process', () => {
  const open: GitSpawner[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
  });
  const make = () => {
    const s = new GitSpawner();
    open.push(s);
    return s;
  };

  it('gives the same answers as a direct spawn: output, exit code, timeout, a git that cannot start', async () => {
    const spawner = make();
    const ok = await runGit(['--version'], { cwd: tmpDir(), env, timeoutMs: 10_000, spawner });
    expect(ok).toEqual(await runGit(['--version'], { cwd: tmpDir(), env, timeoutMs: 10_000 }));
    const bad = await runGit(['rev-parse', 'HEAD'], { cwd: tmpDir(), env, timeoutMs: 10_000, spawner });
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr).toMatch(/not a git repository/);
    const slow = await runGit(['-c', 'alias.slow=!sleep 20', 'slow'], {
      cwd: tmpDir(),
      env,
      timeoutMs: 300,
      spawner,
    });
    expect(slow.timedOut).toBe(true);
    const missing = await runGit(['--version'], {
      cwd: tmpDir(),
      env: { PATH: '/nonexistent' },
      timeoutMs: 5_000,
      spawner,
    });
    expect(missing.exitCode).toBeNull();
    expect(missing.spawnError?.message).toMatch(/ENOENT/);
    expect((missing.spawnError as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('runs git from another process than this one, with only the environment each call brings', async () => {
    const spawner = make();
    const pid = await helperPid(spawner);
    expect(pid).toBeGreaterThan(0);
    expect(pid).not.toBe(process.pid);
    const res = await runGit(['-c', 'alias.env=!env', 'env'], {
      cwd: tmpDir(),
      env: { ...env, ONLY_THIS: 'yes' },
      timeoutMs: 10_000,
      spawner,
    });
    expect(res.stdout).toContain('ONLY_THIS=yes');
    expect(res.stdout).not.toContain('VITEST');
  });

  it('a helper that dies fails the call it was running with a message, and the next call gets a new helper', async () => {
    const spawner = make();
    const first = await helperPid(spawner);
    const slow = runGit(['-c', 'alias.slow=!sleep 5', 'slow'], {
      cwd: tmpDir(),
      env,
      timeoutMs: 20_000,
      spawner,
    });
    await new Promise((r) => setTimeout(r, 200));
    process.kill(first, 'SIGKILL');
    const lost = await slow;
    expect(lost.exitCode).toBeNull();
    expect(lost.spawnError?.message).toMatch(/git helper process ended/);
    const second = await helperPid(spawner);
    expect(second).not.toBe(first);
    const ok = await runGit(['--version'], { cwd: tmpDir(), env, timeoutMs: 10_000, spawner });
    expect(ok.exitCode).toBe(0);
  });

  it('close ends the helper; calls after it run from this process', async () => {
    const spawner = make();
    const pid = await helperPid(spawner);
    await spawner.close();
    await new Promise((r) => setTimeout(r, 200));
    expect(() => process.kill(pid, 0)).toThrow();
    expect(await helperPid(spawner)).toBe(process.pid);
  });
});
