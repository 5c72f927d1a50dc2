import type { RunContext } from '../run-context.js';

/** Pushes the branch (force-with-lease against the head seen when the worktree was made). */
export async function push(ctx: RunContext): Promise<void> {
  ctx.enter('push');
  await ctx.deps.beforePush?.({ taskId: ctx.task.id, branch: ctx.branch });
  await ctx.deps.workspace.push(ctx.remote, ctx.wt!, ctx.auth);
}

/**
 * Crash safety: true when a previous run of this task already pushed the commit it recorded,
 * so this run goes straight to the pull request (no second commit, no second PR).
 */
export async function alreadyPushed(ctx: RunContext, recordedSha: string | undefined): Promise<boolean> {
  if (!recordedSha) return false;
  return (await ctx.deps.workspace.remoteHead(ctx.remote, ctx.branch, ctx.auth)) === recordedSha;
}
