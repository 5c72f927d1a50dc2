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

/** One git process to run, as plain data (it crosses to the spawner process). */
export interface GitRequest {
  args: readonly string[];
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  /** More output than any git call of ours needs (a diff of a very large change); beyond it the call fails. */
  maxOutput: number;
  /** Time between SIGTERM and SIGKILL of a git that outlived its timeout. */
  killGraceMs: number;
}

/** Something that runs a git request elsewhere (GitSpawner: a helper process). */
export interface GitRunner {
  run(req: GitRequest): Promise<GitExit>;
}

const MAX_OUTPUT = 128 * 1024 * 1024;
const KILL_GRACE_MS = 2_000;

/**
 * Runs one git process and collects its output: through `spawner` when one is given (the
 * Workspace's, see GitSpawner), else from this process. This is `child_process.spawn`
 * directly, not execa: a task makes about six git calls on its critical path, and execa's
 * per-call work (signal-exit handlers, stream plumbing, an AbortSignal per timeout) cost more
 * main-thread time than the spawn itself in the burst profile. Git needs none of it: no
 * stdin, bounded output, a timeout.
 */
export function runGit(
  args: readonly string[],
  opts: { cwd: string; env: Record<string, string>; timeoutMs: number; spawner?: GitRunner | undefined },
): Promise<GitExit> {
  const req: GitRequest = {
    args,
    cwd: opts.cwd,
    env: opts.env,
    timeoutMs: opts.timeoutMs,
    maxOutput: MAX_OUTPUT,
    killGraceMs: KILL_GRACE_MS,
  };
  return opts.spawner ? opts.spawner.run(req) : collectProcess(spawn, req);
}

/**
 * Spawns git and collects its output. Self-contained on purpose (no imports, no module-level
 * helpers): the spawner process runs this very function from its source text.
 */
export function collectProcess(spawnGit: typeof spawn, req: GitRequest): Promise<GitExit> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let timedOut = false;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    // Its own process group: a timeout ends git and what it started (ssh, a credential helper,
    // an alias), which would otherwise hold the pipes open.
    const child = spawnGit('git', req.args, {
      cwd: req.cwd,
      env: req.env,
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
    const text = (chunks: Buffer[]) => {
      const s = Buffer.concat(chunks).toString('utf8');
      if (s.endsWith('\r\n')) return s.slice(0, -2);
      return s.endsWith('\n') ? s.slice(0, -1) : s;
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill('SIGTERM');
      killTimer = setTimeout(() => kill('SIGKILL'), req.killGraceMs);
    }, req.timeoutMs);
    const finish = (exitCode: number | null, spawnError?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(killTimer);
      resolve({
        stdout: text(out),
        stderr: text(err),
        exitCode,
        timedOut,
        ...(spawnError ? { spawnError } : {}),
      });
    };
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > req.maxOutput) {
        kill('SIGKILL');
        return;
      }
      into.push(chunk);
    };
    child.stdout?.on('data', collect(out));
    child.stderr?.on('data', collect(err));
    child.on('error', (e) => finish(null, e));
    // 'close' (not 'exit'): the pipes are drained, so the output is complete.
    child.on('close', (code) => finish(size > req.maxOutput ? null : code));
  });
}
