import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runProcess } from '../../../src/sandbox/index.js';

const FIXTURES = resolve(import.meta.dirname, '../../fixtures/agents');
const env = { PATH: process.env.PATH, HOME: process.env.HOME };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A killed process may stay a zombie for a moment until init reaps it. */
async function waitGone(pid: number, ms = 3_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!alive(pid)) return true;
    const stat = (() => {
      try {
        return readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        return '';
      }
    })();
    if (/\) Z /.test(stat)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !alive(pid);
}

async function readPid(file: string): Promise<number> {
  for (let i = 0; i < 500; i++) {
    try {
      const n = Number.parseInt(readFileSync(file, 'utf8'), 10);
      if (n > 0) return n;
    } catch {}
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no pid in ${file}`);
}

describe('runProcess', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tp-runner-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports exit codes and combined output in arrival order', async () => {
    const ok = await runProcess({ command: 'echo out; echo err >&2; echo out2', cwd: dir, env });
    expect(ok.exitCode).toBe(0);
    expect(ok.timedOut).toBe(false);
    expect(ok.output).toContain('out\n');
    expect(ok.output).toContain('err\n');
    expect(ok.output.indexOf('out2')).toBeGreaterThan(ok.output.indexOf('out\n'));

    const bad = await runProcess({ command: 'echo nope >&2; exit 3', cwd: dir, env });
    expect(bad.exitCode).toBe(3);
    expect(bad.output).toBe('nope\n');
  });

  it('runs argv without a shell, so metacharacters are literal', async () => {
    const res = await runProcess({ argv: ['printf', '%s', '$(echo pwned); `id`'], cwd: dir, env });
    expect(res.output).toBe('$(echo pwned); `id`');
  });

  it('passes exactly the given environment and cwd', async () => {
    const res = await runProcess({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell syntax, not a JS template
      argv: ['/bin/sh', '-c', 'echo "A=$A_VAR"; echo "SECRET=${TP_UNSET_SECRET:-none}"; pwd'],
      cwd: dir,
      env: { ...env, A_VAR: 'hello world' },
    });
    expect(res.output).toContain('A=hello world\n');
    expect(res.output).toContain('SECRET=none\n');
    expect(res.output).toContain(`${dir}\n`);
  });

  it('closes stdin and gives no TTY', async () => {
    // `cat` would hang forever on an open stdin; with /dev/null it ends at once.
    const res = await runProcess({
      command: 'cat; if [ -t 0 ]; then echo tty; else echo notty; fi; tty || true',
      cwd: dir,
      env,
      timeoutMs: 5_000,
    });
    expect(res.timedOut).toBe(false);
    expect(res.output).toContain('notty');
    expect(res.output).toMatch(/not a tty/);
  });

  it('streams chunks to onOutput with the stream name', async () => {
    const seen: Array<[string, string]> = [];
    await runProcess({
      command: 'echo a; echo b >&2',
      cwd: dir,
      env,
      onOutput: (chunk, stream) => seen.push([stream, chunk]),
    });
    expect(seen).toContainEqual(['stdout', 'a\n']);
    expect(seen).toContainEqual(['stderr', 'b\n']);
  });

  it('keeps only the tail of the output within maxOutputBytes', async () => {
    const res = await runProcess({
      command: 'i=0; while [ $i -lt 5000 ]; do echo "line $i"; i=$((i+1)); done; echo END-MARK',
      cwd: dir,
      env,
      maxOutputBytes: 1_000,
    });
    expect(res.exitCode).toBe(0);
    expect(Buffer.byteLength(res.output)).toBeLessThanOrEqual(1_000);
    expect(res.output.endsWith('line 4999\nEND-MARK\n')).toBe(true);
    expect(res.output).not.toContain('line 0\n');
    expect(res.outputTruncated).toBe(true);
  });

  it('on timeout kills the whole process group, grandchild included', async () => {
    const pidFile = join(dir, 'gc.pid');
    const started = Date.now();
    const res = await runProcess({
      argv: [join(FIXTURES, 'spawn-grandchild.sh'), pidFile],
      cwd: dir,
      env,
      timeoutMs: 500,
      killGraceMs: 2_000,
    });
    const gc = await readPid(pidFile);
    expect(res.timedOut).toBe(true);
    expect(res.exitCode).toBeNull();
    expect(res.signal).toBe('SIGTERM');
    expect(res.output).toContain('grandchild started');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await waitGone(gc)).toBe(true);
  });

  it('escalates to SIGKILL when SIGTERM is ignored', async () => {
    const res = await runProcess({
      argv: [join(FIXTURES, 'ignore-term.sh')],
      cwd: dir,
      env,
      timeoutMs: 300,
      killGraceMs: 300,
    });
    expect(res.timedOut).toBe(true);
    expect(res.signal).toBe('SIGKILL');
    expect(res.durationMs).toBeGreaterThanOrEqual(550);
    expect(res.durationMs).toBeLessThan(5_000);
  });

  it('abort terminates the group and is reported as aborted', async () => {
    const pidFile = join(dir, 'gc.pid');
    const ac = new AbortController();
    const p = runProcess({
      argv: [join(FIXTURES, 'spawn-grandchild.sh'), pidFile],
      cwd: dir,
      env,
      signal: ac.signal,
      timeoutMs: 60_000,
    });
    const gc = await readPid(pidFile);
    ac.abort();
    const res = await p;
    expect(res.aborted).toBe(true);
    expect(res.timedOut).toBe(false);
    expect(res.exitCode).toBeNull();
    expect(await waitGone(gc)).toBe(true);
  });

  it('does not start at all when the signal is already aborted', async () => {
    const marker = join(dir, 'ran');
    const res = await runProcess({ command: `touch ${marker}`, cwd: dir, env, signal: AbortSignal.abort() });
    expect(res.aborted).toBe(true);
    expect(() => readFileSync(marker)).toThrow();
  });

  it('cleans up background processes left behind after a normal exit', async () => {
    const pidFile = join(dir, 'bg.pid');
    const res = await runProcess({ argv: [join(FIXTURES, 'leave-background.sh'), pidFile], cwd: dir, env });
    expect(res.exitCode).toBe(0);
    expect(await waitGone(await readPid(pidFile))).toBe(true);
  });

  it('a leftover that outlives the main process is killed, but the run still counts as finished', async () => {
    const res = await runProcess({
      // The main process waits until the leftover has set its trap: otherwise the group's
      // SIGTERM can land before `trap` runs and end it early (a race in the test, not the runner).
      command:
        "(trap '' TERM; touch trap-set; sleep 30) & while [ ! -f trap-set ]; do sleep 0.01; done; echo main-done",
      cwd: dir,
      env,
      timeoutMs: 300,
      killGraceMs: 1_000,
    });
    expect(res.exitCode).toBe(0);
    expect(res.timedOut).toBe(false);
    expect(res.output).toBe('main-done\n');
    // Finished only after SIGKILL reached the TERM-ignoring leftover that held the pipe.
    expect(res.durationMs).toBeGreaterThanOrEqual(900);
    expect(res.durationMs).toBeLessThan(5_000);
  });

  it('reports a missing binary as a spawn error, and `sh` reports 127', async () => {
    const res = await runProcess({ argv: ['tp-no-such-binary-xyz'], cwd: dir, env });
    expect(res.spawnError?.code).toBe('ENOENT');
    expect(res.exitCode).toBeNull();
    const sh = await runProcess({ command: 'tp-no-such-binary-xyz --flag', cwd: dir, env });
    expect(sh.exitCode).toBe(127);
  });

  it('rejects a call with neither command nor argv', async () => {
    await expect(runProcess({ cwd: dir, env })).rejects.toThrow(TypeError);
  });
});
