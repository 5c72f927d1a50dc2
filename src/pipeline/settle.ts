import path from 'node:path';
import { classify } from '../errors/index.js';
import type { Forge } from '../forges/types.js';
import type { Logger } from '../observability/index.js';
import type { Task } from '../tasks/types.js';
import { type CompletionDeps, completeTask } from './completion.js';
import { failTask } from './failure.js';
import type { PushedRun, RunResult } from './run-result.js';
import { deserializeError } from './run-result.js';
import { publishPullRequest } from './stages/pull-request.js';

/** The task's outcome as the worker loop sees it. */
export type ProcessOutcome =
  | { status: 'review'; prUrl: string | undefined; prNumber: number | undefined; branch: string }
  | { status: 'failed'; code: string; retryable: boolean };

/** What settling a run needs: the task files, the store, the events, and the forge for PRs and merges. */
export interface SettleDeps extends CompletionDeps {
  forge: Forge;
  logger: Logger;
  /** `webhook.autoMergePR`. */
  autoMerge: boolean;
}

/**
 * Applies a run's result where the task files and the store are: opens the PR when the run
 * left that to this side (local forge behind a worker), moves the task to review/ and
 * announces it, then auto-merges; or fails the task through the one failure path. `file` is
 * the task file in the in-progress folder.
 */
export async function settleRun(
  deps: SettleDeps,
  file: string,
  task: Task,
  result: RunResult,
): Promise<ProcessOutcome> {
  if (result.status === 'failed') {
    const error = deserializeError(result.error, task.id);
    await failTask(deps, {
      taskId: task.id,
      file,
      error,
      stage: result.stage,
      model: result.model ?? result.attempts.at(-1)?.model,
      attempts: result.attempts,
      outputTail: result.outputTail,
      run: 'owned',
      event: { kind: 'failed', elapsedMs: Date.now() - result.startedAt },
    });
    return { status: 'failed', code: error.code, retryable: error.retryable };
  }
  let pr = result.pr;
  let stage: 'pull-request' | 'finalize' = 'pull-request';
  try {
    if (!pr && result.prRequest) pr = await publishPullRequest(deps, result.prRequest);
    stage = 'finalize';
    await finalizeReview(deps, file, result, pr);
  } catch (raw) {
    const error = classify(raw).withTask(task.id);
    await failTask(deps, {
      taskId: task.id,
      file,
      error,
      stage,
      model: result.model,
      run: 'owned',
      event: { kind: 'failed', elapsedMs: Date.now() - result.startedAt },
    });
    return { status: 'failed', code: error.code, retryable: error.retryable };
  }
  await autoMerge(deps, result, pr);
  return { status: 'review', prUrl: pr?.url, prNumber: pr?.number, branch: result.branch };
}

/** Moves the task to review and announces the PR. */
async function finalizeReview(
  deps: SettleDeps,
  file: string,
  result: PushedRun,
  pr: { number: number; url: string } | undefined,
): Promise<void> {
  const { source, store, events } = deps;
  const taskId = result.taskId;
  await source.toReview(file, {
    branch: result.branch,
    prUrl: pr?.url,
    prNumber: pr?.number,
    model: result.model ?? '',
    summary: result.summary,
  });
  store.upsertRun({ taskId, stage: 'finalize', state: 'review', error: undefined });
  events.emit('task.stage', {
    taskId,
    file: path.basename(file),
    stage: 'finalize',
    elapsedMs: Date.now() - result.startedAt,
  });
  events.emit('task.published', {
    taskId,
    file: path.basename(file),
    branch: result.branch,
    prUrl: pr?.url,
    prNumber: pr?.number,
    elapsedMs: Date.now() - result.startedAt,
  });
  if (pr && result.needsAttention)
    events.emit('task.needs_attention', {
      taskId,
      file: path.basename(file),
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
async function autoMerge(
  deps: SettleDeps,
  result: PushedRun,
  pr: { number: number; url: string } | undefined,
): Promise<void> {
  const { forge, logger } = deps;
  const taskId = result.taskId;
  if (!deps.autoMerge || !pr) return;
  if (result.autoMergeBlockers.length > 0) {
    logger.info(
      { taskId, prNumber: pr.number, reasons: result.autoMergeBlockers },
      `not auto-merged: ${result.autoMergeBlockers.join('; ')}; left for review`,
    );
    return;
  }
  try {
    await forge.merge(pr.number, result.remote || undefined);
    await completeTask(deps, taskId, { prNumber: pr.number, prUrl: pr.url, via: 'auto' });
  } catch (err) {
    logger.warn(
      { taskId, prNumber: pr.number, err: classify(err).message },
      'auto-merge failed; left for review',
    );
  }
}
