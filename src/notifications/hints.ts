import type { TaskSource } from '../intake/types.js';

/**
 * Reads the hints of failed tasks from their error.json, for failure messages: the event
 * carries the error but not the hint. Read when a batch goes out, never in the listener.
 */
export function failureHintsFrom(
  source: Pick<TaskSource, 'listFailed'>,
): (taskIds: string[]) => Promise<Map<string, string>> {
  return async (taskIds) => {
    const wanted = new Set(taskIds);
    const hints = new Map<string, string>();
    for (const f of await source.listFailed())
      if (f.taskId && wanted.has(f.taskId) && f.report?.hint) hints.set(f.taskId, f.report.hint);
    return hints;
  };
}
