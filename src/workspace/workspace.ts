import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { TpError } from '../errors/index.js';
import { type GitLog, git, type PushAuth, refuseOptionLike } from './git.js';
import { killProcessesUnder } from './orphans.js';
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

/**
 * Git worktrees of the target repository. Each target gets one bare cache clone under
 * `repos/cache/`; every task works in its own worktree on its own branch, so concurrent
 * tasks never share a working tree or an index.
 */
export class Workspace {
  private readonly locks = new Map<string, Promise<unknown>>();

  private readonly trees: WorktreeGit;

  constructor(private readonly options: WorkspaceOptions) {
    this.trees = new WorktreeGit(options, (args, cwd, call) => this.g(args, cwd, call));
  }

  private g(args: string[], cwd: string, call: GitCall = {}) {
    const { secrets, env: baseEnv } = this.options;
    return git(args, { cwd, ...call, secrets, baseEnv }, this.options.log);
  }

  /** Serialises operations on one cache repository (fetch, worktree add/remove take shared locks). */
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
    refuseOptionLike(remote, 'repository');
    refuseOptionLike(baseBranch, 'branch');
    const cache = this.cacheDir(remote);
    return this.exclusive(cache, async () => {
      if (!existsSync(path.join(cache, 'HEAD'))) {
        await mkdir(path.dirname(cache), { recursive: true });
        await rm(cache, { recursive: true, force: true });
        await this.g(['clone', '--bare', '--quiet', '--', remote, cache], this.options.reposDir, {
          auth,
          network: true,
        });
      }
      await this.g(
        // All heads in one round trip: the base to start from, and the task branch's current
        // head (the lease for our push) without a separate ls-remote.
        ['fetch', '--quiet', '--prune', '--', 'origin', '+refs/heads/*:refs/remotes/origin/*'],
        cache,
        { auth, network: true },
      ).catch((err: unknown) => {
        throw new TpError(`Cannot fetch base branch "${baseBranch}" from the target repository.`, {
          code: 'GIT_FAILED',
          retryable: TpError.isInstance(err) && err.retryable,
          cause: err,
          hint: `Check repository.url and that branch "${baseBranch}" exists (repository.baseBranch).`,
        });
      });
      return cache;
    });
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

  /** A fresh worktree on `branch`, starting at the remote base branch. Any residue of a previous attempt is removed. */
  async prepare(
    remote: string,
    baseBranch: string,
    branch: string,
    auth?: PushAuth,
  ): Promise<PreparedWorktree> {
    refuseOptionLike(branch, 'branch');
    const cache = await this.sync(remote, baseBranch, auth);
    const dir = this.worktreeDir(branch);
    return this.exclusive(cache, async () => {
      await this.removeWorktree(cache, dir);
      await mkdir(path.dirname(dir), { recursive: true });
      let made = await this.addWorktree(cache, dir, baseBranch, branch);
      // Only when the base is missing: a repository the forge just created may have no branch at all.
      if (!made.baseSha && (await this.seedIfEmpty(cache, remote, baseBranch, auth))) {
        made = await this.addWorktree(cache, dir, baseBranch, branch);
      }
      if (!made.baseSha || !made.added) {
        throw new TpError(`Base branch "${baseBranch}" does not exist in the target repository.`, {
          code: 'GIT_FAILED',
          hint: "Set repository.baseBranch (or the task's baseBranch) to an existing branch.",
        });
      }
      const gitDir = await this.trees.adminDir({ dir, cache });
      return { dir, branch, baseSha: made.baseSha, remoteBranchSha: made.remoteBranchSha, cache, gitDir };
    });
  }

  /** `worktree add` and the two ref reads, in parallel (they do not conflict; each git process costs ~20 ms). */
  private async addWorktree(cache: string, dir: string, baseBranch: string, branch: string) {
    const [refs, added] = await Promise.all([
      this.g(
        [
          'for-each-ref',
          '--format=%(refname) %(objectname)',
          '--',
          `refs/remotes/origin/${baseBranch}`,
          `refs/remotes/origin/${branch}`,
        ],
        cache,
      ),
      // --force: a worktree registered by a killed run (its folder gone) must not block the new one.
      this.g(
        [
          'worktree',
          'add',
          '--quiet',
          '--force',
          '-B',
          branch,
          '--',
          dir,
          `refs/remotes/origin/${baseBranch}`,
        ],
        cache,
      ).then(
        () => true,
        () => false,
      ),
    ]);
    const sha = (ref: string) =>
      /^(\S+) (\S+)$/m.exec(refs.split('\n').find((l) => l.startsWith(`${ref} `)) ?? '')?.[2] ?? '';
    return {
      added,
      baseSha: sha(`refs/remotes/origin/${baseBranch}`),
      remoteBranchSha: sha(`refs/remotes/origin/${branch}`),
    };
  }

  /**
   * A repository the forge just created (forge.createRepo) has no branch at all: give it the
   * base branch with one empty commit, so a task branch and its PR have something to target.
   * A repository that has branches but not the base is left alone (that is a config error).
   */
  private async seedIfEmpty(
    cache: string,
    remote: string,
    baseBranch: string,
    auth?: PushAuth,
  ): Promise<boolean> {
    const heads = await this.g(
      ['for-each-ref', '--count=1', '--format=%(refname)', 'refs/remotes/origin/'],
      cache,
    );
    if (heads.trim() !== '') return false;
    const sha = await emptyCommit(cache, this.options.author, 'Initial commit', this.options.env);
    await this.g(['push', '--quiet', '--', remote, `${sha}:refs/heads/${baseBranch}`], cache, {
      auth,
      network: true,
    });
    await this.g(['update-ref', '--', `refs/remotes/origin/${baseBranch}`, sha], cache);
    return true;
  }

  /** A fresh worktree on an existing remote branch (a follow-up run on a task's open PR). */
  async prepareExisting(remote: string, branch: string, auth?: PushAuth): Promise<PreparedWorktree> {
    refuseOptionLike(branch, 'branch');
    const cache = await this.sync(remote, branch, auth);
    const dir = this.worktreeDir(branch);
    return this.exclusive(cache, async () => {
      await this.removeWorktree(cache, dir);
      await mkdir(path.dirname(dir), { recursive: true });
      const sha = await this.g(
        ['rev-parse', '--verify', '-q', '--end-of-options', `refs/remotes/origin/${branch}`],
        cache,
      ).catch(() => '');
      if (!sha) {
        throw new TpError(`Branch "${branch}" is not in the target repository any more.`, {
          code: 'GIT_FAILED',
          hint: 'The PR branch was deleted; run the task again with `retry-failed`.',
        });
      }
      await this.g(['worktree', 'add', '--quiet', '--force', '-B', branch, '--', dir, sha], cache);
      const gitDir = await this.trees.adminDir({ dir, cache });
      return { dir, branch, baseSha: sha, remoteBranchSha: sha, cache, gitDir };
    });
  }

  private async removeWorktree(cache: string, dir: string): Promise<void> {
    if (existsSync(dir)) {
      await this.g(['worktree', 'remove', '--force', '--', dir], cache).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Removes every task worktree (used at start-up, before anything runs): a worktree left by a
   * killed process may hold half an agent's work, and each resumed task gets a fresh one anyway.
   */
  async sweepOrphans(): Promise<number> {
    // First stop whatever still runs in a worktree (an agent outliving a killed process).
    await killProcessesUnder(path.join(this.options.reposDir, 'worktrees'));
    const cacheRoot = path.join(this.options.reposDir, 'cache');
    const caches = await readdir(cacheRoot).catch(() => [] as string[]);
    let removed = 0;
    for (const name of caches) {
      const cache = path.join(cacheRoot, name);
      await this.exclusive(cache, async () => {
        const list = await this.g(['worktree', 'list', '--porcelain'], cache).catch(() => '');
        for (const line of list.split('\n')) {
          const dir = line.startsWith('worktree ') ? line.slice('worktree '.length) : undefined;
          if (dir && path.resolve(dir) !== path.resolve(cache)) {
            await this.removeWorktree(cache, dir);
            removed++;
          }
        }
        await this.g(['worktree', 'prune'], cache).catch(() => undefined);
      });
    }
    await rm(path.join(this.options.reposDir, 'worktrees'), { recursive: true, force: true });
    return removed;
  }

  async cleanup(remote: string, wt: { dir: string }): Promise<void> {
    const cache = this.cacheDir(remote);
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
  commit(
    wt: PreparedWorktree,
    message: string,
    taskId: string,
    opts: { staged?: boolean; trailers?: ReadonlyArray<readonly [string, string]> } = {},
  ): Promise<string> {
    return this.trees.commit(wt, message, taskId, opts);
  }

  /** Pushes the task branch with retries and `--force-with-lease` (see WorktreeGit.push). */
  push(remote: string, wt: PreparedWorktree, auth?: PushAuth): Promise<void> {
    return this.trees.push(remote, wt, auth);
  }
}
