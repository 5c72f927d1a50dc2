import path from 'node:path';
import { classify } from '../../errors/index.js';
import { changedFiles, checkDefiningFiles } from '../check-files.js';
import { completeTask } from '../completion.js';
import { buildPrBody } from '../pr-body.js';
import type { RunContext } from '../run-context.js';
import { renderTemplate } from '../template.js';
import { needsAttention, publishReview, reviewBlockers } from './review.js';

/**
 * Why this run's PR may not be merged automatically: no checks ran, a check failed, the
 * change edits the files that define the checks (then passing them proves nothing), or the
 * code review is unavailable or holds it (`codeReview.onCritical: hold`).
 */
export function autoMergeBlockers(ctx: RunContext): string[] {
  return [...checkBlockers(ctx), ...reviewBlockers(ctx)];
}

function checkBlockers(ctx: RunContext): string[] {
  const { verify } = ctx;
  if (!verify || verify.length === 0) return ['no checks ran in this run (verify.commands)'];
  const failed = verify.filter((v) => !v.ok);
  if (failed.length > 0) return [`${failed.length} of ${verify.length} checks failed`];
  const touched = checkDefiningFiles(changedFiles(ctx.diff), ctx.deps.config.verify.commands);
  if (touched.length > 0) {
    const shown = touched.slice(0, 10).join(', ');
    return [`the change edits files that define the checks (${shown}${touched.length > 10 ? ', …' : ''})`];
  }
  return [];
}

/** The label of a PR the code review holds (`codeReview.onCritical: hold`). */
export const NEEDS_ATTENTION = 'needs-attention';

/**
 * Finds the branch's open PR (a resumed run) or opens one, with the run report in its body.
 * With `git.createPR: false` the pushed branch is the result: no PR, so nothing to merge.
 */
export async function openPullRequest(ctx: RunContext): Promise<void> {
  ctx.enter('pull-request');
  const { config, forge, store, secrets } = ctx.deps;
  const { task } = ctx;
  if (!config.git.createPR) {
    store.upsertRun({ taskId: task.id, state: 'published' });
    return;
  }
  ctx.autoMergeBlockers = config.webhook.autoMergePR ? autoMergeBlockers(ctx) : [];
  const body = buildPrBody(config.git.prBody, {
    task,
    model: ctx.model ?? 'unknown',
    attempts: ctx.attempts,
    agent: ctx.agentResult,
    elapsedMs: Date.now() - ctx.started,
    secrets,
    ...(ctx.verify ? { verify: ctx.verify } : {}),
    notAutoMerged: ctx.autoMergeBlockers,
    ...(ctx.review ? { review: ctx.review } : {}),
    ...(ctx.selectionReason ? { selectionReason: ctx.selectionReason } : {}),
  });
  const pr =
    (await forge.findPullRequest(ctx.branch, ctx.remote)) ??
    (await forge.openPullRequest({
      title: renderTemplate(config.git.prTitle, { id: task.id, title: task.title }),
      body,
      head: ctx.branch,
      base: ctx.baseBranch,
      labels: needsAttention(ctx) ? [...new Set([...task.labels, NEEDS_ATTENTION])] : task.labels,
      taskId: task.id,
      remote: ctx.remote,
    }));
  ctx.pr = { number: pr.number, url: pr.url };
  store.upsertRun({ taskId: task.id, prNumber: pr.number, prUrl: pr.url, state: 'published' });
  await publishReview(ctx, pr.number);
}

/** Moves the task to review and announces the PR. */
export async function finalizeReview(ctx: RunContext): Promise<void> {
  ctx.enter('finalize');
  const { source, store, events } = ctx.deps;
  const { task } = ctx;
  const pr = ctx.pr;
  await source.toReview(ctx.file, {
    branch: ctx.branch,
    prUrl: pr?.url,
    prNumber: pr?.number,
    model: ctx.model ?? '',
    summary: ctx.agentResult?.summary ?? '',
  });
  store.upsertRun({ taskId: task.id, state: 'review', error: undefined });
  events.emit('task.published', {
    taskId: task.id,
    file: path.basename(ctx.file),
    branch: ctx.branch,
    prUrl: pr?.url,
    prNumber: pr?.number,
    elapsedMs: Date.now() - ctx.started,
  });
  if (pr && needsAttention(ctx))
    events.emit('task.needs_attention', {
      taskId: task.id,
      file: path.basename(ctx.file),
      prUrl: pr.url,
      prNumber: pr.number,
      reason: 'the code review left findings open (codeReview.onCritical: hold)',
    });
}

/**
 * Merges the PR when `webhook.autoMergePR` is on and nothing blocks it (see
 * `autoMergeBlockers`); otherwise it stays open for a person, and the log says why. A failed
 * merge is not a failed task either.
 */
export async function autoMerge(ctx: RunContext): Promise<void> {
  const { config, forge, logger } = ctx.deps;
  const pr = ctx.pr;
  const taskId = ctx.task.id;
  if (!config.webhook.autoMergePR || !pr) return;
  if (ctx.autoMergeBlockers.length > 0) {
    logger.info(
      { taskId, prNumber: pr.number, reasons: ctx.autoMergeBlockers },
      `not auto-merged: ${ctx.autoMergeBlockers.join('; ')}; left for review`,
    );
    return;
  }
  try {
    await forge.merge(pr.number, ctx.remote || undefined);
    await completeTask(ctx.deps, taskId, {
      prNumber: pr.number,
      prUrl: pr.url,
      via: 'auto',
    });
  } catch (err) {
    logger.warn(
      { taskId, prNumber: pr.number, err: classify(err).message },
      'auto-merge failed; left for review',
    );
  }
}
