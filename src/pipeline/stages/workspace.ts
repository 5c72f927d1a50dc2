import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunContext } from '../run-context.js';

/** Resolves the run's repository, credentials and base branch through the allow-lists (before any git call). */
export async function resolveTarget(ctx: RunContext): Promise<void> {
  const target = await ctx.deps.targetFor(ctx.task);
  ctx.remote = target.remote;
  ctx.auth = target.auth;
  ctx.baseBranch = target.baseBranch;
}

/** Task runs: a fresh worktree on the task branch, starting at the base branch. */
export async function prepareWorkspace(ctx: RunContext): Promise<void> {
  ctx.enter('workspace');
  ctx.wt = await ctx.deps.workspace.prepare(ctx.remote, ctx.baseBranch, ctx.branch, ctx.auth, {
    freshSince: ctx.freshSince,
  });
  ctx.gitLink = await readGitLink(ctx.wt.dir);
}

/** Follow-up runs: a fresh worktree on the PR branch as it is on the remote. */
export async function prepareExistingWorkspace(ctx: RunContext): Promise<void> {
  ctx.enter('workspace');
  ctx.wt = await ctx.deps.workspace.prepareExisting(ctx.remote, ctx.branch, ctx.auth);
  ctx.gitLink = await readGitLink(ctx.wt.dir);
}

/** The worktree's `.git` file: the pointer git follows to find its repository. */
export function readGitLink(dir: string): Promise<string> {
  return readFile(path.join(dir, '.git'), 'utf8');
}

/**
 * Gives the worktree back, whatever happened (a failed cleanup only leaves disk space behind).
 * A worktree an agent tampered with (its `.git` replaced, a protected path written) is
 * discarded instead of pooled for the next task.
 */
export async function cleanupWorkspace(ctx: RunContext, error?: { code: string }): Promise<void> {
  if (!ctx.wt) return;
  const discard = ctx.gitLinkReplaced || error?.code === 'AGENT_PROTECTED_PATH';
  await ctx.deps.workspace.cleanup(ctx.remote, ctx.wt, { discard }).catch(() => undefined);
}
