import { percentile } from '../../../bench/lib.js';

/** A breaker transition as seen in the router's events (times from `performance.now()`). */
export interface Transition {
  at: number;
  to: 'OPEN' | 'HALF_OPEN' | 'CLOSED';
}

/** One HTTP request to the Ollama host: `sentAt` by the client, `reachedAt` when the fake received it. */
export interface RequestRecord {
  at: number;
  path: string;
  /** Client side: the request never got a response (refused, reset). */
  failed?: boolean;
}

export interface TaskTiming {
  taskId: string;
  claimedAt: number;
  publishedAt: number;
}

export interface Window {
  from: number;
  to: number;
  /** The state the breaker moved to when the window ended (undefined: still in it at the end). */
  next?: Transition['to'];
}

/**
 * Intervals during which the breaker was in `state`, from an ordered list of transitions.
 * The breaker starts CLOSED; an interval still open at the end is closed at `end`.
 */
export function windowsOf(
  transitions: readonly Transition[],
  state: Transition['to'],
  end: number,
): Window[] {
  const out: Window[] = [];
  let current: Transition['to'] = 'CLOSED';
  let since = Number.NEGATIVE_INFINITY;
  for (const t of [...transitions].sort((a, b) => a.at - b.at)) {
    if (t.to === current) continue;
    if (current === state) out.push({ from: since, to: t.at, next: t.to });
    current = t.to;
    since = t.at;
  }
  if (current === state) out.push({ from: since, to: end });
  return out;
}

/** Records whose time lies inside any window (half-open interval [from, to)). */
export function inside<T extends { at: number }>(records: readonly T[], windows: readonly Window[]): T[] {
  return records.filter((r) => windows.some((w) => r.at >= w.from && r.at < w.to));
}

export type Phase = 'before' | 'during' | 'after';

/**
 * Which part of the run a task belongs to: finished before the host went down, started after
 * it came back, or overlapping the outage.
 */
export function phaseOf(t: TaskTiming, outage: Window): Phase {
  if (t.publishedAt < outage.from) return 'before';
  if (t.claimedAt >= outage.to) return 'after';
  return 'during';
}

export interface PhaseStats {
  n: number;
  p50: number;
  p95: number;
}

/** claim → published durations (ms) per phase. */
export function phaseStats(tasks: readonly TaskTiming[], outage: Window): Record<Phase, PhaseStats> {
  const by: Record<Phase, number[]> = { before: [], during: [], after: [] };
  for (const t of tasks) by[phaseOf(t, outage)].push(t.publishedAt - t.claimedAt);
  const stats = (v: number[]): PhaseStats => ({
    n: v.length,
    p50: Math.round(percentile(v, 50)),
    p95: Math.round(percentile(v, 95)),
  });
  return { before: stats(by.before), during: stats(by.during), after: stats(by.after) };
}

/** Paths a breaker permit starts with: an agent run opens with /api/show, a health probe, a model listing. */
const CALL_STARTS = new Set(['/api/show', '/api/version', '/api/tags']);

/** Breaker calls (permits) begun in each window: one per request that starts a call. */
export function callsPerWindow(records: readonly RequestRecord[], windows: readonly Window[]): number[] {
  return windows.map(
    (w) => records.filter((r) => CALL_STARTS.has(r.path) && r.at >= w.from && r.at < w.to).length,
  );
}

/** Counts per path, e.g. `{ '/api/chat': 3, '/api/version': 1 }`, as `chat 3, version 1`. */
export function byPath(records: readonly RequestRecord[]): string {
  const counts = new Map<string, number>();
  for (const r of records) {
    const key = r.path.replace(/^\/api\//, '');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return (
    [...counts.entries()]
      .sort()
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || 'none'
  );
}
