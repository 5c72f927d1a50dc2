import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeTask } from '../test/helpers/project.js';

/**
 * The original tool, run side by side with ours in the same bench run (benches are not tests:
 * only they may read ../shared/peers, and they skip the original's row when it is absent).
 */
export const PEERS_SOURCE = process.env.BENCH_PEERS_DIR ?? path.resolve('..', 'shared', 'peers', 'mycoder');
const COPY = path.resolve('bench', '.peers', 'mycoder');

export type Original = { ok: true; dir: string } | { ok: false; reason: string };

/** Copies the original into bench/.peers (gitignored) and runs `npm install` there once. */
export function prepareOriginal(): Original {
  if (!existsSync(path.join(COPY, 'node_modules', 'chokidar'))) {
    if (!existsSync(path.join(PEERS_SOURCE, 'scripts', 'watcher.js')))
      return { ok: false, reason: `not measured: the original is absent (${PEERS_SOURCE})` };
    rmSync(COPY, { recursive: true, force: true });
    mkdirSync(path.dirname(COPY), { recursive: true });
    cpSync(PEERS_SOURCE, COPY, { recursive: true });
    // The shared copy is read-only; config.json and the backlog folders are rewritten per round.
    execFileSync('chmod', ['-R', 'u+w', COPY]);
    try {
      execFileSync('npm', ['install', '--no-audit', '--no-fund'], {
        cwd: COPY,
        stdio: 'pipe',
        timeout: 300_000,
      });
    } catch (err) {
      const out = String((err as { stderr?: unknown }).stderr ?? err)
        .trim()
        .split('\n')
        .slice(-2)
        .join(' ');
      return { ok: false, reason: `not measured: npm install of the original failed (${out})` };
    }
  }
  return { ok: true, dir: COPY };
}

/** A directory with an `npx` that exits 0 at once: the original's agent (`npx kodu …`) costs nothing. */
export function fakeNpxDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tp-fake-npx-'));
  writeFileSync(path.join(dir, 'npx'), '#!/bin/sh\nexit 0\n');
  chmodSync(path.join(dir, 'npx'), 0o755);
  return dir;
}

const FOLDERS = ['todo', 'doing', 'review', 'failed', 'completed'];

function resetBacklog(root: string): void {
  for (const f of FOLDERS) {
    const dir = path.join(root, 'backlog', f);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }
}

/** Resolves when `pattern` appears on the child's stdout (or rejects when it exits first). */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(
      () => done(new Error(`no line matching ${pattern} in ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onData = (d: Buffer) => {
      buf += d.toString();
      if (pattern.test(buf)) done();
    };
    const onExit = (code: number | null) =>
      done(new Error(`exited (${code}) before ${pattern}: ${buf.slice(-500)}`));
    const done = (err?: Error) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve();
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

/**
 * Polls `dir` every 10 ms until it holds `n` `.md` files; returns the time (performance.now())
 * the last one was first seen.
 */
export async function pollArrivals(dir: string, n: number, timeoutMs = 180_000): Promise<number> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const count = readdirSync(dir).filter((f) => f.endsWith('.md')).length;
    const now = performance.now();
    if (count >= n) return now;
    if (now > end) throw new Error(`only ${count}/${n} files reached ${dir} in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Drops `n` task files into `<root>/backlog/todo` at once; returns the drop time. */
export function dropTasks(root: string, n: number): number {
  const at = performance.now();
  for (let i = 1; i <= n; i++) writeTask(root, String(i), { title: `Burst task ${i}` });
  return at;
}

export async function stopChild(child: ChildProcess, timeoutMs = 20_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

/**
 * One burst through the original: config.json with createPR false (so it does no git), webhook
 * off, the given concurrency; `node scripts/watcher.js`; `n` files dropped at once.
 * Returns ms from the drop to the last arrival in backlog/review.
 */
export async function originalBurst(
  dir: string,
  concurrency: number,
  n: number,
  npxDir: string,
): Promise<number> {
  const configFile = path.join(dir, 'config.json');
  const config = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, Record<string, unknown>>;
  config.git!.createPR = false;
  config.webhook!.enabled = false;
  config.processing!.concurrency = concurrency;
  config.logging!.colorize = false;
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  resetBacklog(dir);
  const child = spawn(process.execPath, ['scripts/watcher.js'], {
    cwd: dir,
    env: { ...process.env, PATH: `${npxDir}:${process.env.PATH ?? ''}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr?.resume();
  try {
    await waitForLine(child, /Watcher is ready/);
    child.stdout?.resume();
    // chokidar's initial scan is not observable from outside; the same settle time is given to ours.
    await new Promise((r) => setTimeout(r, 1_000));
    const drop = dropTasks(dir, n);
    const last = await pollArrivals(path.join(dir, 'backlog', 'review'), n);
    return last - drop;
  } finally {
    await stopChild(child);
  }
}
