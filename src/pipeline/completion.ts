import path from 'node:path';
import { TpError } from '../errors/index.js';
import { type FailureDeps, failTask } from './failure.js';

/** Source, store, events and secrets: built once in the composition root (`App.completion`). */
export type CompletionDeps = FailureDeps;

/** A merged PR completes its task: review → completed (Backlog.md: status Done), the same for webhook and CLI. */
export async function completeTask(
  deps: CompletionDeps,
  taskId: string,
  info: { prNumber?: number | undefined; prUrl?: string | undefined; via: 'webhook' | 'cli' | 'auto' },
): Promise<string | undefined> {
  const note = `Pull request ${info.prUrl ?? (info.prNumber ? `#${info.prNumber}` : '')} merged; task completed.`;
  const file = await deps.source.toCompleted(taskId, note);
  if (!file) return undefined;
  deps.store.upsertRun({ taskId, file: path.basename(file), state: 'completed' });
  deps.events.emit('task.completed', {
    taskId,
    file: path.basename(file),
    via: info.via,
    ...(info.prNumber ? { prNumber: info.prNumber } : {}),
  });
  return file;
}

/** A PR closed without merge sends its task to failed/ as `rejected`, so `retry-failed` can requeue it. */
export async function rejectTask(
  deps: CompletionDeps,
  taskId: string,
  info: { prNumber: number; comment?: string | undefined },
): Promise<string | undefined> {
  const found = await deps.source.find(taskId);
  if (found?.state !== 'review') return undefined;
  const error = new TpError(
    `Pull request #${info.prNumber} was closed without merging.${info.comment ? ` Closing comment: ${info.comment}` : ''}`,
    {
      code: 'REJECTED',
      retryable: true,
      hint: `Adjust the ticket to address the review, then run \`ticket-processor retry-failed --task-id ${taskId}\`.`,
    },
  );
  const { file } = await failTask(deps, {
    taskId,
    file: found.file,
    error,
    stage: 'review',
    model: deps.store.getRun(taskId)?.modelUsed,
    errorType: 'rejected',
    run: 'owned',
    event: { kind: 'failed', elapsedMs: 0 },
  });
  return file;
}
