import type { QueuePriority } from './sla.js';

export interface QueueItem {
  taskId: string;
  file: string;
  /** Current priority: the task's own, or higher once an SLA raised it. */
  priority: QueuePriority;
  /** Milliseconds since epoch; older first within one priority. */
  enqueuedAt: number;
  dependencies: string[];
  /** The task's labels (queue routing). */
  labels?: string[];
  /** Target repository key (`task.repo` or 'default'): `queue.perRepository` counts by it. */
  repoKey?: string;
  /** Epoch ms this process admitted the item (not the task's age): how fresh its base must be. */
  admittedAt?: number;
}

/** Why a dependency is not yet satisfied: still open, or failed (then the dependent waits for a person). */
export type DependencyState = 'done' | 'pending' | 'failed' | 'missing';

const RANK: Record<QueuePriority, number> = { critical: 0, high: 1, medium: 2, low: 3 };

/**
 * Queue seam. The in-process priority queue is the embedded default; a distributed backend
 * (BullMQ on Redis) implements the same contract for many workers.
 */
export interface Queue {
  add(item: QueueItem): boolean;
  remove(taskId: string): boolean;
  has(taskId: string): boolean;
  take(depState: (id: string) => DependencyState): QueueItem | undefined;
  blocked(depState: (id: string) => DependencyState): Array<{ item: QueueItem; waitingFor: string[] }>;
  readonly size: number;
}

/**
 * Priority (critical, high, medium, low), then age. A task whose dependencies are not all done is
 * skipped, not dropped: it runs as soon as they complete.
 */
export class PriorityQueue implements Queue {
  private readonly items = new Map<string, QueueItem>();

  add(item: QueueItem): boolean {
    if (this.items.has(item.taskId)) return false;
    this.items.set(item.taskId, item);
    return true;
  }

  remove(taskId: string): boolean {
    return this.items.delete(taskId);
  }

  has(taskId: string): boolean {
    return this.items.has(taskId);
  }

  /** The queued item (read-only use: waiting times, SLA). */
  get(taskId: string): QueueItem | undefined {
    return this.items.get(taskId);
  }

  /** Moves a queued task to another priority (an SLA raise); false when it is not queued. */
  setPriority(taskId: string, priority: QueuePriority): boolean {
    const item = this.items.get(taskId);
    if (!item) return false;
    item.priority = priority;
    return true;
  }

  /** Every queued item, in no particular order. */
  values(): QueueItem[] {
    return [...this.items.values()];
  }

  get size(): number {
    return this.items.size;
  }

  private ordered(): QueueItem[] {
    return [...this.items.values()].sort(
      (a, b) =>
        RANK[a.priority] - RANK[b.priority] ||
        a.enqueuedAt - b.enqueuedAt ||
        a.taskId.localeCompare(b.taskId),
    );
  }

  /** The first item whose dependencies are done and that `admit` lets through (default: all). */
  take(
    depState: (id: string) => DependencyState,
    admit: (item: QueueItem) => boolean = () => true,
  ): QueueItem | undefined {
    for (const item of this.ordered()) {
      if (item.dependencies.every((d) => depState(d) === 'done') && admit(item)) {
        this.items.delete(item.taskId);
        return item;
      }
    }
    return undefined;
  }

  blocked(depState: (id: string) => DependencyState): Array<{ item: QueueItem; waitingFor: string[] }> {
    return this.ordered()
      .map((item) => ({ item, waitingFor: item.dependencies.filter((d) => depState(d) !== 'done') }))
      .filter((b) => b.waitingFor.length > 0);
  }
}
