import type { Store } from '../store/index.js';
import type { DigestCounts } from './types.js';

const DAY = 86_400_000;

/** The next time (epoch ms, after `now`) the local clock shows `hour`:00. */
export function nextDigestAt(now: number, hour: number): number {
  const d = new Date(now);
  d.setHours(hour, 0, 0, 0);
  if (d.getTime() <= now) d.setDate(d.getDate() + 1);
  return d.getTime();
}

/**
 * What the last 24 hours brought, from the runs in the store: merged (completed), waiting in
 * review, failed (with their ids). A run counts where it stands now, by its last update.
 */
export function digestCounts(store: Store, now: number): { counts: DigestCounts; failedTasks: string[] } {
  const since = new Date(now - DAY).toISOString();
  const recent = store.listRuns().filter((r) => r.updatedAt >= since);
  const failed = recent.filter((r) => r.state === 'failed').map((r) => r.taskId);
  return {
    counts: {
      completed: recent.filter((r) => r.state === 'completed').length,
      review: recent.filter((r) => r.state === 'review' || r.state === 'published').length,
      failed: failed.length,
    },
    failedTasks: failed.sort((a, b) => a.localeCompare(b, undefined, { numeric: true })),
  };
}
