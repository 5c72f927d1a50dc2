import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { git, refuseOptionLike } from './git.js';
import { emptyCommit } from './workspace.js';

type BaseEnv = Readonly<Record<string, string | undefined>>;

/** The git top level holding `dir`, or undefined when `dir` is not inside a work tree. */
export async function gitTopLevel(dir: string, baseEnv?: BaseEnv): Promise<string | undefined> {
  try {
    return await git(['rev-parse', '--show-toplevel'], { cwd: dir, baseEnv });
  } catch {
    return undefined;
  }
}

/**
 * The original tool's layout: a fresh bare repository per task under `repos/`, with one
 * empty commit on the base branch so a worktree can start from it. Kept for users who
 * want it (`repository.perTaskRepo`, or no target repository at all).
 */
export async function ensurePerTaskRepo(
  reposDir: string,
  taskId: string,
  baseBranch: string,
  baseEnv?: BaseEnv,
): Promise<string> {
  refuseOptionLike(baseBranch, 'branch');
  const dir = path.join(reposDir, `task-${taskId}.git`);
  if (existsSync(path.join(dir, 'HEAD'))) return dir;
  await mkdir(dir, { recursive: true });
  await git(['init', '--quiet', '--bare', '--', dir], { cwd: reposDir, baseEnv });
  await git(['symbolic-ref', '--', 'HEAD', `refs/heads/${baseBranch}`], { cwd: dir, baseEnv });
  const sha = await emptyCommit(
    dir,
    { name: 'Ticket Processor', email: 'processor@localhost' },
    `Start of task ${taskId}`,
    baseEnv,
  );
  await git(['update-ref', '--', `refs/heads/${baseBranch}`, sha], { cwd: dir, baseEnv });
  return dir;
}
