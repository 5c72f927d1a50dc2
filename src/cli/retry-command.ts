import type { App } from '../app.js';
import { applyRetries, planRetries, type RetryFilter } from '../pipeline/recovery.js';
import { type CliIo, type GlobalOptions, withApp } from './context.js';
import { table } from './table.js';

/** Options of `retry-failed` (the global ones, the filter, `--dry-run`); not the model retry tuning. */
export interface RetryFailedOptions extends GlobalOptions, RetryFilter {
  dryRun?: boolean;
}

function recoveryDeps(app: App) {
  const { source, store, events } = app;
  return { source, store, events, maxRetries: app.loaded.config.recovery.maxRetries };
}

/** `retry-failed`: requeue failed tasks that may succeed now; `--dry-run` prints the table only. */
export async function retryFailedCommand(io: CliIo, opts: RetryFailedOptions): Promise<number> {
  return withApp(io, opts, async (app) => {
    const plan = await planRetries(recoveryDeps(app), opts);
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
    const n = await applyRetries(recoveryDeps(app), plan);
    io.out(`\nRequeued ${n} task(s).`);
    return 0;
  });
}
