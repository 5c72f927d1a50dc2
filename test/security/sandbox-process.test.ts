import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSandbox, runProcess } from '../../src/sandbox/index.js';

/** Host processes whose command line contains `needle` (the sandbox hides them from inside, not from us). */
function processesWith(needle: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (cmd.includes(needle) && !/\) Z /.test(stat)) found.push(Number(name));
    } catch {}
  }
  return found;
}

async function gone(needle: string, ms = 5_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (processesWith(needle).length === 0) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

describe('a sandboxed process is still ended as a group (real bwrap)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tp-sbxproc-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const sandbox = createSandbox({ mode: 'bwrap', bwrapPath: '/usr/bin/bwrap', env: process.env });
  const env = { PATH: process.env.PATH };

  it('a timeout ends the sandboxed sleep and the children it started', async () => {
    const res = await runProcess({
      command: 'sleep 3171 & sleep 3172 & echo started; sleep 3173; wait',
      cwd: dir,
      env,
      timeoutMs: 800,
      killGraceMs: 500,
      sandbox: { use: sandbox },
    });
    expect(res.timedOut).toBe(true);
    expect(res.output).toContain('started');
    expect(await gone('sleep 317')).toBe(true);
  });

  it('an abort does the same, and a child that ignores SIGTERM is killed after the grace', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 800);
    const res = await runProcess({
      command: "trap '' TERM; sleep 3181 & echo started; sleep 3182; wait",
      cwd: dir,
      env,
      signal: ac.signal,
      killGraceMs: 300,
      sandbox: { use: sandbox },
    });
    expect(res.aborted).toBe(true);
    expect(await gone('sleep 318')).toBe(true);
  });

  it('background processes left behind by a finished command do not survive it', async () => {
    const res = await runProcess({
      command: 'sleep 3191 & echo bye',
      cwd: dir,
      env,
      killGraceMs: 300,
      sandbox: { use: sandbox },
    });
    expect(res.exitCode).toBe(0);
    expect(await gone('sleep 3191')).toBe(true);
  });

  it('a program missing inside the sandbox is a spawn error, as it is unconfined', async () => {
    const res = await runProcess({ argv: ['tp-no-such-program'], cwd: dir, env, sandbox: { use: sandbox } });
    expect(res.spawnError?.code).toBe('ENOENT');
    expect(res.exitCode).toBeNull();
  });
});
