import type Database from 'better-sqlite3';
import { statement } from './statements.js';
import type { ModelOutcomeRecord, ModelOutcomeStats, ReviewCommentRecord } from './types.js';

type Row = Record<string, unknown>;

/*
 * Tables added for review comments, the response cache and model outcomes (migration 3).
 * Plain functions over the connection, so that sqlite-store.ts stays about runs and PRs.
 */

export function addReviewComments(
  db: Database.Database,
  prNumber: number,
  comments: readonly ReviewCommentRecord[],
): void {
  const insert = statement(
    db,
    'INSERT INTO review_comments (pr_number, path, line, body, created_at) VALUES (?, ?, ?, ?, ?)',
  );
  const now = new Date().toISOString();
  db.transaction(() => {
    for (const c of comments) insert.run(prNumber, c.path, c.line ?? null, c.body, now);
  })();
}

export function listReviewComments(db: Database.Database, prNumber: number): ReviewCommentRecord[] {
  const rows = statement(
    db,
    'SELECT path, line, body FROM review_comments WHERE pr_number = ? ORDER BY id',
  ).all(prNumber) as Row[];
  return rows.map((r) => ({
    path: String(r.path),
    line: (r.line as number | null) ?? undefined,
    body: String(r.body),
  }));
}

export function cacheGet(db: Database.Database, key: string, now = Date.now()): string | undefined {
  const row = statement(db, 'SELECT value, expires_at FROM model_cache WHERE key = ?').get(key) as
    | Row
    | undefined;
  if (!row) return undefined;
  if (Number(row.expires_at) <= now) {
    statement(db, 'DELETE FROM model_cache WHERE key = ?').run(key);
    return undefined;
  }
  return String(row.value);
}

export function cachePut(
  db: Database.Database,
  key: string,
  value: string,
  options: { ttlMs: number; maxEntries: number; now?: number },
): void {
  const now = options.now ?? Date.now();
  db.transaction(() => {
    statement(
      db,
      'INSERT OR REPLACE INTO model_cache (key, value, created_at, expires_at) VALUES (?, ?, ?, ?)',
    ).run(key, value, now, now + options.ttlMs);
    statement(db, 'DELETE FROM model_cache WHERE expires_at <= ?').run(now);
    statement(
      db,
      `DELETE FROM model_cache WHERE key IN (
         SELECT key FROM model_cache ORDER BY created_at DESC LIMIT -1 OFFSET ?)`,
    ).run(options.maxEntries);
  })();
}

export function recordModelOutcome(db: Database.Database, o: ModelOutcomeRecord): void {
  statement(
    db,
    `INSERT INTO model_outcomes (task_id, model, kind, ok, duration_ms, tokens, recorded_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    o.taskId,
    o.model,
    o.kind,
    o.ok ? 1 : 0,
    Math.round(o.durationMs),
    o.tokens ?? null,
    o.recordedAt ?? Date.now(),
  );
}

export function modelOutcomeStats(db: Database.Database, sinceMs: number): ModelOutcomeStats[] {
  const rows = statement(
    db,
    'SELECT model, kind, ok, duration_ms FROM model_outcomes WHERE recorded_at >= ? ORDER BY model, kind, duration_ms',
  ).all(sinceMs) as Row[];
  const byKey = new Map<string, ModelOutcomeStats>();
  for (const r of rows) {
    const model = String(r.model);
    const kind = String(r.kind);
    const key = `${model}\u0000${kind}`;
    let s = byKey.get(key);
    if (!s) {
      s = { model, kind, successes: 0, failures: 0, durationsMs: [] };
      byKey.set(key, s);
    }
    if (Number(r.ok) === 1) {
      s.successes++;
      s.durationsMs.push(Number(r.duration_ms));
    } else s.failures++;
  }
  return [...byKey.values()];
}
