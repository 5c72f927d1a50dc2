import path from 'node:path';
import type { TaskSource } from '../intake/types.js';
import { redact } from '../secrets/index.js';
import type { Store } from '../store/index.js';
import type { FailureStats, StatsSnapshot } from './types.js';

/**
 * Tasks finished since `sinceMs`, from the audit rows of task.published and task.failed: each
 * task counts once, by its latest outcome (a task that failed and then went through after a
 * retry is a success). The mean time is over the successful ones, claim to review.
 */
export function processingStats(
  store: Pick<Store, 'auditEvents'>,
  sinceMs: number,
): Omit<StatsSnapshot['processing'], 'folders' | 'windowHours'> {
  const latest = new Map<string, { name: string; elapsedMs: number }>();
  for (const r of store.auditEvents(['task.published', 'task.failed'], new Date(sinceMs).toISOString())) {
    const taskId = r.taskId ?? (typeof r.payload.taskId === 'string' ? r.payload.taskId : undefined);
    if (taskId) latest.set(taskId, { name: r.name, elapsedMs: Number(r.payload.elapsedMs) || 0 });
  }
  const done = [...latest.values()].filter((o) => o.name === 'task.published');
  const total = latest.size;
  return {
    total,
    successful: done.length,
    failed: total - done.length,
    successRate: total > 0 ? done.length / total : 0,
    avgProcessingTime: done.length > 0 ? done.reduce((s, o) => s + o.elapsedMs, 0) / done.length / 1000 : 0,
  };
}

/** The tasks in failed/ with their error report's code, reason and hint, secrets redacted. */
export async function failureStats(
  source: Pick<TaskSource, 'listFailed'>,
  secrets: readonly string[],
): Promise<FailureStats[]> {
  const r = (text: string) => redact(text, secrets);
  const failed = await source.listFailed();
  return failed
    .map(({ file, taskId, report }) => ({
      taskId: report?.taskId ?? taskId ?? '',
      file: path.basename(file),
      code: report?.code ?? 'UNKNOWN',
      reason: r(report?.error ?? 'No error report next to the task file.'),
      hint: report?.hint === undefined ? undefined : r(report.hint),
      retryable: report?.retryable ?? false,
      retryCount: report?.retryCount ?? 0,
      failedAt: report?.timestamp ?? '',
    }))
    .sort((a, b) => b.failedAt.localeCompare(a.failedAt));
}
