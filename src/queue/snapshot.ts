import { lstat } from 'node:fs/promises';
import type { TaskSource } from '../intake/types.js';
import type { Store } from '../store/types.js';
import type { QueueSet, QueueStats } from './queue-set.js';

/**
 * When a task started waiting: its `createdAt`, else the file's modification time. The worker
 * orders by it and the SLA counts from it, so a restart does not reset anyone's wait.
 */
export function queuedSince(task: { createdAt?: string | undefined }, mtimeMs: number): number {
  return Date.parse(task.createdAt ?? '') || mtimeMs;
}

export interface QueueSnapshotDeps {
  source: Pick<TaskSource, 'listPending' | 'read' | 'isPending' | 'find'>;
  store: Pick<Store, 'listRuns'>;
  /** An empty set built from the same config as the worker's. */
  queues: QueueSet;
  now: number;
}

/**
 * Per-queue stats of a project read from its folders and store, for `status` (which runs in
 * another process than the worker). Waiting tasks are routed and raised exactly as the
 * worker does it, so `raised` counts the SLA steps of the tasks waiting now.
 */
export async function queueSnapshot(deps: QueueSnapshotDeps): Promise<QueueStats[]> {
  const { source, queues, now } = deps;
  for (const file of await source.listPending()) {
    const res = await source.read(file).catch(() => undefined);
    if (!res?.ok || !source.isPending(res.task)) continue;
    const mtimeMs = (await lstat(file).catch(() => undefined))?.mtimeMs ?? now;
    const t = res.task;
    queues.add({
      taskId: t.id,
      file,
      priority: t.priority,
      enqueuedAt: queuedSince(t, mtimeMs),
      dependencies: t.dependencies,
      labels: t.labels,
    });
  }
  for (const run of deps.store.listRuns('running')) {
    const found = await source.find(run.taskId);
    const res = found && (await source.read(found.file).catch(() => undefined));
    // A run whose file cannot be read any more still holds a slot: count it in `default`.
    const task = res?.ok ? res.task : { priority: 'medium' as const, labels: [] };
    queues.started({ taskId: run.taskId, priority: task.priority, labels: task.labels });
  }
  queues.checkSla(now);
  return queues.stats(now);
}
