import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Store } from '../../../src/store/index.js';
import { HOUR, statsFixture } from './support.js';

// 14:30 UTC: the current hourly bucket starts at 14:00, the current 6-hour bucket at 12:00.
const NOW = Date.parse('2026-03-10T14:30:00.000Z');

/** Writes an audit row as the event log would, at time `at` (the store stamps rows with Date). */
function auditAt(store: Store, at: number, name: string, taskId: string, payload: Record<string, unknown>) {
  vi.setSystemTime(at);
  store.audit(name, taskId, { taskId, ...payload });
}

describe('stats: trends from the audit table', () => {
  let close: (() => void) | undefined;
  afterEach(() => {
    vi.useRealTimers();
    close?.();
  });

  it('24h: hourly buckets, oldest first, boundaries belong to the later bucket, gaps are zeros', async () => {
    const f = statsFixture(NOW);
    close = () => f.store.close();
    vi.useFakeTimers({ toFake: ['Date'] });
    const hour14 = Date.parse('2026-03-10T14:00:00.000Z');
    auditAt(f.store, hour14, 'task.published', '1', { elapsedMs: 10_000 });
    auditAt(f.store, hour14 + 20 * 60_000, 'task.published', '2', { elapsedMs: 30_000 });
    auditAt(f.store, hour14 - 1, 'task.failed', '3', { elapsedMs: 5_000, code: 'AGENT_FAILED' });
    // Earliest bucket: 15:00 the day before; one ms earlier is outside the range.
    auditAt(f.store, hour14 - 23 * HOUR, 'task.published', '4', { elapsedMs: 60_000 });
    auditAt(f.store, hour14 - 23 * HOUR - 1, 'task.published', '5', { elapsedMs: 1 });
    // Other events are not trends.
    auditAt(f.store, hour14 + 1, 'task.claimed', '6', { attempt: 1 });
    vi.useRealTimers();

    const points = await f.stats.trends('24h');
    expect(points).toHaveLength(24);
    expect(points[0]!.t).toBe(hour14 - 23 * HOUR);
    expect(points[23]!.t).toBe(hour14);
    expect(points[23]).toEqual({ t: hour14, done: 2, failed: 0, meanSeconds: 20 });
    expect(points[22]).toEqual({ t: hour14 - HOUR, done: 0, failed: 1, meanSeconds: 0 });
    expect(points[0]).toEqual({ t: hour14 - 23 * HOUR, done: 1, failed: 0, meanSeconds: 60 });
    const busy = points.filter((p) => p.done + p.failed > 0).map((p) => p.t);
    expect(busy).toEqual([hour14 - 23 * HOUR, hour14 - HOUR, hour14]);
    for (let i = 1; i < points.length; i++) expect(points[i]!.t - points[i - 1]!.t).toBe(HOUR);
  });

  it('7d: 6-hour buckets aligned to UTC 00/06/12/18, capped by monitoring.trendDays', async () => {
    const f = statsFixture(NOW, { trendDays: 2 });
    close = () => f.store.close();
    vi.useFakeTimers({ toFake: ['Date'] });
    const b12 = Date.parse('2026-03-10T12:00:00.000Z');
    auditAt(f.store, b12 + 5 * HOUR, 'task.published', '1', { elapsedMs: 4_000 });
    auditAt(f.store, b12 - 1, 'task.published', '2', { elapsedMs: 8_000 });
    auditAt(f.store, b12 - 6 * HOUR, 'task.failed', '3', { elapsedMs: 1_000, code: 'AGENT_FAILED' });
    // Three days ago: beyond the 2 days the config allows.
    auditAt(f.store, b12 - 3 * 24 * HOUR, 'task.published', '4', { elapsedMs: 1_000 });
    vi.useRealTimers();

    const points = await f.stats.trends('7d');
    expect(points).toHaveLength(8);
    expect(points.at(-1)).toEqual({ t: b12, done: 1, failed: 0, meanSeconds: 4 });
    expect(points.at(-2)).toEqual({ t: b12 - 6 * HOUR, done: 1, failed: 1, meanSeconds: 8 });
    expect(points[0]!.t).toBe(b12 - 7 * 6 * HOUR);
    expect(points.reduce((n, p) => n + p.done, 0)).toBe(2);

    const wide = statsFixture(NOW, { trendDays: 7 });
    expect(await wide.stats.trends('7d')).toHaveLength(28);
    wide.store.close();
  });
});
