import { type ChildProcess, spawn } from 'node:child_process';
import { collectProcess, type GitExit, type GitRequest, type GitRunner } from './run-git.js';

/** What the spawner sends back: the exit, with a spawn error as plain fields (JSON drops an Error's). */
interface Reply {
  id: number;
  exit: Omit<GitExit, 'spawnError'> & { spawnError?: { message: string; code?: string } };
}

// The spawner's whole program: `collectProcess` from its own source text, so it runs exactly
// the code this process would, with no second file to ship next to the build. It ends with
// its parent (the IPC channel closes when the service exits or is killed).
// __name: esbuild (tsx, some test runners) wraps inner functions in it when it keeps their names.
const SOURCE = `
var __name = (fn) => fn;
const { spawn } = require('node:child_process');
const collectProcess = (${collectProcess.toString()});
process.on('message', ({ id, req }) => {
  collectProcess(spawn, req).then(
    (exit) => {
      const e = exit.spawnError;
      process.send({ id, exit: { ...exit, spawnError: e ? { message: e.message, code: e.code } : undefined } });
    },
    (err) => process.send({ id, exit: { stdout: '', stderr: '', exitCode: null, timedOut: false, spawnError: { message: String((err && err.message) || err) } } }),
  );
});
process.on('disconnect', () => process.exit(0));
`;

/** After this many spawner processes died, git is started from this process again. */
const MAX_RESTARTS = 3;

/**
 * Starts git processes from a small helper process instead of the service's own. Starting a
 * child forks the parent, and the fork copies the parent's page tables: from the service
 * (100–200 MB resident) each git call cost 12–19 ms of main-thread time in the burst profile,
 * half of it CPU, during which no task could move; from a fresh Node process of ~40 MB it is a
 * third of that, and the service only pays a message each way (under 0.3 ms). A worker
 * thread would not help: it shares the big process's memory map.
 *
 * The helper is started on first use, never holds the service open while idle, and ends when
 * the service does. If it dies, the calls it was running fail as git failures that say so
 * (running them again could repeat a push); after MAX_RESTARTS deaths, git runs from here.
 */
export class GitSpawner implements GitRunner {
  private child: ChildProcess | undefined;
  private restarts = 0;
  private closed = false;
  private seq = 0;
  private readonly pending = new Map<number, (exit: GitExit) => void>();

  /** Runs one git process (through the helper when it is available). */
  run(req: GitRequest): Promise<GitExit> {
    const child = this.ensure();
    if (!child) return collectProcess(spawn, req);
    return new Promise((resolve) => {
      const id = ++this.seq;
      if (this.pending.size === 0) this.hold(child, true);
      this.pending.set(id, resolve);
      child.send({ id, req }, (err) => {
        if (err) this.answer({ id, exit: lost(`could not reach the git helper: ${err.message}`) });
      });
    });
  }

  /** Ends the helper once its calls are answered (the service's close). */
  async close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    if (!child) return;
    while (this.pending.size > 0 && this.child === child) await new Promise((r) => setTimeout(r, 5));
    this.child = undefined;
    if (child.connected) child.disconnect();
  }

  private ensure(): ChildProcess | undefined {
    if (this.child || this.closed || this.restarts >= MAX_RESTARTS) return this.child;
    try {
      // No inherited environment (NODE_OPTIONS, a debugger flag): each git call brings its own.
      const child = spawn(process.execPath, ['-e', SOURCE], {
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
        env: {},
      });
      child.on('message', (reply: Reply) => this.answer(reply));
      child.on('error', () => this.lose(child));
      child.on('exit', () => this.lose(child));
      this.child = child;
      this.hold(child, false);
    } catch {
      this.restarts = MAX_RESTARTS;
    }
    return this.child;
  }

  /** While calls are pending the helper keeps the service's event loop alive; idle, it does not. */
  private hold(child: ChildProcess, busy: boolean): void {
    const channel = child.channel as { ref(): void; unref(): void } | undefined;
    if (busy) {
      child.ref();
      channel?.ref();
    } else {
      child.unref();
      channel?.unref();
    }
  }

  private answer({ id, exit }: Reply): void {
    const resolve = this.pending.get(id);
    if (!resolve) return;
    this.pending.delete(id);
    if (this.pending.size === 0 && this.child) this.hold(this.child, false);
    const { spawnError, ...rest } = exit;
    if (!spawnError) {
      resolve(rest);
      return;
    }
    const error = Object.assign(
      new Error(spawnError.message),
      spawnError.code ? { code: spawnError.code } : {},
    );
    resolve({ ...rest, spawnError: error });
  }

  private lose(child: ChildProcess): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.restarts++;
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const resolve of waiting) resolve(lost('the git helper process ended before git answered'));
  }
}

/** A call whose answer was lost with the helper: a git failure that names why. */
function lost(message: string): Reply['exit'] & GitExit {
  return { stdout: '', stderr: message, exitCode: null, timedOut: false, spawnError: new Error(message) };
}
