import type { PushAuth } from './git.js';
import { readRefsFromFiles } from './read-refs.js';
import { SingleFlight } from './single-flight.js';

/** Runs git in `cwd` (the Workspace's runner: its helper process, secrets, environment). */
type RunGit = (
  args: string[],
  cwd: string,
  call?: { auth?: PushAuth | undefined; network?: boolean },
) => Promise<string>;

/** A cache's single-flight fetch, the auth its next run uses, and how many fetches ran. */
interface CacheSync {
  flight: SingleFlight<Map<string, string>>;
  /** Fetches run so far (every MAINTAIN_EVERY-th is followed by a `gc --auto`). */
  fetches: number;
  auth: PushAuth | undefined;
}

/** A fetch started this recently has not read the remote's refs yet: a new request may join it. */
const FETCH_JOIN_MS = 10;
/** How often (in fetches) the cache gets a `gc --auto`: commits and fetches start none themselves. */
const MAINTAIN_EVERY = 20;
const REMOTES = 'refs/remotes/origin/';

/**
 * The fetches of each cache repository: one in flight and one pending at most, shared by every
 * task that waits on that cache (SingleFlight), each returning the remote's branch heads.
 */
export class CacheFetches {
  private readonly syncs = new Map<string, CacheSync>();

  /**
   * `exclusive`: the cache's lock, which worktree admin changes hold too. A fetch must not run
   * while `git worktree add` makes a worktree: until it is done, the new worktree's HEAD holds a
   * placeholder (the null id), and the fetch's connectivity check, which walks every worktree's
   * HEAD, fails with "bad object worktrees/<name>/HEAD".
   */
  constructor(
    private readonly git: RunGit,
    private readonly exclusive: <T>(cache: string, fn: () => Promise<T>) => Promise<T>,
  ) {}

  /** Has this cache been fetched (or asked to be) in this process? */
  has(cache: string): boolean {
    return this.syncs.has(cache);
  }

  /** Marks the moment of a request, before work that must come first (a clone); see SingleFlight.ticket. */
  ticket(cache: string): number {
    return this.sync(cache).flight.ticket();
  }

  /**
   * Joins the cache's next fetch (or, with `freshSince`, any that started at or after that
   * moment) and returns the heads it saw (`refs/remotes/origin/<b>` → sha).
   */
  request(cache: string, auth?: PushAuth, since?: number, freshSince?: number): Promise<Map<string, string>> {
    const sync = this.sync(cache);
    sync.auth = auth;
    return sync.flight.request(since, freshSince);
  }

  private sync(cache: string): CacheSync {
    let sync = this.syncs.get(cache);
    if (!sync) {
      const created: CacheSync = {
        fetches: 0,
        auth: undefined,
        flight: new SingleFlight(async () => {
          const call = { auth: created.auth, network: true };
          // All heads in one round trip: the base to start from, and each task branch's
          // current head (the lease for its push) without a separate ls-remote.
          // No FETCH_HEAD (nobody reads it), no forced-update scan (a walk of every updated
          // branch's history, only for a message we hide with --quiet), and no maintenance
          // child after each fetch: every MAINTAIN_EVERY-th fetch starts one in the background.
          const fetch = () =>
            this.git(
              [
                'fetch',
                '--quiet',
                '--prune',
                '--no-write-fetch-head',
                '--no-show-forced-updates',
                '--no-auto-gc',
                '--',
                'origin',
                `+refs/heads/*:${REMOTES}*`,
              ],
              cache,
              call,
            );
          await this.exclusive(cache, fetch);
          const refs = await this.readRefs(cache);
          if (++created.fetches % MAINTAIN_EVERY === 1) {
            // gc --auto does nothing until loose objects pile up; it is crash-safe if cut short.
            // Not under the lock: when it has work, it detaches and outlives this call anyway.
            void this.git(['gc', '--auto', '--quiet'], cache).catch(() => undefined);
          }
          return refs;
        }, FETCH_JOIN_MS),
      };
      sync = created;
      this.syncs.set(cache, sync);
    }
    return sync;
  }

  private async readRefs(cache: string): Promise<Map<string, string>> {
    const fromFiles = await readRefsFromFiles(cache, REMOTES);
    if (fromFiles) return fromFiles;
    const out = await this.git(['for-each-ref', '--format=%(refname) %(objectname)', REMOTES], cache);
    const refs = new Map<string, string>();
    for (const line of out.split('\n')) {
      const m = /^(\S+) (\S+)$/.exec(line);
      if (m) refs.set(m[1]!, m[2]!);
    }
    return refs;
  }
}
