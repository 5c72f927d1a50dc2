import type { RunContext } from '../run-context.js';
import { cleanupWorkspace } from './workspace.js';

/**
 * Pushes the branch (force-with-lease against the head seen when the worktree was made). The
 * commit is in the cache by now, so the worktree goes back to the pool first: the next task
 * can take it while this one waits for its push (a pooled worktree costs a checkout, a new
 * one a `worktree add`, several times more).
 */
export async function push(ctx: RunContext): Promise<void> {
  ctx.enter('push');
  await ctx.deps.beforePush?.({ taskId: ctx.task.id, branch: ctx.branch });
  const wt = ctx.wt!;
  const sha = ctx.commitSha;
  if (sha) {
    await cleanupWorkspace(ctx);
    ctx.wt = undefined;
  }
  await ctx.deps.workspace.push(ctx.remote, wt, ctx.auth, sha ? { released: { sha } } : {});
}

/**
 * Crash safety: true when a previous run of this task already pushed the commit it recorded,
 * so this run goes straight to the pull request (no second commit, no second PR).
 */
export async function alreadyPushed(ctx: RunContext, recordedSha: string | undefined): Promise<boolean> {
  if (!recordedSha) return false;
  return (await ctx.deps.workspace.remoteHead(ctx.remote, ctx.branch, ctx.auth)) === recordedSha;
}
