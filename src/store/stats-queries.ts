import type Database from 'better-sqlite3';
import { statement } from './statements.js';

type Row = Record<string, unknown>;

/*
 * Read-only queries behind the stats module (dashboard, `/api/stats`, `status --json`, the
 * Prometheus gauges). Counting happens in SQL; percentiles need the durations themselves,
 * so those come back sorted for the caller. Times: the attempts and audit tables keep ISO
 * strings (compared as text, which orders like time for `toISOString()` values), the model
 * outcomes epoch milliseconds.
 */

/** Attempts of one model (as recorded, not canonicalised) since a time. */
export interface AttemptWindowStats {
  model: string;
  attempts: number;
  /** Attempts recorded without an error code: the agent produced a change. */
  successes: number;
  failures: number;
  /** Durations of the attempts that have one, ascending. */
  durationsMs: number[];
}

/** One audit row, its payload parsed. */
export interface AuditEventRow {
  id: number;
  ts: string;
  name: string;
  taskId: string | undefined;
  payload: Record<string, unknown>;
}

/** review.completed rows summed: reviews by status and findings per severity. */
export interface ReviewTotals {
  reviews: number;
  unavailable: number;
  findings: Record<'critical' | 'major' | 'minor' | 'info', number>;
}

export function attemptStats(db: Database.Database, sinceIso: string): AttemptWindowStats[] {
  const counts = statement(
    db,
    `SELECT model, COUNT(*) AS attempts,
              SUM(CASE WHEN code IS NULL THEN 1 ELSE 0 END) AS successes
         FROM attempts WHERE started_at >= ? GROUP BY model ORDER BY model`,
  ).all(sinceIso) as Row[];
  const durations = statement(
    db,
    `SELECT model, duration_ms FROM attempts
        WHERE started_at >= ? AND duration_ms IS NOT NULL ORDER BY model, duration_ms`,
  ).all(sinceIso) as Row[];
  const byModel = new Map<string, number[]>();
  for (const r of durations) {
    const list = byModel.get(String(r.model)) ?? [];
    list.push(Number(r.duration_ms));
    byModel.set(String(r.model), list);
  }
  return counts.map((r) => {
    const attempts = Number(r.attempts);
    const successes = Number(r.successes);
    return {
      model: String(r.model),
      attempts,
      successes,
      failures: attempts - successes,
      durationsMs: byModel.get(String(r.model)) ?? [],
    };
  });
}

/**
 * Tokens per model (canonical names, as model_outcomes keeps them) since `sinceMs`. One run is
 * recorded once per kind of its task, with the same task, model, result, time and tokens:
 * those copies are counted once.
 */
export function modelTokens(
  db: Database.Database,
  sinceMs: number,
): Array<{ model: string; tokens: number }> {
  const rows = statement(
    db,
    `SELECT model, SUM(tokens) AS tokens FROM (
         SELECT task_id, model, MAX(tokens) AS tokens FROM model_outcomes
          WHERE recorded_at >= ? AND tokens IS NOT NULL
          GROUP BY task_id, model, ok, duration_ms, tokens)
        GROUP BY model ORDER BY model`,
  ).all(sinceMs) as Row[];
  return rows.map((r) => ({ model: String(r.model), tokens: Number(r.tokens) }));
}

/** Audit rows named one of `names` since `sinceIso` (and before `untilIso`, if given), oldest first. */
export function auditEvents(
  db: Database.Database,
  names: readonly string[],
  sinceIso: string,
  untilIso?: string,
): AuditEventRow[] {
  if (names.length === 0) return [];
  const marks = names.map(() => '?').join(', ');
  const rows = statement(
    db,
    `SELECT id, ts, name, task_id, payload FROM audit
        WHERE name IN (${marks}) AND ts >= ? AND ts < ? ORDER BY id`,
  ).all(...names, sinceIso, untilIso ?? '9999') as Row[];
  return rows.map((r) => ({
    id: Number(r.id),
    ts: String(r.ts),
    name: String(r.name),
    taskId: (r.task_id as string | null) ?? undefined,
    payload: parsePayload(r.payload),
  }));
}

/** The review.completed audit rows since `sinceIso`, summed in SQL. */
export function reviewTotals(db: Database.Database, sinceIso: string): ReviewTotals {
  const r = statement(
    db,
    `SELECT COUNT(*) AS reviews,
              SUM(CASE WHEN json_extract(payload, '$.status') = 'unavailable' THEN 1 ELSE 0 END) AS unavailable,
              SUM(COALESCE(json_extract(payload, '$.findings.critical'), 0)) AS critical,
              SUM(COALESCE(json_extract(payload, '$.findings.major'), 0)) AS major,
              SUM(COALESCE(json_extract(payload, '$.findings.minor'), 0)) AS minor,
              SUM(COALESCE(json_extract(payload, '$.findings.info'), 0)) AS info
         FROM audit WHERE name = 'review.completed' AND ts >= ? AND json_valid(payload)`,
  ).get(sinceIso) as Row;
  const n = (v: unknown) => Number(v ?? 0);
  return {
    reviews: n(r.reviews),
    unavailable: n(r.unavailable),
    findings: { critical: n(r.critical), major: n(r.major), minor: n(r.minor), info: n(r.info) },
  };
}

function parsePayload(raw: unknown): Record<string, unknown> {
  try {
    const v = JSON.parse(String(raw)) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
