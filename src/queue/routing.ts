import type { QueuePriority } from './sla.js';

/** The queue tasks go to when no named queue matches them. */
export const DEFAULT_QUEUE = 'default';

/** One named queue (`processing.queues[]`). */
export interface QueueDef {
  name: string;
  /** Tasks of this queue that may run at the same time. */
  concurrency: number;
  priorities: readonly QueuePriority[];
  labels: readonly string[];
}

/** The `processing` keys the queues are built from. */
export interface QueueConfig {
  concurrency: number;
  queues: readonly QueueDef[];
}

/**
 * The configured queues plus `default` (last, so a named queue always wins a match). A
 * declared `default` keeps its place and concurrency; otherwise it gets `processing.concurrency`.
 * With no queues configured this is the one queue of before.
 */
export function queueDefs(config: QueueConfig): QueueDef[] {
  const defs = config.queues.map((q) => ({ ...q }));
  if (!defs.some((q) => q.name === DEFAULT_QUEUE))
    defs.push({ name: DEFAULT_QUEUE, concurrency: config.concurrency, priorities: [], labels: [] });
  return defs;
}

/**
 * Labels first (the first queue listing one of the task's labels), then priorities (the first
 * queue listing the task's priority), else `default`. Labels compare case-insensitively, as
 * people write them.
 */
export function routeTask(
  defs: readonly QueueDef[],
  task: { priority: QueuePriority; labels: readonly string[] },
): string {
  const labels = new Set(task.labels.map((l) => l.toLowerCase()));
  const byLabel = defs.find((q) => q.labels.some((l) => labels.has(l.toLowerCase())));
  if (byLabel) return byLabel.name;
  const byPriority = defs.find((q) => q.priorities.includes(task.priority));
  return byPriority?.name ?? DEFAULT_QUEUE;
}
