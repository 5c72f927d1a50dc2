import type { Store } from '../../store/types.js';
import { canonicalModel } from '../names.js';

/**
 * Error codes that are the model's doing (it answered, but produced nothing usable). Host and
 * network failures (unreachable, breaker open, model not installed) say nothing about how good
 * a model is at a kind of task, so they are not recorded and do not trigger escalation.
 */
export const MODEL_FAULT_CODES: ReadonlySet<string> = new Set([
  'AGENT_FAILED',
  'AGENT_TIMEOUT',
  'AGENT_NO_CHANGES',
  'AGENT_BUDGET',
  'AGENT_PROTECTED_PATH',
  'MODEL_BAD_REQUEST',
]);

/** One model's result on one task, recorded under every kind of the task. */
export interface ModelRunOutcome {
  taskId: string;
  model: string;
  kinds: readonly string[];
  ok: boolean;
  durationMs: number;
  tokens?: number | undefined;
  recordedAt?: number;
}

/** Writes one outcome per kind (what `modelOutcomeStats` sums per model and kind). */
export function recordOutcome(store: Pick<Store, 'recordModelOutcome'>, o: ModelRunOutcome): void {
  for (const kind of o.kinds) {
    store.recordModelOutcome({
      taskId: o.taskId,
      model: canonicalModel(o.model),
      kind,
      ok: o.ok,
      durationMs: Math.max(0, o.durationMs),
      ...(o.tokens !== undefined ? { tokens: o.tokens } : {}),
      ...(o.recordedAt !== undefined ? { recordedAt: o.recordedAt } : {}),
    });
  }
}

/**
 * Models that failed this task in earlier runs by their own fault: failed attempts kept in the
 * store, and the model whose change failed a later stage (the run's `modelUsed`).
 */
export function previousFailures(store: Pick<Store, 'getRun' | 'listAttempts'>, taskId: string): string[] {
  const attempts = store
    .listAttempts(taskId)
    .filter((a) => a.code !== undefined && MODEL_FAULT_CODES.has(a.code))
    .map((a) => a.model);
  const used = store.getRun(taskId)?.modelUsed;
  return [...attempts, ...(used ? [used] : [])];
}
