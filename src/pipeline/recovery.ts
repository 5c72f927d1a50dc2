import type { EventBus } from '../events/index.js';
import type { TaskSource } from '../intake/types.js';
import type { Store } from '../store/index.js';

export interface RecoveryDeps {
  source: TaskSource;
  store: Store;
  events: EventBus;
  /** `recovery.maxRetries`: the retry count cap per task. */
  maxRetries: number;
}

export interface RetryFilter {
  taskId?: string | undefined;
  maxAgeDays?: string | undefined;
  all?: boolean | undefined;
  errorType?: string | undefined;
  /** Only failures at least this old (automatic recovery waits `recovery.retryAfterMs`). */
  minAgeMs?: number | undefined;
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
export async function planRetries(
  deps: RecoveryDeps,
  opts: RetryFilter,
  now = Date.now(),
): Promise<RetryDecision[]> {
  const maxRetries = deps.maxRetries;
  const out: RetryDecision[] = [];
  for (const f of await deps.source.listFailed()) {
    const r = f.report;
    const taskId = f.taskId ?? '?';
    const ageHours = r ? (now - Date.parse(r.timestamp)) / 3_600_000 : Number.NaN;
    const retryCount = Math.max(r?.retryCount ?? 0, deps.store.getRun(taskId)?.retryCount ?? 0);
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
    else if (opts.minAgeMs !== undefined && !(ageHours * 3_600_000 >= opts.minAgeMs))
      d.reason = 'failed too recently';
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

/** Moves the planned tasks back to the queue; returns how many moved. */
export async function applyRetries(deps: RecoveryDeps, plan: RetryDecision[]): Promise<number> {
  let n = 0;
  for (const d of plan.filter((p) => p.action === 'requeue')) {
    if (await deps.source.requeue(d.taskId)) {
      deps.store.upsertRun({
        taskId: d.taskId,
        state: 'queued',
        retryCount: d.retryCount + 1,
        commitSha: undefined,
      });
      deps.events.emit('task.requeued', { taskId: d.taskId, reason: d.reason });
      n++;
    }
  }
  return n;
}

/**
 * `recovery.autoRetry`: every `intervalMs`, requeue failures that are retryable, older than
 * `retryAfterMs` and under the retry cap. Returns a stop function.
 */
export function scheduleRecovery(
  deps: RecoveryDeps,
  opts: {
    intervalMs: number;
    retryAfterMs: number;
    onRequeued?: (n: number) => void;
    onError?: (err: unknown) => void;
  },
): () => void {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const plan = await planRetries(deps, { minAgeMs: opts.retryAfterMs });
      const n = await applyRetries(deps, plan);
      if (n > 0) opts.onRequeued?.(n);
    } catch (err) {
      opts.onError?.(err);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), opts.intervalMs);
  timer.unref();
  void tick();
  return () => clearInterval(timer);
}
