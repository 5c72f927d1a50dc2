import type Database from 'better-sqlite3';
import {
  AUDIT_GENESIS,
  type AuditListOptions,
  type AuditRecord,
  type AuditVerifyResult,
  auditRowHash,
  toRecord,
} from './audit-chain.js';
import { statement } from './statements.js';

type Row = Record<string, unknown>;

/* Reading the audit chain: listing rows and verifying every link (`audit list`, `audit verify`). */

/** Audit rows, oldest first. */
export function listAudit(db: Database.Database, opts: AuditListOptions = {}): AuditRecord[] {
  const where: string[] = [];
  const args: unknown[] = [];
  if (opts.since) {
    where.push('ts >= ?');
    args.push(opts.since);
  }
  if (opts.taskId) {
    where.push('task_id = ?');
    args.push(opts.taskId);
  }
  // The limit is a parameter, not SQL text: one cached statement serves every limit.
  let limit = '';
  if (opts.limit !== undefined) {
    limit = ' LIMIT ?';
    args.push(Math.max(0, Math.floor(opts.limit)));
  }
  const sql = `SELECT * FROM audit${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id${limit}`;
  return (statement(db, sql).all(...args) as Row[]).map(toRecord);
}

/** Walks the whole chain in id order and stops at the first row that does not hold. */
export function verifyAudit(db: Database.Database): AuditVerifyResult {
  let prev = AUDIT_GENESIS;
  let rows = 0;
  for (const raw of statement(db, 'SELECT * FROM audit ORDER BY id').iterate() as Iterable<Row>) {
    const r = toRecord(raw);
    const at = { id: r.id, ts: r.ts, name: r.name, taskId: r.taskId };
    if (!r.hash) return { ok: false, rows, headHash: prev, broken: { ...at, reason: 'unchained' } };
    if (auditRowHash(r) !== r.hash) {
      return { ok: false, rows, headHash: prev, broken: { ...at, reason: 'content' } };
    }
    if (r.prevHash !== prev) return { ok: false, rows, headHash: prev, broken: { ...at, reason: 'link' } };
    prev = r.hash;
    rows++;
  }
  return { ok: true, rows, headHash: prev };
}
