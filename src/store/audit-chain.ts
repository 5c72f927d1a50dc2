import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { statement } from './statements.js';

type Row = Record<string, unknown>;

/*
 * The audit table as a hash chain. Each row stores the hash of the row before it (`prev_hash`)
 * and its own `hash`, the SHA-256 of a canonical serialisation of its content and `prev_hash`.
 * Editing a row changes its content hash; removing or inserting a row breaks the next row's
 * link. Plain functions over the connection, like sqlite-extras.ts.
 */

/** `prev_hash` of the first row. */
export const AUDIT_GENESIS = '0'.repeat(64);

/** Who acts when an event carries no actor of its own: the pipeline. */
export const DEFAULT_ACTOR = 'ticket-processor';

/** One audit row as stored, its payload still the exact JSON text that was hashed. */
export interface AuditRecord {
  id: number;
  ts: string;
  name: string;
  taskId: string | undefined;
  actor: string | undefined;
  model: string | undefined;
  host: string | undefined;
  commitSha: string | undefined;
  /** PR URL when known, else `#<number>`. */
  pr: string | undefined;
  /** The payload JSON text. */
  payload: string;
  prevHash: string | undefined;
  hash: string | undefined;
}

/** What `audit verify` found. `rows`: rows checked and intact (before the first broken one). */
export interface AuditVerifyResult {
  ok: boolean;
  rows: number;
  /** Hash of the last intact row (AUDIT_GENESIS for an empty log). */
  headHash: string;
  broken?: {
    id: number;
    ts: string;
    name: string;
    taskId: string | undefined;
    /**
     * `content`: the row's own hash does not match its content (it was edited). `link`: its
     * `prev_hash` is not the previous row's hash (a row before it was removed or inserted).
     * `unchained`: the row has no hash although rows before it do (written around the chain).
     */
    reason: 'content' | 'link' | 'unchained';
  };
}

/** Filters of `listAudit`; `since` is an ISO time (inclusive). */
export interface AuditListOptions {
  since?: string;
  taskId?: string;
  limit?: number;
}

const str = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));

/** A stored row as a record (its payload left as the JSON text that was hashed). */
export const toRecord = (r: Row): AuditRecord => ({
  id: Number(r.id),
  ts: String(r.ts),
  name: String(r.name),
  taskId: str(r.task_id),
  actor: str(r.actor),
  model: str(r.model),
  host: str(r.host),
  commitSha: str(r.commit_sha),
  pr: str(r.pr),
  payload: String(r.payload),
  prevHash: str(r.prev_hash),
  hash: str(r.hash),
});

/**
 * SHA-256 over a JSON array of the row's fields in a fixed order, absent values as null: an
 * array has no key order to disagree about, and JSON escaping keeps field boundaries unambiguous.
 */
export function auditRowHash(r: Omit<AuditRecord, 'hash'>): string {
  const fields = [
    r.prevHash ?? null,
    r.id,
    r.ts,
    r.name,
    r.taskId ?? null,
    r.actor ?? null,
    r.model ?? null,
    r.host ?? null,
    r.commitSha ?? null,
    r.pr ?? null,
    r.payload,
  ];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

/** Chain columns an event carries in its payload (model, host, commit, PR, actor). */
export function chainFields(
  db: Database.Database,
  name: string,
  taskId: string | undefined,
  payload: unknown,
  actor: string | undefined,
): Pick<AuditRecord, 'actor' | 'model' | 'host' | 'commitSha' | 'pr'> {
  const p = (payload && typeof payload === 'object' ? payload : {}) as Row;
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  let commitSha = text(p.commitSha);
  // The publish event names the PR; the commit it carries is in the run record.
  if (!commitSha && name === 'task.published' && taskId) {
    const run = statement(db, 'SELECT commit_sha FROM runs WHERE task_id = ?').get(taskId) as Row | undefined;
    commitSha = str(run?.commit_sha);
  }
  const prNumber = typeof p.prNumber === 'number' ? `#${p.prNumber}` : undefined;
  return {
    actor: actor ?? text(p.actor) ?? DEFAULT_ACTOR,
    model: text(p.model),
    host: text(p.host),
    commitSha,
    pr: text(p.prUrl) ?? prNumber,
  };
}

/** The last chained row's hash, or the genesis value. */
function headHash(db: Database.Database): { id: number; hash: string } {
  const r = statement(
    db,
    'SELECT id, hash FROM audit WHERE hash IS NOT NULL ORDER BY id DESC LIMIT 1',
  ).get() as Row | undefined;
  return r ? { id: Number(r.id), hash: String(r.hash) } : { id: 0, hash: AUDIT_GENESIS };
}

/**
 * Where the next row goes: the last chained hash, and the id AUTOINCREMENT would give it
 * (never an id used before, even a deleted one). One statement: it runs once per audit row.
 */
function chainHead(db: Database.Database): { hash: string; nextId: number } {
  const r = statement(
    db,
    `SELECT (SELECT hash FROM audit WHERE hash IS NOT NULL ORDER BY id DESC LIMIT 1) AS hash,
            (SELECT seq FROM sqlite_sequence WHERE name = 'audit') AS seq,
            (SELECT MAX(id) FROM audit) AS m`,
  ).get() as Row;
  return {
    hash: r.hash === null || r.hash === undefined ? AUDIT_GENESIS : String(r.hash),
    nextId: Math.max(Number(r.seq ?? 0), Number(r.m ?? 0)) + 1,
  };
}

/** One row to append: the event as it was emitted (`json` is its payload, serialised then). */
export interface AuditInput {
  name: string;
  taskId: string | undefined;
  payload: unknown;
  actor?: string | undefined;
  /** The payload's JSON text; serialised from `payload` when absent. */
  json?: string;
  /** When the event happened (ISO); now when absent. */
  ts?: string;
}

const appenders = new WeakMap<
  Database.Database,
  Database.Transaction<(rows: readonly AuditInput[]) => void>
>();

/**
 * Appends one row. The last hash is read inside an IMMEDIATE transaction (the write lock is
 * taken first), so two processes on one database never both chain to the same row.
 */
export function appendAudit(
  db: Database.Database,
  name: string,
  taskId: string | undefined,
  payload: unknown,
  actor?: string,
): void {
  appendAuditRows(db, [{ name, taskId, payload, actor }]);
}

/**
 * Appends `rows` in order, chained one to the next, in one IMMEDIATE transaction: one lock and
 * one commit for the lot (most of the cost of a row is the commit).
 */
export function appendAuditRows(db: Database.Database, rows: readonly AuditInput[]): void {
  if (rows.length === 0) return;
  let tx = appenders.get(db);
  if (!tx) {
    tx = db.transaction((batch: readonly AuditInput[]) => {
      const head = chainHead(db);
      let prevHash = head.hash;
      let id = head.nextId;
      for (const r of batch) {
        const row: Omit<AuditRecord, 'hash'> = {
          id: id++,
          ts: r.ts ?? new Date().toISOString(),
          name: r.name,
          taskId: r.taskId,
          ...chainFields(db, r.name, r.taskId, r.payload, r.actor),
          payload: r.json ?? JSON.stringify(r.payload ?? null),
          prevHash,
        };
        const hash = auditRowHash(row);
        insert(db, { ...row, hash });
        prevHash = hash;
      }
    });
    appenders.set(db, tx);
  }
  tx.immediate(rows);
}

function insert(db: Database.Database, r: AuditRecord): void {
  statement(
    db,
    `INSERT INTO audit (id, ts, name, task_id, actor, model, host, commit_sha, pr, payload, prev_hash, hash)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    r.id,
    r.ts,
    r.name,
    r.taskId ?? null,
    r.actor ?? null,
    r.model ?? null,
    r.host ?? null,
    r.commitSha ?? null,
    r.pr ?? null,
    r.payload,
    r.prevHash ?? null,
    r.hash ?? null,
  );
}

/**
 * Makes chained rows append-only and chains rows written before the chain existed (run on
 * every open; both steps are no-ops once done). The triggers stop mistakes and casual edits,
 * not an attacker: whoever can write the file can drop a trigger. That is exactly why the
 * chain exists — an edit or removal made that way still shows in `audit verify`.
 */
export function prepareAuditChain(db: Database.Database): void {
  db.transaction(() => {
    db.exec(`
      CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit WHEN OLD.hash IS NOT NULL
      BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;
      CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit WHEN OLD.hash IS NOT NULL
      BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;`);
    backfill(db);
  }).immediate();
}

/**
 * Chains, in id order, the rows of a database from before migration 4: only while no row is
 * chained yet, so this happens once. A row without a hash written after that (around the
 * chain, or with its hash wiped) is left for `verifyAudit` to report; chaining it now would
 * hide that it was slipped in or edited.
 */
function backfill(db: Database.Database): void {
  const head = headHash(db);
  if (head.id !== 0) return;
  const rows = statement(db, 'SELECT * FROM audit WHERE hash IS NULL ORDER BY id').all() as Row[];
  if (rows.length === 0) return;
  const update = statement(
    db,
    'UPDATE audit SET actor = ?, model = ?, host = ?, commit_sha = ?, pr = ?, prev_hash = ?, hash = ? WHERE id = ?',
  );
  let prev = head.hash;
  for (const raw of rows) {
    const r = toRecord(raw);
    let payload: unknown;
    try {
      payload = JSON.parse(r.payload);
    } catch {
      payload = undefined;
    }
    const derived = chainFields(db, r.name, r.taskId, payload, r.actor);
    const row: Omit<AuditRecord, 'hash'> = { ...r, ...derived, prevHash: prev };
    const hash = auditRowHash(row);
    update.run(
      row.actor ?? null,
      row.model ?? null,
      row.host ?? null,
      row.commitSha ?? null,
      row.pr ?? null,
      prev,
      hash,
      r.id,
    );
    prev = hash;
  }
}
