import type { Store } from '../store/index.js';
import type { TrendPoint, TrendRange } from './types.js';

const HOUR = 3_600_000;
const RANGES: Record<TrendRange, { bucketMs: number; spanMs: number }> = {
  '24h': { bucketMs: HOUR, spanMs: 24 * HOUR },
  '7d': { bucketMs: 6 * HOUR, spanMs: 7 * 24 * HOUR },
};

/**
 * Tasks done (task.published) and failed (task.failed) per bucket, with the mean seconds from
 * claim to review of the done ones, from the audit table. Buckets are aligned to UTC (hours,
 * or 00/06/12/18 h), the last one is the current, partial one; at most `trendDays` back.
 */
export function trendPoints(
  store: Pick<Store, 'auditEvents'>,
  range: TrendRange,
  now: number,
  trendDays: number,
): TrendPoint[] {
  const { bucketMs, spanMs } = RANGES[range];
  const span = Math.min(spanMs, trendDays * 24 * HOUR);
  const count = Math.max(1, Math.floor(span / bucketMs));
  const last = Math.floor(now / bucketMs) * bucketMs;
  const first = last - (count - 1) * bucketMs;
  const points = Array.from({ length: count }, (_, i) => ({
    t: first + i * bucketMs,
    done: 0,
    failed: 0,
    totalMs: 0,
  }));
  const rows = store.auditEvents(
    ['task.published', 'task.failed'],
    new Date(first).toISOString(),
    new Date(last + bucketMs).toISOString(),
  );
  for (const r of rows) {
    const p = points[Math.floor((Date.parse(r.ts) - first) / bucketMs)];
    if (!p) continue;
    if (r.name === 'task.failed') p.failed++;
    else {
      p.done++;
      p.totalMs += Number(r.payload.elapsedMs) || 0;
    }
  }
  return points.map(({ totalMs, ...p }) => ({ ...p, meanSeconds: p.done > 0 ? totalMs / p.done / 1000 : 0 }));
}
