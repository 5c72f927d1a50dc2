import { canonicalModel } from '../models/index.js';
import type { Store } from '../store/index.js';
import type { ModelStats } from './types.js';

/** Nearest-rank percentile of ascending `sorted`; undefined when empty. */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/**
 * Per canonical model since `sinceMs`: attempts and their outcome from the attempts table (an
 * attempt without an error code produced a change), durations over all attempts, tokens from
 * the model outcomes (where the agent reported them).
 */
export function modelStats(
  store: Pick<Store, 'attemptStats' | 'modelTokens'>,
  sinceMs: number,
): Record<string, ModelStats> {
  const acc = new Map<string, { attempts: number; successes: number; durations: number[]; tokens: number }>();
  const entry = (model: string) => {
    const key = canonicalModel(model);
    let e = acc.get(key);
    if (!e) {
      e = { attempts: 0, successes: 0, durations: [], tokens: 0 };
      acc.set(key, e);
    }
    return e;
  };
  for (const a of store.attemptStats(new Date(sinceMs).toISOString())) {
    const e = entry(a.model);
    e.attempts += a.attempts;
    e.successes += a.successes;
    e.durations.push(...a.durationsMs);
  }
  for (const t of store.modelTokens(sinceMs)) entry(t.model).tokens += t.tokens;
  const out: Record<string, ModelStats> = {};
  for (const [model, e] of [...acc.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const sorted = e.durations.sort((a, b) => a - b);
    out[model] = {
      attempts: e.attempts,
      successes: e.successes,
      failures: e.attempts - e.successes,
      successRate: e.attempts > 0 ? e.successes / e.attempts : 0,
      p50Ms: percentile(sorted, 50),
      p95Ms: percentile(sorted, 95),
      tokens: e.tokens,
    };
  }
  return out;
}
