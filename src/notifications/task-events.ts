import type { EventBus } from '../events/index.js';
import type { NotificationItem } from './types.js';

/**
 * The task events worth telling people about, as notification items: a failure, a PR held for
 * attention, a PR opened, a PR merged by the forge or auto-merge. Returns the unsubscribers.
 */
export function listenForTasks(
  events: EventBus,
  at: () => string,
  route: (item: NotificationItem) => void,
): Array<() => void> {
  return [
    events.on('task.failed', (e) =>
      route({
        event: 'task.failed',
        at: at(),
        taskId: e.taskId,
        file: e.file,
        reason: e.error,
        code: e.code,
      }),
    ),
    events.on('task.needs_attention', (e) =>
      route({
        event: 'task.needs_attention',
        at: at(),
        taskId: e.taskId,
        file: e.file,
        reason: e.reason,
        prUrl: e.prUrl,
        prNumber: e.prNumber,
      }),
    ),
    events.on('task.published', (e) => {
      if (e.prUrl)
        route({
          event: 'pr.opened',
          at: at(),
          taskId: e.taskId,
          file: e.file,
          prUrl: e.prUrl,
          prNumber: e.prNumber,
        });
    }),
    events.on('task.completed', (e) => {
      // A merge by hand (`cli`) was done by the person who would be told.
      if ((e.via === 'webhook' || e.via === 'auto') && e.prNumber !== undefined)
        route({
          event: 'pr.merged',
          at: at(),
          taskId: e.taskId,
          file: e.file,
          prNumber: e.prNumber,
          via: e.via,
        });
    }),
  ];
}
