import { applyRetries, planRetries, type RecoveryDeps } from '../pipeline/recovery.js';

/** What `POST /api/tasks/:id/retry` did: requeued, or why not (404 unknown, 409 not in failed/). */
export type RetryOutcome =
  | { status: 'requeued'; taskId: string; file: string }
  | { status: 'unknown'; taskId: string }
  | { status: 'not-failed'; taskId: string; state: string };

/**
 * The dashboard's retry button: requeues one task from failed/ as `retry-failed --task-id`
 * does (a person asked, so a permanent failure or the retry cap does not stop it).
 */
export async function retryFailedTask(deps: RecoveryDeps, taskId: string): Promise<RetryOutcome> {
  const found = await deps.source.find(taskId);
  if (!found) return { status: 'unknown', taskId };
  if (found.state !== 'failed') return { status: 'not-failed', taskId, state: found.state };
  const plan = (await planRetries(deps, { taskId })).filter((d) => d.taskId === taskId);
  const moved = await applyRetries(deps, plan);
  // Gone between the look and the move (another retry, a user): it is no longer in failed/.
  if (moved === 0) {
    const now = await deps.source.find(taskId);
    return now ? { status: 'not-failed', taskId, state: now.state } : { status: 'unknown', taskId };
  }
  return { status: 'requeued', taskId, file: plan[0]?.file ?? found.file };
}
