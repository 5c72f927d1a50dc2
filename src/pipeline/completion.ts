import path from 'node:path';
import { TpError } from '../errors/index.js';
import type { EventBus } from '../events/index.js';
import type { TaskSource } from '../intake/types.js';
import type { Store } from '../store/index.js';
import { failureFiles } from './failure.js';

export interface CompletionDeps {
  source: TaskSource;
  store: Store;
  events: EventBus;
  secrets: string[];
}

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
  const run = deps.store.getRun(taskId);
  const { report, log } = failureFiles({
    taskId,
    filename: path.basename(found.file),
    error,
    stage: 'review',
    model: run?.modelUsed,
    retryCount: run?.retryCount ?? 0,
    attempts: [],
    outputTail: undefined,
    secrets: deps.secrets,
    errorType: 'rejected',
  });
  const file = await deps.source.toFailed(found.file, report, log);
  deps.store.upsertRun({ taskId, state: 'failed', error: report.error });
  deps.events.emit('task.failed', {
    taskId,
    file: path.basename(file),
    code: 'REJECTED',
    error: report.error,
    retryable: true,
    elapsedMs: 0,
  });
  return file;
}
