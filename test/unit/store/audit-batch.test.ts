import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { AUDIT_BATCH_ROWS } from '../../../src/store/audit-buffer.js';
import { AUDIT_GENESIS, auditRowHash } from '../../../src/store/audit-chain.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { statement } from '../../../src/store/statements.js';

const dirs: string[] = [];
const closers: Array<() => void> = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function dbFile(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tp-audit-batch-'));
  dirs.push(dir);
  return path.join(dir, 'state.db');
}
function open(file: string): SqliteStore {
  const s = new SqliteStore(file);
  // Closing twice is harmless: a test may close the store itself.
  closers.push(() => s.close());
  return s;
}
/** What another process sees: names of the committed rows, in id order. */
function committed(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return (
      db.prepare('SELECT name, task_id FROM audit ORDER BY id').all() as Array<{
        name: string;
        task_id: string;
      }>
    ).map((r) => `${r.name}:${r.task_id}`);
  } finally {
    db.close();
  }
}
const queued = (store: SqliteStore, id: number) =>
  store.audit('task.queued', String(id), { taskId: String(id), file: `task-${id}.md`, priority: 'medium' });

describe('audit rows deferred for bulk intake', () => {
  it('writes deferred rows on release, chained in emission order with their emission times', () => {
    const file = dbFile();
    const store = open(file);
    const release = store.deferAudit(['task.queued']);
    const before = new Date().toISOString();
    for (let i = 1; i <= 5; i++) queued(store, i);
    expect(committed(file)).toEqual([]);
    release();
    expect(committed(file)).toEqual([1, 2, 3, 4, 5].map((i) => `task.queued:${i}`));
    const rows = store.listAudit({});
    expect(rows[0]!.prevHash).toBe(AUDIT_GENESIS);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prevHash).toBe(rows[i - 1]!.hash);
    for (const r of rows) {
      expect(r.hash).toBe(auditRowHash(r));
      expect(r.ts >= before).toBe(true);
    }
    expect(store.verifyAudit()).toMatchObject({ ok: true, rows: 5 });
  });

  it('writes the waiting rows first when another event is audited, so the chain stays in order', () => {
    const file = dbFile();
    const store = open(file);
    const release = store.deferAudit(['task.queued']);
    queued(store, 1);
    queued(store, 2);
    store.audit('task.invalid', '3', { taskId: '3', file: 'task-3.md' });
    // Not deferred: committed at once, with the rows emitted before it.
    expect(committed(file)).toEqual(['task.queued:1', 'task.queued:2', 'task.invalid:3']);
    queued(store, 4);
    release();
    expect(committed(file)).toEqual(['task.queued:1', 'task.queued:2', 'task.invalid:3', 'task.queued:4']);
    expect(store.verifyAudit()).toMatchObject({ ok: true, rows: 4 });
  });

  it(`commits a batch every ${AUDIT_BATCH_ROWS} rows while the deferral is open`, () => {
    const file = dbFile();
    const store = open(file);
    const release = store.deferAudit(['task.queued']);
    for (let i = 1; i <= AUDIT_BATCH_ROWS + 3; i++) queued(store, i);
    expect(committed(file)).toHaveLength(AUDIT_BATCH_ROWS);
    release();
    expect(committed(file)).toHaveLength(AUDIT_BATCH_ROWS + 3);
    expect(store.verifyAudit()).toMatchObject({ ok: true, rows: AUDIT_BATCH_ROWS + 3 });
  });

  it('shows waiting rows to its own readers, and writes them on close', () => {
    const file = dbFile();
    const store = open(file);
    store.deferAudit(['task.queued']);
    queued(store, 1);
    expect(store.listAudit({}).map((r) => r.name)).toEqual(['task.queued']);
    queued(store, 2);
    expect(store.auditEvents(['task.queued'], '2000-01-01T00:00:00.000Z')).toHaveLength(2);
    queued(store, 3);
    store.close();
    expect(committed(file)).toEqual(['task.queued:1', 'task.queued:2', 'task.queued:3']);
  });

  it('keeps the payload as it was when the event was audited', () => {
    const store = open(dbFile());
    const release = store.deferAudit(['task.queued']);
    const payload = { taskId: '1', waitingFor: ['0'] };
    store.audit('task.queued', '1', payload);
    payload.waitingFor.push('changed later');
    release();
    expect(JSON.parse(store.listAudit({})[0]!.payload)).toEqual({ taskId: '1', waitingFor: ['0'] });
  });

  it('ends a nested deferral only with the outer one, and a second release does nothing', () => {
    const file = dbFile();
    const store = open(file);
    const outer = store.deferAudit(['task.queued']);
    const inner = store.deferAudit(['task.queued']);
    queued(store, 1);
    inner();
    inner();
    queued(store, 2);
    expect(committed(file)).toEqual(['task.queued:1']);
    outer();
    queued(store, 3);
    expect(committed(file)).toEqual(['task.queued:1', 'task.queued:2', 'task.queued:3']);
  });

  it('keeps one chain when another store on the file writes between two batches', () => {
    const file = dbFile();
    const a = open(file);
    const b = open(file);
    const release = a.deferAudit(['task.queued']);
    queued(a, 1);
    b.audit('task.claimed', '9', { taskId: '9', attempt: 1 });
    queued(a, 2);
    release();
    expect(committed(file)).toEqual(['task.claimed:9', 'task.queued:1', 'task.queued:2']);
    expect(b.verifyAudit()).toMatchObject({ ok: true, rows: 3 });
  });
});

describe('prepared statements', () => {
  it('are compiled once per database and SQL text', () => {
    const one = new Database(':memory:');
    const two = new Database(':memory:');
    closers.push(
      () => one.close(),
      () => two.close(),
    );
    const sql = 'SELECT 1 AS x';
    expect(statement(one, sql)).toBe(statement(one, sql));
    expect(statement(two, sql)).not.toBe(statement(one, sql));
    expect(statement(one, sql).get()).toEqual({ x: 1 });
  });
});

describe('upsertRun', () => {
  it('returns the row as stored: merged with the previous one, an explicit undefined clears a field', () => {
    const store = open(dbFile());
    const first = store.upsertRun({
      taskId: '1',
      file: 'task-1.md',
      state: 'running',
      error: 'boom',
      attempts: 1,
    });
    expect(first).toMatchObject({
      taskId: '1',
      file: 'task-1.md',
      state: 'running',
      error: 'boom',
      attempts: 1,
    });
    const second = store.upsertRun({ taskId: '1', stage: 'agent', error: undefined });
    expect(second).toEqual(store.getRun('1'));
    expect(second).toMatchObject({ file: 'task-1.md', state: 'running', stage: 'agent', attempts: 1 });
    expect(second.error).toBeUndefined();
    expect(second.updatedAt >= first.updatedAt).toBe(true);
  });
});
