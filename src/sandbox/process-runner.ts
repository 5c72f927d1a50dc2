import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { OutputTail } from './output-tail.js';
import type { ProcessSandbox, WrapOptions } from './process-sandbox.js';

export type OutputStream = 'stdout' | 'stderr';

export interface RunProcessOptions {
  /** A shell command line, run with `/bin/sh -c`. Give this or `argv`. */
  command?: string;
  /** `[file, ...args]`, run without a shell. Give this or `command`. */
  argv?: readonly string[];
  cwd: string;
  /**
   * The complete environment of the child (nothing is inherited implicitly, so the caller
   * decides what leaks into an agent; pass `process.env` plus extras at the composition root).
   */
  env: Record<string, string | undefined>;
  /** Wall-clock limit; on expiry the whole process group is terminated. */
  timeoutMs?: number;
  /** Aborting terminates the whole process group. */
  signal?: AbortSignal;
  /** Called with every decoded chunk as it arrives (for live logs and event parsing). */
  onOutput?: (chunk: string, stream: OutputStream) => void;
  /** Bytes of combined output kept (the tail). Default 1 MiB. */
  maxOutputBytes?: number;
  /** Time between SIGTERM and SIGKILL. Default 5000 ms. */
  killGraceMs?: number;
  /**
   * Runs the program confined: `use` wraps the argv (bubblewrap, or nothing in mode `none`);
   * the worktree defaults to `cwd`, the network to off.
   */
  sandbox?: { use: ProcessSandbox } & Partial<WrapOptions>;
}

export interface ProcessResult {
  /** Exit code, or null when the process was ended by a signal or never started. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  /** Combined stdout+stderr in arrival order, capped to the last `maxOutputBytes`. */
  output: string;
  outputTruncated: boolean;
  durationMs: number;
  /** Set when the process could not be started (`ENOENT`, `EACCES`, …). */
  spawnError?: { code: string | undefined; message: string };
}

const DEFAULT_MAX_OUTPUT = 1024 * 1024;
const DEFAULT_GRACE_MS = 5_000;

/** Signals a whole process group; a group that is already gone is not an error. */
function signalGroup(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, sig);
    return true;
  } catch {
    return false;
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs an external program the way an unattended agent must run: its own process group
 * (so a timeout or abort also ends the grandchildren it spawned), stdin from `/dev/null`,
 * no TTY, an explicit environment, and output captured as a bounded tail. Never throws for
 * a failing program: the outcome is described in the result.
 *
 * execa's own `timeout`/`cancelSignal` kill only the direct child, so group termination is
 * done here (SIGTERM to `-pid`, SIGKILL after the grace period).
 */
export async function runProcess(opts: RunProcessOptions): Promise<ProcessResult> {
  const plain = opts.argv ?? (opts.command !== undefined ? ['/bin/sh', '-c', opts.command] : undefined);
  if (!plain || plain.length === 0) throw new TypeError('runProcess needs `command` or a non-empty `argv`');
  // The types require `use`; a caller not yet wired to the project sandbox runs as before.
  const box = opts.sandbox?.use ? opts.sandbox : undefined;
  const argv = box ? confine(plain, box, opts.cwd) : plain;
  const confined = box?.use.mode === 'bwrap';
  const [file, ...args] = argv as [string, ...string[]];
  const grace = opts.killGraceMs ?? DEFAULT_GRACE_MS;
  const tail = new OutputTail(opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT);
  const started = performance.now();

  let timedOut = false;
  let aborted = false;
  const timers: NodeJS.Timeout[] = [];

  if (opts.signal?.aborted) {
    return {
      exitCode: null,
      signal: null,
      timedOut: false,
      aborted: true,
      output: '',
      outputTruncated: false,
      durationMs: 0,
    };
  }

  // Plain spawn, not execa: this runs on every agent call and check, the group handling
  // (detached, signals to the whole group, pipe draining) is ours anyway, and execa's per-call
  // set-up showed in the burst profile. Undefined values in `env` are left out by Node.
  const child = spawn(file, args, {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const ended = new Promise<{ spawnError?: NodeJS.ErrnoException }>((resolve) => {
    child.once('error', (err) => resolve({ spawnError: err }));
    // 'close': the pipes are drained too, so the output tail is complete.
    child.once('close', () => resolve({}));
  });
  const pid = child.pid;

  const attach = (stream: Readable | null, name: OutputStream) => {
    if (!stream) return;
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      tail.push(chunk);
      opts.onOutput?.(chunk, name);
    });
  };
  attach(child.stdout, 'stdout');
  attach(child.stderr, 'stderr');

  let terminating = false;
  /** SIGTERM the group, SIGKILL it after the grace period, and finally stop waiting for pipes. */
  const terminate = () => {
    if (terminating || pid === undefined) return;
    terminating = true;
    signalGroup(pid, 'SIGTERM');
    timers.push(
      setTimeout(() => {
        if (groupAlive(pid)) signalGroup(pid, 'SIGKILL');
        // A process that left the group (setsid) may still hold our pipes; don't hang on it.
        timers.push(
          setTimeout(() => {
            child.stdout?.destroy();
            child.stderr?.destroy();
          }, 1_000),
        );
      }, grace),
    );
  };

  // Once the main process has exited, a late timer or abort only cleans up; it does not turn
  // a finished run into a timed-out or aborted one.
  let exited = false;
  if (opts.timeoutMs !== undefined && opts.timeoutMs > 0) {
    timers.push(
      setTimeout(() => {
        if (!exited) timedOut = true;
        terminate();
      }, opts.timeoutMs),
    );
  }
  const onAbort = () => {
    if (!exited) aborted = true;
    terminate();
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  let exitCode: number | null = null;
  let exitSignal: NodeJS.Signals | null = null;
  child.on('exit', (code, sig) => {
    exited = true;
    exitCode = code;
    exitSignal = sig;
    // Leftover background processes must not outlive the run (nor keep our pipes open).
    if (pid !== undefined && groupAlive(pid)) terminate();
  });

  const result = await ended;
  for (const t of timers) clearTimeout(t);
  opts.signal?.removeEventListener('abort', onAbort);

  const durationMs = Math.round(performance.now() - started);
  const base = {
    timedOut,
    aborted,
    output: tail.toString(),
    outputTruncated: tail.truncated,
    durationMs,
  };
  if (pid === undefined) {
    // Spawn failed (ENOENT, EACCES, bad cwd).
    const err = result.spawnError;
    return {
      ...base,
      exitCode: null,
      signal: null,
      spawnError: { code: err?.code, message: err?.message ?? 'the process could not be started' },
    };
  }
  const code = exitCode;
  const notStarted = confined && code === 1 ? bwrapExecFailure(base.output) : undefined;
  if (notStarted) return { ...base, exitCode: null, signal: null, spawnError: notStarted };
  return {
    ...base,
    exitCode: code,
    signal: exitSignal,
  };
}

/** The argv under the sandbox; the worktree defaults to the working directory, the network to off. */
function confine(
  argv: readonly string[],
  box: NonNullable<RunProcessOptions['sandbox']>,
  cwd: string,
): string[] {
  const { use, ...where } = box;
  return use.wrap(argv, { ...where, worktree: where.worktree ?? cwd, network: where.network ?? false });
}

/**
 * bwrap reports a program it could not start as `bwrap: execvp <file>: <reason>` and exit 1;
 * turned back into the spawn error an unconfined start would give, so "not installed" stays
 * recognisable.
 */
function bwrapExecFailure(output: string): ProcessResult['spawnError'] {
  const m = /^bwrap: execvp [^\n]*?: ([^\n]+)\n?$/.exec(output);
  if (!m?.[1]) return undefined;
  const reason = m[1].trim();
  const code = /No such file/i.test(reason)
    ? 'ENOENT'
    : /Permission denied/i.test(reason)
      ? 'EACCES'
      : undefined;
  return { code, message: output.trim() };
}
