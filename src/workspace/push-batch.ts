import { TpError } from '../errors/index.js';
import type { GitResult } from './git.js';

/** One ref's line of `git push --porcelain`: `<flag>\t<from>:<to>\t<summary>`. */
export interface PushStatus {
  ok: boolean;
  summary: string;
}

/** Per-ref results of `git push --porcelain`, by destination ref. `!` is a rejection. */
export function parsePushPorcelain(stdout: string): Map<string, PushStatus> {
  const out = new Map<string, PushStatus>();
  for (const line of stdout.split('\n')) {
    const m = /^([ +\-*!=])\t([^\t]*)\t(.*)$/.exec(line);
    if (!m) continue;
    const refs = m[2]!;
    const to = refs.slice(refs.indexOf(':') + 1);
    out.set(to, { ok: m[1] !== '!', summary: m[3]!.trim() });
  }
  return out;
}

interface PushRequest {
  branch: string;
  sha: string;
  lease: string;
  attempt: number;
  resolve: () => void;
  reject: (err: TpError) => void;
}

export interface PushBatcherDeps {
  /** Runs `git <args>` against the cache, with the remote's auth. */
  run: (args: string[]) => Promise<GitResult>;
  remote: string;
  attempts: number;
  retryDelayMs: number;
  sleep: (ms: number) => Promise<void>;
  /**
   * Waiting for company: before a push, while `others()` (tasks of this cache that may push
   * soon and have not asked yet) is above zero, wait up to `maxMs` for them to join.
   */
  linger?: { maxMs: number; others: () => number };
}

const HINT =
  'Check that the remote is reachable and the token may push; then run `ticket-processor retry-failed`.';

/**
 * Pushes of one (cache, remote, auth): a lone push goes at once; pushes asked for while one
 * is in flight go together in the next single `git push` (one connection, one pack). There
 * is no `--atomic`: each ref has its own lease and its own porcelain status, so a stale
 * lease fails only its own task. Retries stay per ref.
 */
export class PushBatcher {
  private queue: PushRequest[] = [];
  private running = false;
  private nudge: (() => void) | undefined;

  constructor(private readonly deps: PushBatcherDeps) {}

  /** Pushes `sha` to `refs/heads/<branch>` if the remote branch is still at `lease` ('' = absent). */
  push(branch: string, sha: string, lease: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ branch, sha, lease, attempt: 1, resolve, reject });
      this.nudge?.();
      this.kick();
    });
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    void this.loop();
  }

  private async loop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        if (this.expectingCompany()) await this.waitForCompany();
        // One update per ref in a push: a second push of the same branch waits for the next one.
        const batch: PushRequest[] = [];
        const rest: PushRequest[] = [];
        for (const r of this.queue) (batch.some((b) => b.branch === r.branch) ? rest : batch).push(r);
        this.queue = rest;
        await this.send(batch);
      }
    } finally {
      this.running = false;
    }
  }

  /**
   * A push costs about the same for one ref as for four (one connection, one pack, the
   * remote's receive-pack and its checks), so while other tasks of this cache are still on
   * their way to a push, the ones waiting give them a moment. Each new request re-checks.
   */
  private expectingCompany(): boolean {
    const linger = this.deps.linger;
    return linger !== undefined && linger.maxMs > 0 && linger.others() > 0;
  }

  private async waitForCompany(): Promise<void> {
    const linger = this.deps.linger;
    if (!linger) return;
    const until = Date.now() + linger.maxMs;
    while (linger.others() > 0 && Date.now() < until) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, until - Date.now());
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.nudge = done;
      });
      this.nudge = undefined;
    }
  }

  private async send(batch: PushRequest[]): Promise<void> {
    let res: GitResult;
    try {
      res = await this.deps.run([
        'push',
        '--porcelain',
        '--no-verify',
        ...batch.map((r) => `--force-with-lease=refs/heads/${r.branch}:${r.lease}`),
        '--',
        this.deps.remote,
        ...batch.map((r) => `${r.sha}:refs/heads/${r.branch}`),
      ]);
    } catch (err) {
      const e = TpError.isInstance(err) ? err : undefined;
      for (const r of batch) this.failed(r, (err as Error).message, e?.retryable ?? false, err);
      return;
    }
    const status = parsePushPorcelain(res.stdout);
    for (const r of batch) {
      const st = status.get(`refs/heads/${r.branch}`);
      if (st?.ok) r.resolve();
      // A rejection of this ref (stale lease, hook declined): no retry makes the lease fresh.
      else if (st) this.failed(r, `git push rejected refs/heads/${r.branch}: ${st.summary}`, false);
      else if (!res.ok) this.failed(r, res.error.message, res.error.retryable, res.error);
      else this.failed(r, `git push reported no status for refs/heads/${r.branch}`, false);
    }
  }

  private failed(r: PushRequest, message: string, retryable: boolean, cause?: unknown): void {
    if (r.attempt >= Math.max(1, this.deps.attempts) || !retryable) {
      r.reject(
        new TpError(`Push of ${r.branch} failed after ${r.attempt} attempt(s): ${message}`, {
          code: 'PUSH_FAILED',
          retryable,
          cause,
          hint: HINT,
        }),
      );
      return;
    }
    const delay = this.deps.retryDelayMs * 2 ** (r.attempt - 1);
    r.attempt++;
    void this.deps.sleep(delay).then(() => {
      this.queue.push(r);
      this.kick();
    });
  }
}
