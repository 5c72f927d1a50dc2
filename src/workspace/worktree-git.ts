import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { TpError } from '../errors/index.js';
import { type PushAuth, refuseOptionLike } from './git.js';
import type { WorkspaceOptions } from './workspace.js';
import { verifiedAdminDir } from './worktree-guard.js';

export interface PreparedWorktree {
  dir: string;
  branch: string;
  baseSha: string;
  /** Remote branch head before we touched it (for --force-with-lease), '' when absent. */
  remoteBranchSha: string;
  /** The cache repository whose refs the worktree shares. */
  cache?: string;
  /** The worktree's admin directory in the cache (`<cache>/worktrees/<name>`), recorded when it was made. */
  gitDir?: string;
}

/** What one git call may be given beyond its arguments. */
export interface GitCall {
  auth?: PushAuth | undefined;
  network?: boolean;
  sign?: boolean;
  timeoutMs?: number;
}

export type RunGit = (args: string[], cwd: string, call?: GitCall) => Promise<string>;

/** Trailer that marks a commit as ours, so a restarted run can recognise work already pushed. */
export const TASK_TRAILER = 'Ticket-Processor-Task';

/** How long a signing commit may take: gpg waiting on a passphrase prompt must not hang the task. */
const SIGN_TIMEOUT_MS = 30_000;

/** A trailer block: the task trailer, then `extra` (keys checked, values on one line). */
export function trailerBlock(taskId: string, extra: ReadonlyArray<readonly [string, string]> = []): string {
  const lines = [[TASK_TRAILER, taskId] as const, ...extra].map(([key, value]) => {
    if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(key)) {
      throw new TpError(`Refusing commit trailer key "${key}".`, { code: 'INTERNAL', retryable: false });
    }
    const flat = value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
    return `${key}: ${flat}`;
  });
  return lines.join('\n');
}

/**
 * Git inside task worktrees: what happens after the agent ran (reset, status, diff, commit,
 * push). A worktree is the agent's to write, so every call first checks that its `.git` still
 * names the admin directory the service made, and tells git that directory explicitly.
 */
export class WorktreeGit {
  constructor(
    private readonly options: WorkspaceOptions,
    private readonly git: RunGit,
  ) {}

  /**
   * git inside a task worktree. The worktree is the agent's: its `.git` is checked first, and
   * git is told the admin directory and work tree explicitly, so a `.git` swapped after the
   * check still cannot point git at another repository's config.
   */
  private async run(wt: PreparedWorktree, args: string[], call: GitCall = {}) {
    const admin = await this.adminDir(wt);
    return this.git([`--git-dir=${admin}`, `--work-tree=${wt.dir}`, ...args], wt.dir, call);
  }

  /** The admin directory of `wt`, after checking that its `.git` still names it. */
  async adminDir(wt: { dir: string; cache?: string | undefined; gitDir?: string | undefined }) {
    const cacheRoot = path.join(this.options.reposDir, 'cache');
    const caches = wt.cache
      ? [wt.cache]
      : (await readdir(cacheRoot).catch(() => [] as string[])).map((n) => path.join(cacheRoot, n));
    return verifiedAdminDir(wt.dir, { expected: wt.gitDir, caches });
  }

  /** Discards whatever an agent did in the worktree (before a fallback attempt). */
  async reset(wt: PreparedWorktree): Promise<void> {
    refuseOptionLike(wt.baseSha, 'base commit');
    if (!/^[0-9a-f]{7,64}$/.test(wt.baseSha)) {
      throw new TpError(`Refusing base commit "${wt.baseSha}": not a commit id.`, {
        code: 'GIT_FAILED',
        retryable: false,
      });
    }
    await this.run(wt, ['reset', '--hard', '--quiet', wt.baseSha, '--']);
    await this.run(wt, ['clean', '-fdq']);
  }

  /** Files changed by the agent (porcelain lines). */
  async changes(wt: PreparedWorktree): Promise<string[]> {
    const out = await this.run(wt, ['status', '--porcelain', '--untracked-files=all']);
    return out.split('\n').filter((l) => l.trim() !== '');
  }

  /**
   * Stages everything and returns the staged diff (what a commit would contain). The flags
   * make every byte visible to the secret scan and the protected-path check, whatever the
   * change's `.gitattributes` or the user's config say: `--text` (no "Binary files differ",
   * not even for `-diff` or a NUL byte), no textconv or external diff program, no rename
   * detection (a renamed file shows its content), fixed `a/` `b/` prefixes.
   */
  async diff(wt: PreparedWorktree): Promise<string> {
    await this.run(wt, ['add', '-A']);
    return this.run(wt, [
      'diff',
      '--cached',
      '--no-color',
      '--text',
      '--no-textconv',
      '--no-ext-diff',
      '--no-renames',
      '--src-prefix=a/',
      '--dst-prefix=b/',
    ]);
  }

  /**
   * Commits everything in the worktree with the task trailer (and `trailers`, in the same
   * trailer block) and returns the sha; `staged` skips the `git add` when `diff()` has just
   * staged it all.
   */
  async commit(
    wt: PreparedWorktree,
    message: string,
    taskId: string,
    opts: { staged?: boolean; trailers?: ReadonlyArray<readonly [string, string]> } = {},
  ): Promise<string> {
    if (!opts.staged) await this.run(wt, ['add', '-A']);
    const { name, email } = this.options.author;
    const args = [
      // No `maintenance run --auto` child per commit: the cache's fetch runs it.
      '-c',
      'maintenance.auto=false',
      '-c',
      `user.name=${name}`,
      '-c',
      `user.email=${email}`,
      'commit',
      '--quiet',
      '--no-verify',
      `--message=${message}`,
      `--message=${trailerBlock(taskId, opts.trailers)}`,
    ];
    if (this.options.signCommits) {
      args.push(await this.signOption(wt));
      await this.run(wt, args, { sign: true, timeoutMs: SIGN_TIMEOUT_MS }).catch((err: unknown) => {
        throw signFailure(err, email);
      });
    } else await this.run(wt, args);
    // git has just written the branch as a loose ref in the shared repository: read it rather
    // than start another git process (~20 ms); fall back to rev-parse if it is not there.
    const loose = wt.cache
      ? await readFile(path.join(wt.cache, 'refs', 'heads', ...wt.branch.split('/')), 'utf8').catch(() => '')
      : '';
    return /^[0-9a-f]{40,64}$/.test(loose.trim()) ? loose.trim() : this.run(wt, ['rev-parse', 'HEAD']);
  }

  /**
   * `-S` when the user's git config names a signing key (`user.signingkey`, gpg or ssh format);
   * otherwise the gpg key of the commit email (`<email>`: an exact match, where git's default,
   * the whole "Name <email>" ident, would need the key's name to match too).
   */
  private async signOption(wt: PreparedWorktree): Promise<string> {
    const key = await this.run(wt, ['config', '--get', 'user.signingkey'], { sign: true }).catch(() => '');
    return key.trim() ? '-S' : `--gpg-sign=<${this.options.author.email}>`;
  }
}

/** A signing commit that failed: most often no usable key, which no retry will fix. */
function signFailure(err: unknown, email: string): TpError {
  const detail = (err as Error).message;
  const timedOut = /timed out/i.test(detail);
  return new TpError(
    timedOut
      ? 'Signing the commit timed out: gpg is probably waiting for a passphrase nobody can type.'
      : `Signing the commit failed: ${detail}`,
    {
      code: 'GIT_SIGN_FAILED',
      retryable: false,
      cause: err,
      hint: `git.signCommits is on: the service user needs a gpg secret key for ${email} (git.userEmail, or user.signingkey in its git config) in GNUPGHOME or ~/.gnupg, usable without a prompt (no passphrase, or one cached in gpg-agent). Or turn git.signCommits off.`,
    },
  );
}
