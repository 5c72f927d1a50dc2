import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { TpError } from '../errors/index.js';
import { CacheFetches } from './cache-fetch.js';
import { type GitLog, git, gitResult, type PushAuth, refuseOptionLike } from './git.js';
import { GitSpawner } from './git-spawner.js';
import { killProcessesUnder, sweepCache } from './orphans.js';
import { WorktreePool } from './pool.js';
import { PushBatcher } from './push-batch.js';
import { type GitCall, type PreparedWorktree, WorktreeGit } from './worktree-git.js';

export { type PreparedWorktree, TASK_TRAILER } from './worktree-git.js';

export interface WorkspaceOptions {
  /** The `folders.repos` directory: caches and worktrees live here. */
  reposDir: string;
  author: { name: string; email: string };
  signCommits: boolean;
  pushRetries: number;
  pushRetryDelayMs: number;
  secrets: string[];
  /**
   * The service's merged environment (the composition root passes the loaded config's
   * `env`); git children get only its allow-listed part. Defaults to `process.env`.
   */
  env?: Readonly<Record<string, string | undefined>>;
  log?: GitLog;
  sleep?: (ms: number) => Promise<void>;
  /** Idle worktrees kept per cache for reuse (about twice the task concurrency: tasks that publish still hold theirs); default 8. */
  poolSize?: number;
  /**
   * How long a push may wait for other tasks of the same cache that are still on their way to
   * theirs (see PushBatcher); default 400 ms. A task alone in its cache never waits.
   */
  pushLingerMs?: number;
  /**
   * Time a task waited for a shared step: `fetch` (joining the cache's single-flight fetch)
   * and `push` (its ref's turn in a batched push), for per-stage benches.
   */
  onWait?: (what: 'fetch' | 'push', ms: number) => void;
}

/** git's well-known id of the empty tree. */
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/** Creates a commit with no files and no parent in `repo` and returns its sha (nothing points at it yet). */
export async function emptyCommit(
  repo: string,
  author: { name: string; email: string },
  message: string,
  baseEnv?: Readonly<Record<string, string | undefined>>,
): Promise<string> {
  const { name, email } = author;
  const env = {
    GIT_AUTHOR_NAME: name,
    GIT_AUTHOR_EMAIL: email,
    GIT_COMMITTER_NAME: name,
    GIT_COMMITTER_EMAIL: email,
  };
  return git(['commit-tree', EMPTY_TREE, '-m', message], { cwd: repo, env, baseEnv });
}

const sleepDefault = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const SHA = /^[0-9a-f]{40,64}$/;

/**
 * Git worktrees of the target repository. Each target gets one bare cache clone under
 * `repos/cache/`; every task works in its own worktree on its own branch, so concurrent
 * tasks never share a working tree or an index. Worktrees are pooled per cache, fetches are
 * shared by the tasks waiting on them, and pushes that are ready together go in one `git push`.
 */
export class Workspace {
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Each cache's shared fetches. */
  private readonly fetches = new CacheFetches(
    (args, cwd, call) => this.g(args, cwd, call),
    (cache, fn) => this.exclusive(cache, fn),
  );
  private readonly pools = new Map<string, WorktreePool>();
  private readonly pushers = new Map<string, PushBatcher>();
  /** Commit made in a worktree (dir + branch), so the push needs no process to find it. */
  private readonly heads = new Map<string, string>();
  /** Worktrees (by dir) whose task asked for its push, per cache, until they are given back. */
  private readonly pushing = new Map<string, Set<string>>();
  private processes = 0;
  /** Starts this Workspace's git processes from a small helper process (see GitSpawner). */
  private readonly spawner = new GitSpawner();
  /** The start-up warm-up, while it runs (drain waits for it). */
  private warming: Promise<void> | undefined;

  private readonly trees: WorktreeGit;

  constructor(private readonly options: WorkspaceOptions) {
    this.trees = new WorktreeGit(options, (args, cwd, call) => this.g(args, cwd, call));
  }

  /** How many git processes this Workspace has started (benches report it per task). */
  get gitProcesses(): number {
    return this.processes;
  }

  private g(args: string[], cwd: string, call: GitCall = {}): Promise<string> {
    const { secrets, env: baseEnv } = this.options;
    this.processes++;
    return git(args, { cwd, ...call, secrets, baseEnv, spawner: this.spawner }, this.options.log).catch(
      (err: unknown) => {
        // A failed git call leaves a worktree in a state nobody checked: never reuse it. A
        // missing config key (the signing-key lookup) is not a failure of the worktree.
        if (!args.includes('config')) for (const pool of this.pools.values()) pool.taint(cwd);
        throw err;
      },
    );
  }

  /** Serialises what git needs exclusive on one cache: the clone, worktree admin changes. */
  private async exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(fn);
    this.locks.set(key, next);
    try {
      return await next;
    } finally {
      if (this.locks.get(key) === next) this.locks.delete(key);
    }
  }

  cacheDir(remote: string): string {
    const slug =
      path.basename(remote.replace(/\.git\/?$/, '').replace(/\/+$/, '')).replace(/[^\w.-]/g, '_') || 'repo';
    const hash = createHash('sha1').update(remote).digest('hex').slice(0, 8);
    return path.join(this.options.reposDir, 'cache', `${slug}-${hash}.git`);
  }

  worktreeDir(branch: string): string {
    return path.join(this.options.reposDir, 'worktrees', branch.replace(/[^\w.-]/g, '_'));
  }

  /** Clones (once) and fetches the target, returning the cache directory. */
  async sync(remote: string, baseBranch: string, auth?: PushAuth): Promise<string> {
    return (await this.syncRefs(remote, baseBranch, auth)).cache;
  }

  /**
   * `freshSince` (ms since epoch): the refs must come from a fetch that started at or after
   * this moment (the task's admission); without it, from a fetch that starts after this call.
   */

  /** `sync`, and the remote's branch heads (`refs/remotes/origin/<b>` → sha) as that fetch left them. */
  private async syncRefs(remote: string, baseBranch: string, auth?: PushAuth, freshSince?: number) {
    refuseOptionLike(remote, 'repository');
    refuseOptionLike(baseBranch, 'branch');
    const cache = this.cacheDir(remote);
    // Taken before the clone: tasks that waited for the clone share the fetch that follows it.
    const ticket = this.fetches.ticket(cache);
    if (!existsSync(path.join(cache, 'HEAD'))) {
      await this.exclusive(cache, async () => {
        if (existsSync(path.join(cache, 'HEAD'))) return;
        await mkdir(path.dirname(cache), { recursive: true });
        await rm(cache, { recursive: true, force: true });
        await this.g(['clone', '--bare', '--quiet', '--', remote, cache], this.options.reposDir, {
          auth,
          network: true,
        });
      });
    }
    const started = Date.now();
    const refs = await this.fetches.request(cache, auth, ticket, freshSince).catch((err: unknown) => {
      // git's own words (already redacted) say whether it was the network, auth or the repository.
      const why = err instanceof Error ? ` (${err.message})` : '';
      throw new TpError(`Cannot fetch base branch "${baseBranch}" from the target repository${why}.`, {
        code: 'GIT_FAILED',
        retryable: TpError.isInstance(err) && err.retryable,
        cause: err,
        hint: `Check repository.url and that branch "${baseBranch}" exists (repository.baseBranch).`,
      });
    });
    this.options.onWait?.('fetch', Date.now() - started);
    return { cache, refs };
  }

  /**
   * Starts (or joins) a fetch that begins at or after `since`, in the background, for a cache
   * that exists; failures are left to the run that needs the refs.
   */
  prefetch(remote: string, auth: PushAuth | undefined, since: number): void {
    const cache = this.cacheDir(remote);
    if (!this.fetches.has(cache) || remote.startsWith('-')) return;
    this.fetches.request(cache, auth, undefined, since).catch(() => undefined);
  }

  /** Head of `branch` on the remote, or '' when the branch does not exist there. */
  async remoteHead(remote: string, branch: string, auth?: PushAuth): Promise<string> {
    refuseOptionLike(remote, 'repository');
    refuseOptionLike(branch, 'branch');
    await mkdir(this.options.reposDir, { recursive: true });
    const out = await this.g(
      ['ls-remote', '--heads', '--', remote, `refs/heads/${branch}`],
      this.options.reposDir,
      { auth, network: true },
    );
    return out.split(/\s+/)[0] ?? '';
  }

  /**
   * A fresh worktree on `branch`, starting at the remote base branch. Any residue of a previous
   * attempt is removed. `freshSince`: the task's admission time; the base comes from a fetch
   * that started no earlier (shared with the other tasks admitted before it), else from a new one.
   */
  async prepare(
    remote: string,
    baseBranch: string,
    branch: string,
    auth?: PushAuth,
    opts: { freshSince?: number | undefined } = {},
  ): Promise<PreparedWorktree> {
    refuseOptionLike(branch, 'branch');
    const { cache, refs } = await this.syncRefs(remote, baseBranch, auth, opts.freshSince);
    const baseRef = `refs/remotes/origin/${baseBranch}`;
    // Only when the base is missing: a repository the forge just created may have no branch at all.
    const baseSha = refs.get(baseRef) ?? (await this.seedIfEmpty(cache, remote, baseBranch, auth));
    if (!baseSha) {
      throw new TpError(`Base branch "${baseBranch}" does not exist in the target repository.`, {
        code: 'GIT_FAILED',
        hint: "Set repository.baseBranch (or the task's baseBranch) to an existing branch.",
      });
    }
    const remoteBranchSha = refs.get(`refs/remotes/origin/${branch}`) ?? '';
    const { dir, gitDir } = await this.pool(cache).acquire(branch, baseSha);
    return { dir, branch, baseSha, remoteBranchSha, cache, gitDir };
  }

  /**
   * A repository the forge just created (forge.createRepo) has no branch at all: give it the
   * base branch with one empty commit, so a task branch and its PR have something to target.
   * A repository that has branches but not the base is left alone (that is a config error).
   */
  private seedIfEmpty(cache: string, remote: string, baseBranch: string, auth?: PushAuth) {
    // Its own lock, not the cache's: the fetch below takes the cache's lock.
    return this.exclusive(`${cache}\0seed`, async (): Promise<string | undefined> => {
      // Under the lock, after a fresh fetch: another task may have seeded it meanwhile.
      const refs = await this.fetches.request(cache, auth);
      const seeded = refs.get(`refs/remotes/origin/${baseBranch}`);
      if (seeded || refs.size > 0) return seeded;
      const sha = await emptyCommit(cache, this.options.author, 'Initial commit', this.options.env);
      this.processes++;
      await this.g(['push', '--quiet', '--', remote, `${sha}:refs/heads/${baseBranch}`], cache, {
        auth,
        network: true,
      });
      // Under the cache's lock: a fetch (which holds it) writes the same ref.
      await this.exclusive(cache, () =>
        this.g(['update-ref', '--', `refs/remotes/origin/${baseBranch}`, sha], cache),
      );
      refs.set(`refs/remotes/origin/${baseBranch}`, sha);
      return sha;
    });
  }

  /** A fresh worktree on an existing remote branch (a follow-up run on a task's open PR). */
  async prepareExisting(remote: string, branch: string, auth?: PushAuth): Promise<PreparedWorktree> {
    refuseOptionLike(branch, 'branch');
    const { cache, refs } = await this.syncRefs(remote, branch, auth);
    const sha = refs.get(`refs/remotes/origin/${branch}`);
    if (!sha) {
      throw new TpError(`Branch "${branch}" is not in the target repository any more.`, {
        code: 'GIT_FAILED',
        hint: 'The PR branch was deleted; run the task again with `retry-failed`.',
      });
    }
    const { dir, gitDir } = await this.pool(cache).acquire(branch, sha);
    return { dir, branch, baseSha: sha, remoteBranchSha: sha, cache, gitDir };
  }

  private pool(cache: string): WorktreePool {
    let pool = this.pools.get(cache);
    if (!pool) {
      pool = new WorktreePool({
        cache,
        root: path.join(this.options.reposDir, 'worktrees'),
        size: this.options.poolSize ?? 8,
        git: (args, cwd) => this.g(args, cwd),
        exclusive: (fn) => this.exclusive(cache, fn),
      });
      this.pools.set(cache, pool);
    }
    return pool;
  }

  /** Removes a worktree folder without running git inside it, then drops its admin entry. */
  private async removeWorktree(cache: string, dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true });
    await this.g(['worktree', 'prune'], cache).catch(() => undefined);
  }

  /**
   * Removes every task worktree of this Workspace's `reposDir` (used at start-up, before
   * anything runs): a worktree left by a killed process may hold half an agent's work, and
   * each resumed task gets a fresh one anyway. Nothing outside `reposDir` is touched: another
   * worker process (its own `workers/<slot>`) keeps its worktrees and its agents.
   */
  async sweepOrphans(): Promise<number> {
    await this.drain();
    this.pools.clear();
    const root = path.resolve(this.options.reposDir, 'worktrees');
    // First stop whatever still runs in a worktree (an agent outliving a killed process).
    await killProcessesUnder(root);
    const cacheRoot = path.join(this.options.reposDir, 'cache');
    const caches = await readdir(cacheRoot).catch(() => [] as string[]);
    let removed = 0;
    for (const name of caches) {
      const cache = path.join(cacheRoot, name);
      removed += await this.exclusive(cache, () => sweepCache(cache, root, (args) => this.g(args, cache)));
    }
    await rm(root, { recursive: true, force: true });
    return removed;
  }

  /** Drains, then ends the git helper process (the service's close). */
  async close(): Promise<void> {
    await this.drain();
    await this.spawner.close();
  }

  /** Waits for background work (the start-up warm-up, worktree cleans and removals) to finish. */
  async drain(): Promise<void> {
    await this.warming;
    await Promise.all([...this.pools.values()].map((p) => p.drain()));
  }

  /**
   * Readies a repository while the service is idle: its cache cloned and fetched, and
   * `worktrees` idle worktrees at the base branch (WorktreePool.prewarm). `target` is asked
   * inside (undefined: nothing to ready), so `drain` waits for all of it from this call on.
   * Never throws: a failure is left to the first run, which reports it with its task.
   */
  warmUp(
    target: () => Promise<{ remote: string; baseBranch: string; auth: PushAuth | undefined } | undefined>,
    worktrees: number,
  ): Promise<void> {
    const run = async () => {
      const t = await target();
      if (!t) return;
      const { cache, refs } = await this.syncRefs(t.remote, t.baseBranch, t.auth);
      const sha = refs.get(`refs/remotes/origin/${t.baseBranch}`);
      if (sha) await this.pool(cache).prewarm(worktrees, sha);
    };
    const p = run().catch(() => undefined);
    this.warming = p;
    return p;
  }

  /**
   * Gives the worktree back. It goes back to the pool (cleaned in the background) unless
   * `discard` is set (the run replaced `.git`, failed on a protected path…): then it is
   * removed for good before this returns.
   */
  async cleanup(
    remote: string,
    wt: { dir: string; branch?: string; cache?: string | undefined },
    opts: { discard?: boolean } = {},
  ): Promise<void> {
    const cache = wt.cache ?? this.cacheDir(remote);
    if (wt.branch) this.heads.delete(`${wt.dir}\0${wt.branch}`);
    this.pushing.get(cache)?.delete(wt.dir);
    if (await this.pools.get(cache)?.release(wt.dir, opts)) return;
    if (!existsSync(cache)) return;
    await this.exclusive(cache, () => this.removeWorktree(cache, wt.dir));
  }

  /** Discards whatever an agent did in the worktree (before a fallback attempt). */
  reset(wt: PreparedWorktree): Promise<void> {
    return this.trees.reset(wt);
  }

  /** Files changed by the agent (porcelain lines). */
  changes(wt: PreparedWorktree): Promise<string[]> {
    return this.trees.changes(wt);
  }

  /** Stages everything and returns the staged diff, every byte visible (see WorktreeGit.diff). */
  diff(wt: PreparedWorktree): Promise<string> {
    return this.trees.diff(wt);
  }

  /** Commits everything with the task trailer (and `trailers`) and returns the sha; `staged` skips the `git add` after `diff()`. */
  async commit(
    wt: PreparedWorktree,
    message: string,
    taskId: string,
    opts: { staged?: boolean; trailers?: ReadonlyArray<readonly [string, string]> } = {},
  ): Promise<string> {
    const sha = await this.trees.commit(wt, message, taskId, opts);
    this.heads.set(`${wt.dir}\0${wt.branch}`, sha);
    return sha;
  }

  /**
   * Pushes the task branch with `--force-with-lease` against the head seen when the worktree
   * was made (we replace our own stale branch, never someone else's newer work), with retries.
   * Pushes of several tasks that are ready together go in one `git push`. `released`: the
   * worktree was given back after its commit (the push needs only the cache), and this is the
   * commit to push.
   */
  async push(
    remote: string,
    wt: PreparedWorktree,
    auth?: PushAuth,
    opts: { released?: { sha: string } } = {},
  ): Promise<void> {
    refuseOptionLike(remote, 'repository');
    refuseOptionLike(wt.branch, 'branch');
    // Checked here too, so a replaced .git fails with its own message, not as a push failure.
    if (!opts.released) await this.trees.adminDir(wt);
    const cache = wt.cache ?? this.cacheDir(remote);
    const sha =
      opts.released?.sha ??
      this.heads.get(`${wt.dir}\0${wt.branch}`) ??
      (await this.branchHead(cache, wt.branch));
    const key = `${cache}\0${remote}\0${auth?.header ?? ''}`;
    let pusher = this.pushers.get(key);
    if (!pusher) {
      const { secrets, env: baseEnv, log } = this.options;
      pusher = new PushBatcher({
        remote,
        attempts: this.options.pushRetries,
        retryDelayMs: this.options.pushRetryDelayMs,
        sleep: this.options.sleep ?? sleepDefault,
        linger: {
          maxMs: this.options.pushLingerMs ?? 400,
          others: () => (this.pools.get(cache)?.inUse ?? 0) - (this.pushing.get(cache)?.size ?? 0),
        },
        run: (args) => {
          this.processes++;
          return gitResult(
            [`--git-dir=${cache}`, ...args],
            { cwd: cache, auth, network: true, secrets, baseEnv, spawner: this.spawner },
            log,
          );
        },
      });
      this.pushers.set(key, pusher);
    }
    let asked = this.pushing.get(cache);
    if (!asked) {
      asked = new Set();
      this.pushing.set(cache, asked);
    }
    // A worktree given back before its push is no longer in use: it counts neither way.
    if (!opts.released) asked.add(wt.dir);
    const started = Date.now();
    try {
      await pusher.push(wt.branch, sha, wt.remoteBranchSha);
    } finally {
      this.options.onWait?.('push', Date.now() - started);
    }
  }

  /** The commit the task branch points at in the cache (the worktree's HEAD). */
  private async branchHead(cache: string, branch: string): Promise<string> {
    const sha = await this.g(
      [
        `--git-dir=${cache}`,
        'rev-parse',
        '--verify',
        '-q',
        '--end-of-options',
        `refs/heads/${branch}^{commit}`,
      ],
      cache,
    ).catch(() => '');
    if (!SHA.test(sha)) {
      throw new TpError(`Push of ${branch} failed: the branch has no commit in the cache.`, {
        code: 'PUSH_FAILED',
        retryable: false,
        hint: 'The worktree was removed before the push; run the task again.',
      });
    }
    return sha;
  }
}
