import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { RunGit } from './worktree-git.js';
import { verifiedAdminDir } from './worktree-guard.js';

/** One worktree of a pool, with the admin directory recorded when it was made. */
interface Pooled {
  dir: string;
  gitDir: string;
  /** The branch it has checked out (git refuses a branch that another worktree holds). */
  branch: string;
  /** Settles when the background clean after release is done: false means do not reuse it. */
  ready: Promise<boolean>;
  /** A git call in it failed during the run: it is removed on release, never reused. */
  tainted: boolean;
}

export interface PoolDeps {
  cache: string;
  /** Where the pool's folders go (`<reposDir>/worktrees`). */
  root: string;
  /** How many idle worktrees to keep; more are removed on release. */
  size: number;
  git: RunGit;
  /** The cache's lock: worktree admin changes (add, prune) are serialised on it. */
  exclusive: <T>(fn: () => Promise<T>) => Promise<T>;
}

/**
 * A few worktrees of one cache repository, reused from task to task: taking one is a single
 * `checkout -f -B <branch> <base>` (instead of `worktree add` and a later `worktree remove`,
 * both admin changes under the cache lock), and the `clean -ffdx` that wipes the previous
 * task's files, ignored build output included, runs in the background after release.
 */
export class WorktreePool {
  private readonly idle: Pooled[] = [];
  private readonly busy = new Map<string, Pooled>();
  private readonly background = new Set<Promise<unknown>>();
  private made = 0;

  constructor(private readonly deps: PoolDeps) {}

  /** A worktree on `branch` (created or reset) at `sha`. */
  async acquire(branch: string, sha: string): Promise<{ dir: string; gitDir: string }> {
    for (let entry = this.takeIdle(branch); entry; entry = this.takeIdle(branch)) {
      if (await this.reuse(entry, branch, sha)) return entry;
      await this.discard(entry);
    }
    return this.create(branch, sha);
  }

  /**
   * Makes idle worktrees (detached at `sha`) until the pool holds `n` in all, in the background
   * of an idle service: the first tasks of a burst then take a checkout, not a `worktree add`.
   */
  async prewarm(n: number, sha: string): Promise<void> {
    const want = Math.min(n, this.deps.size);
    while (this.idle.length + this.busy.size < want) {
      const entry = await this.create('', sha);
      this.busy.delete(entry.dir);
      this.idle.push(entry);
    }
  }

  /** Worktrees in use (taken and not yet released). */
  get inUse(): number {
    return this.busy.size;
  }

  /** Is `dir` one of this pool's worktrees in use? */
  owns(dir: string): boolean {
    return this.busy.has(dir);
  }

  /** A git call failed in `dir`: it will not be reused. */
  taint(dir: string): void {
    const entry = this.busy.get(dir);
    if (entry) entry.tainted = true;
  }

  /**
   * Gives `dir` back. It is cleaned in the background and pooled, unless `discard` is set, it
   * was tainted, its `.git` no longer names its admin directory, or the pool is full: then it
   * is removed (awaited, so a discarded worktree is gone when this returns).
   */
  async release(dir: string, opts: { discard?: boolean } = {}): Promise<boolean> {
    const entry = this.busy.get(dir);
    if (!entry) return false;
    this.busy.delete(dir);
    if (opts.discard || entry.tainted || this.idle.length >= this.deps.size) {
      await this.discard(entry);
      return true;
    }
    entry.ready = this.track(this.clean(entry));
    this.idle.push(entry);
    return true;
  }

  /** Waits for the background work (cleans, removals) to finish. */
  async drain(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  /** The idle worktree already on `branch` first (no other worktree may hold it), else the oldest. */
  private takeIdle(branch: string): Pooled | undefined {
    const i = this.idle.findIndex((e) => e.branch === branch);
    const [entry] = this.idle.splice(Math.max(i, 0), 1);
    if (entry) this.busy.set(entry.dir, entry);
    return entry;
  }

  private async reuse(entry: Pooled, branch: string, sha: string): Promise<boolean> {
    if (!(await entry.ready)) return false;
    try {
      // The agent of the previous task could write the worktree: check its .git again.
      const admin = await verifiedAdminDir(entry.dir, { expected: entry.gitDir, caches: [this.deps.cache] });
      await this.deps.git(
        [
          `--git-dir=${admin}`,
          `--work-tree=${entry.dir}`,
          'checkout',
          '--quiet',
          '--force',
          '-B',
          branch,
          '--no-track',
          sha,
          '--',
        ],
        entry.dir,
      );
      entry.branch = branch;
      entry.tainted = false;
      return true;
    } catch {
      return false;
    }
  }

  private async create(branch: string, sha: string): Promise<Pooled> {
    const slug = path.basename(this.deps.cache).replace(/\.git$/, '');
    await mkdir(this.deps.root, { recursive: true });
    const entry = await this.deps.exclusive(async () => {
      let dir: string;
      do dir = path.join(this.deps.root, `${slug}-w${this.made++}`);
      while (existsSync(dir));
      // --force: a worktree registered by a killed run (its folder gone) must not block this one.
      // No branch: a pre-made worktree is detached until a task takes it.
      const on = branch ? ['-B', branch] : ['--detach'];
      await this.deps.git(['worktree', 'add', '--quiet', '--force', ...on, '--', dir, sha], this.deps.cache);
      return { dir, branch, gitDir: '', ready: Promise.resolve(true), tainted: false };
    });
    this.busy.set(entry.dir, entry);
    try {
      entry.gitDir = await verifiedAdminDir(entry.dir, { caches: [this.deps.cache] });
    } catch (err) {
      this.busy.delete(entry.dir);
      await this.discard(entry);
      throw err;
    }
    return entry;
  }

  /** `clean -ffdx` (nested repositories and ignored files too), after checking the `.git` link. */
  private async clean(entry: Pooled): Promise<boolean> {
    try {
      const admin = await verifiedAdminDir(entry.dir, { expected: entry.gitDir, caches: [this.deps.cache] });
      await this.deps.git([`--git-dir=${admin}`, `--work-tree=${entry.dir}`, 'clean', '-ffdxq'], entry.dir);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Removes the folder without running git inside it (its `.git` may be the agent's), then
   * lets `worktree prune` drop the admin entry whose folder is gone.
   */
  private async discard(entry: Pooled): Promise<void> {
    this.busy.delete(entry.dir);
    await rm(entry.dir, { recursive: true, force: true });
    await this.deps
      .exclusive(() => this.deps.git(['worktree', 'prune'], this.deps.cache))
      .catch(() => undefined);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.background.add(p);
    const done = () => this.background.delete(p);
    p.then(done, done);
    return p;
  }
}
