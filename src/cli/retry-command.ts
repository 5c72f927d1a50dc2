import type { App } from '../app.js';
import { type CliIo, type GlobalOptions, withApp } from './context.js';
import { table } from './table.js';

export interface RetryOptions extends GlobalOptions {
  taskId?: string;
  maxAgeDays?: string;
  dryRun?: boolean;
  all?: boolean;
  errorType?: string;
}

export interface RetryDecision {
  taskId: string;
  file: string;
  errorType: string;
  code: string;
  retryCount: number;
  ageHours: number;
  action: 'requeue' | 'skip';
  reason: string;
}

/** Decides, for every task in failed/, whether it is requeued and why (or why not). */
export async function planRetries(app: App, opts: RetryOptions, now = Date.now()): Promise<RetryDecision[]> {
  const maxRetries = app.loaded.config.recovery.maxRetries;
  const out: RetryDecision[] = [];
  for (const f of await app.source.listFailed()) {
    const r = f.report;
    const taskId = f.taskId ?? '?';
    const ageHours = r ? (now - Date.parse(r.timestamp)) / 3_600_000 : Number.NaN;
    const retryCount = Math.max(r?.retryCount ?? 0, app.store.getRun(taskId)?.retryCount ?? 0);
    const d: RetryDecision = {
      taskId,
      file: f.file,
      errorType: r?.errorType ?? 'unknown',
      code: r?.code ?? '-',
      retryCount,
      ageHours,
      action: 'skip',
      reason: '',
    };
    if (opts.taskId && opts.taskId.replace(/^task-/, '') !== taskId) continue;
    if (opts.errorType && d.errorType !== opts.errorType) d.reason = `error type is ${d.errorType}`;
    else if (!r && !opts.all) d.reason = 'no .error.json (use --all)';
    else if (r && !r.retryable && !opts.all && !opts.taskId)
      d.reason = `${r.code} is permanent (use --all or --task-id)`;
    else if (opts.maxAgeDays && ageHours > Number(opts.maxAgeDays) * 24)
      d.reason = `older than ${opts.maxAgeDays} days`;
    else if (retryCount >= maxRetries && !opts.taskId)
      d.reason = `retried ${retryCount} times (recovery.maxRetries)`;
    else {
      d.action = 'requeue';
      d.reason = r?.retryable ? 'retryable failure' : 'requested';
    }
    out.push(d);
  }
  return out;
}

/** `retry-failed`: requeue failed tasks that may succeed now; `--dry-run` prints the table only. */
export async function retryFailedCommand(io: CliIo, opts: RetryOptions): Promise<number> {
  return withApp(io, opts, async (app) => {
    const plan = await planRetries(app, opts);
    if (plan.length === 0) {
      io.out(opts.taskId ? `Task ${opts.taskId} is not in the failed folder.` : 'No failed tasks.');
      return opts.taskId ? 1 : 0;
    }
    io.out(
      table([
        ['TASK', 'ERROR TYPE', 'CODE', 'RETRIES', 'AGE', opts.dryRun ? 'WOULD' : 'ACTION', 'WHY'],
        ...plan.map((d) => [
          d.taskId,
          d.errorType,
          d.code,
          String(d.retryCount),
          Number.isNaN(d.ageHours) ? '-' : `${d.ageHours.toFixed(1)}h`,
          d.action,
          d.reason,
        ]),
      ]),
    );
    if (opts.dryRun) {
      io.out(`\nDry run: ${plan.filter((d) => d.action === 'requeue').length} task(s) would be requeued.`);
      return 0;
    }
    let n = 0;
    for (const d of plan.filter((p) => p.action === 'requeue')) {
      if (await app.source.requeue(d.taskId)) {
        app.store.upsertRun({
          taskId: d.taskId,
          state: 'queued',
          retryCount: d.retryCount + 1,
          commitSha: undefined,
        });
        app.events.emit('task.requeued', { taskId: d.taskId, reason: d.reason });
        n++;
      }
    }
    io.out(`\nRequeued ${n} task(s).`);
    return 0;
  });
}
