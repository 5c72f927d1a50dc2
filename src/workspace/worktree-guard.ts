import { lstat, readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { TpError } from '../errors/index.js';

/**
 * The admin directory (`<cache>/worktrees/<name>`) that a worktree's `.git` file names,
 * checked before the service runs git there. An agent can write the worktree: a `.git` that
 * became a directory, a symlink or a file naming another repository would make git read that
 * repository's config (filters, fsmonitor, ssh command) inside the service's own git calls.
 *
 * `expected` is the admin directory recorded when the worktree was made; without it, any
 * `worktrees/<name>` folder of one of `caches` passes.
 */
export async function verifiedAdminDir(
  dir: string,
  opts: { expected?: string | undefined; caches: readonly string[] },
): Promise<string> {
  const dotGit = path.join(dir, '.git');
  const refuse = (why: string): never => {
    throw new TpError(`Worktree ${dir}: its .git ${why}, so it does not point at the service's repository.`, {
      code: 'GIT_FAILED',
      retryable: false,
      hint: 'Something in the worktree (an agent or a command it ran) replaced .git; the task must start again.',
      details: { worktree: dir },
    });
  };
  const st = await lstat(dotGit).catch(() => undefined);
  if (!st) return refuse('is missing');
  if (!st.isFile()) return refuse(st.isDirectory() ? 'is a directory' : 'is not a regular file');
  if (st.size > 4096) return refuse('is too large');
  const m = /^gitdir: (.+?)\r?\n?$/.exec(await readFile(dotGit, 'utf8'));
  if (!m?.[1]) return refuse('has no gitdir line');
  // The exact path recorded when the worktree was made: its parts lie outside the worktree
  // (under the cache), out of an agent's reach, so no symlink can have moved it since.
  if (opts.expected !== undefined && m[1] === opts.expected) return opts.expected;
  const admin = await realpath(path.resolve(dir, m[1])).catch(() => undefined);
  if (!admin) return refuse(`names a folder that does not exist (${m[1]})`);
  if (opts.expected !== undefined) {
    const want = await realpath(opts.expected).catch(() => opts.expected);
    if (admin !== want) return refuse(`names ${admin} instead of ${want}`);
    return admin;
  }
  for (const cache of opts.caches) {
    const root = await realpath(cache).catch(() => undefined);
    if (root && path.dirname(admin) === path.join(root, 'worktrees')) return admin;
  }
  return refuse(`names ${admin}, outside the cache repositories`);
}
