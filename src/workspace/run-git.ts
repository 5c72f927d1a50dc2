import { spawn } from 'node:child_process';

/** What one finished git process said. */
export interface GitExit {
  stdout: string;
  stderr: string;
  /** null when git was killed (timeout) or could not start. */
  exitCode: number | null;
  timedOut: boolean;
  /** Set when the process could not be started (ENOENT: git is not installed). */
  spawnError?: Error;
}

/** More output than any git call of ours needs (a diff of a very large change); beyond it the call fails. */
const MAX_OUTPUT = 128 * 1024 * 1024;
/** Time between SIGTERM and SIGKILL of a git that outlived its timeout. */
const KILL_GRACE_MS = 2_000;

/**
 * Runs one git process and collects its output. This is `child_process.spawn` directly, not
 * execa: a task makes about six git calls on its critical path, and execa's per-call work
 * (signal-exit handlers, stream plumbing, an AbortSignal per timeout) cost more main-thread
 * time than the spawn itself in the burst profile. Git needs none of it: no stdin, bounded
 * output, a timeout.
 */
export function runGit(
  args: readonly string[],
  opts: { cwd: string; env: Record<string, string>; timeoutMs: number },
): Promise<GitExit> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let timedOut = false;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    // Its own process group: a timeout ends git and what it started (ssh, a credential helper,
    // an alias), which would otherwise hold the pipes open.
    const child = spawn('git', args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const kill = (sig: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, sig);
      } catch {
        // The group is gone already.
      }
    };
    const finish = (exitCode: number | null, spawnError?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(killTimer);
      resolve({
        stdout: stripFinalNewline(Buffer.concat(out).toString('utf8')),
        stderr: stripFinalNewline(Buffer.concat(err).toString('utf8')),
        exitCode,
        timedOut,
        ...(spawnError ? { spawnError } : {}),
      });
    };
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OUTPUT) {
        kill('SIGKILL');
        return;
      }
      into.push(chunk);
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));
    const timer = setTimeout(() => {
      timedOut = true;
      kill('SIGTERM');
      killTimer = setTimeout(() => kill('SIGKILL'), KILL_GRACE_MS);
    }, opts.timeoutMs);
    child.on('error', (e) => finish(null, e));
    // 'close' (not 'exit'): the pipes are drained, so the output is complete.
    child.on('close', (code) => finish(size > MAX_OUTPUT ? null : code));
  });
}

function stripFinalNewline(s: string): string {
  if (s.endsWith('\r\n')) return s.slice(0, -2);
  return s.endsWith('\n') ? s.slice(0, -1) : s;
}
