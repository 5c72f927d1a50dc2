import { describe, expect, it } from 'vitest';
import { runGit } from '../../../src/workspace/run-git.js';
import { tmpDir } from '../../helpers/project.js';

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' };

describe('runGit', () => {
  it('returns stdout without the final newline, and the exit code', async () => {
    const ok = await runGit(['--version'], { cwd: tmpDir(), env, timeoutMs: 10_000 });
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout).toMatch(/^git version \S+$/);
    const bad = await runGit(['rev-parse', 'HEAD'], { cwd: tmpDir(), env, timeoutMs: 10_000 });
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr).toMatch(/not a git repository/);
  });

  it('kills a git that outlives its timeout and says so', async () => {
    const res = await runGit(['-c', 'alias.slow=!sleep 20', 'slow'], {
      cwd: tmpDir(),
      env,
      timeoutMs: 300,
    });
    expect(res.timedOut).toBe(true);
    expect(res.exitCode).not.toBe(0);
  });

  it('reports a git that cannot start instead of throwing', async () => {
    const res = await runGit(['--version'], {
      cwd: tmpDir(),
      env: { PATH: '/nonexistent' },
      timeoutMs: 5_000,
    });
    expect(res.exitCode).toBeNull();
    expect(res.spawnError?.message).toMatch(/ENOENT/);
  });
});
