import type { EventBus } from '../events/index.js';
import type { CliIo } from './context.js';

/** Readable progress lines: one per stage change, with elapsed time. Output chunks stay in the logs. */
export function attachProgress(events: EventBus, io: CliIo): () => void {
  const offs = [
    events.on('task.queued', (e) =>
      io.out(
        `task ${e.taskId}: queued (${e.priority}${e.waitingFor.length ? `, after ${e.waitingFor.join(', ')}` : ''})`,
      ),
    ),
    events.on('task.invalid', (e) => io.out(`task ${e.taskId}: invalid → failed/ (${e.error})`)),
    events.on('task.claimed', (e) => io.out(`task ${e.taskId}: claimed (${e.file})`)),
    events.on('task.recovered', (e) => io.out(`task ${e.taskId}: ${e.action} after restart`)),
    events.on('task.stage', (e) =>
      io.out(`task ${e.taskId}: ${e.stage} (${(e.elapsedMs / 1000).toFixed(1)}s)`),
    ),
    events.on('attempt.failed', (e) =>
      io.out(
        `task ${e.taskId}: attempt ${e.attemptNumber} with ${e.model} failed: ${e.code}${e.retryable ? ' (will retry)' : ''}`,
      ),
    ),
    events.on('task.published', (e) =>
      io.out(
        `task ${e.taskId}: ✔ PR ${e.prUrl} on branch ${e.branch} → review/ (${(e.elapsedMs / 1000).toFixed(1)}s)`,
      ),
    ),
    events.on('task.failed', (e) => io.out(`task ${e.taskId}: ✘ failed: ${e.error} → failed/`)),
    events.on('task.completed', (e) => io.out(`task ${e.taskId}: completed (PR merged)`)),
  ];
  return () => {
    for (const off of offs) off();
  };
}
