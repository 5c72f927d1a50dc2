import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { AUDIT_GENESIS, auditRowHash } from '../../../src/store/audit-chain.js';
import { MIGRATIONS } from '../../../src/store/schema.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';

const dirs: string[] = [];
const stores: SqliteStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function dbFile(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tp-audit-'));
  dirs.push(dir);
  return path.join(dir, 'state.db');
}
function open(file: string): SqliteStore {
  const s = new SqliteStore(file);
  stores.push(s);
  return s;
}
/** A raw connection with the append-only triggers dropped: what an attacker with file access can do. */
function tamper(file: string, sql: string): void {
  const db = new Database(file);
  db.exec('DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;');
  db.exec(sql);
  db.close();
}
function writeSome(store: SqliteStore): void {
  store.audit('task.claimed', '1', { taskId: '1', attempt: 1 });
  store.audit('attempt.started', '1', {
    taskId: '1',
    attemptNumber: 1,
    model: 'qwen2.5-coder:7b',
    agent: 'x',
  });
  store.upsertRun({ taskId: '1', file: 'task-1.md', state: 'running', commitSha: 'a'.repeat(40) });
  store.audit('task.published', '1', { taskId: '1', branch: 'task-1', prNumber: 4, prUrl: 'http://f/pr/4' });
  store.audit('task.completed', '1', { taskId: '1', prNumber: 4, via: 'cli' }, 'cli:alice');
}

describe('audit hash chain', () => {
  it('chains every row to the one before and verifies an intact log', () => {
    const store = open(dbFile());
    writeSome(store);
    const rows = store.listAudit({});
    expect(rows.map((r) => r.name)).toEqual([
      'task.claimed',
      'attempt.started',
      'task.published',
      'task.completed',
    ]);
    expect(rows[0]!.prevHash).toBe(AUDIT_GENESIS);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prevHash).toBe(rows[i - 1]!.hash);
    for (const r of rows) expect(r.hash).toBe(auditRowHash(r));
    expect(rows[0]!.actor).toBe('ticket-processor');
    expect(rows[1]!.model).toBe('qwen2.5-coder:7b');
    // The published row takes the commit from the run record and the PR from the event.
    expect(rows[2]).toMatchObject({ commitSha: 'a'.repeat(40), pr: 'http://f/pr/4' });
    expect(rows[3]!.actor).toBe('cli:alice');
    const v = store.verifyAudit();
    expect(v).toMatchObject({ ok: true, rows: 4, headHash: rows[3]!.hash });
    expect(v.broken).toBeUndefined();
  });

  it('filters by task, time and limit', () => {
    const store = open(dbFile());
    writeSome(store);
    store.audit('task.claimed', '2', { taskId: '2', attempt: 1 });
    expect(store.listAudit({ taskId: '2' }).map((r) => r.taskId)).toEqual(['2']);
    expect(store.listAudit({ limit: 2 })).toHaveLength(2);
    expect(store.listAudit({ since: '2999-01-01T00:00:00.000Z' })).toEqual([]);
    expect(store.listAudit({ since: '2000-01-01T00:00:00.000Z' })).toHaveLength(5);
  });

  it('refuses UPDATE and DELETE of chained rows through the triggers', () => {
    const file = dbFile();
    const store = open(file);
    writeSome(store);
    const db = new Database(file);
    try {
      expect(() => db.prepare("UPDATE audit SET payload = '{}' WHERE id = 2").run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM audit WHERE id = 2').run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
  });

  it('names the row whose content was edited', () => {
    const file = dbFile();
    writeSome(open(file));
    stores.pop()?.close();
    tamper(
      file,
      `UPDATE audit SET payload = '{"taskId":"1","attemptNumber":1,"model":"gpt-evil"}' WHERE id = 2`,
    );
    const v = open(file).verifyAudit();
    expect(v.ok).toBe(false);
    expect(v.broken).toMatchObject({ id: 2, name: 'attempt.started', taskId: '1', reason: 'content' });
    expect(v.rows).toBe(1);
  });

  it('names the row after a removed one', () => {
    const file = dbFile();
    writeSome(open(file));
    stores.pop()?.close();
    tamper(file, 'DELETE FROM audit WHERE id = 2');
    const v = open(file).verifyAudit();
    expect(v.ok).toBe(false);
    expect(v.broken).toMatchObject({ id: 3, name: 'task.published', reason: 'link' });
  });

  it('names a row slipped in without a hash, and does not chain it on the next open', () => {
    const file = dbFile();
    writeSome(open(file));
    stores.pop()?.close();
    tamper(
      file,
      `INSERT INTO audit (ts, name, task_id, payload) VALUES ('2024-01-01T00:00:00.000Z', 'task.completed', '1', '{}')`,
    );
    const v = open(file).verifyAudit();
    expect(v).toMatchObject({ ok: false, rows: 4, broken: { id: 5, reason: 'unchained' } });
  });

  it('keeps one chain when two stores on one file write interleaved', () => {
    const file = dbFile();
    const a = open(file);
    const b = open(file);
    for (let i = 0; i < 20; i++) {
      (i % 2 === 0 ? a : b).audit('task.stage', String(i), { taskId: String(i), stage: 'agent' });
      (i % 3 === 0 ? b : a).audit('task.claimed', String(i), { taskId: String(i), attempt: 1 });
    }
    const rows = a.listAudit({});
    expect(rows).toHaveLength(40);
    expect(new Set(rows.map((r) => r.prevHash)).size).toBe(40);
    expect(a.verifyAudit()).toMatchObject({ ok: true, rows: 40 });
    expect(b.verifyAudit().headHash).toBe(rows[39]!.hash);
  });

  it('chains rows written before the chain existed, once, in id order', () => {
    const file = dbFile();
    const old = new Database(file);
    for (const [i, m] of MIGRATIONS.slice(0, 3).entries()) {
      old.exec(m);
      old.pragma(`user_version = ${i + 1}`);
    }
    const ins = old.prepare('INSERT INTO audit (ts, name, task_id, payload) VALUES (?, ?, ?, ?)');
    ins.run('2024-01-01T00:00:00.000Z', 'task.claimed', '5', '{"taskId":"5","attempt":1}');
    ins.run('2024-01-01T00:00:01.000Z', 'attempt.started', '5', '{"taskId":"5","model":"llama3:8b"}');
    old.close();

    const store = open(file);
    store.audit('task.failed', '5', { taskId: '5', code: 'AGENT_FAILED' });
    const rows = store.listAudit({});
    expect(rows.map((r) => r.id)).toEqual([1, 2, 3]);
    expect(rows[0]!.prevHash).toBe(AUDIT_GENESIS);
    expect(rows[1]!.model).toBe('llama3:8b');
    expect(rows[2]!.prevHash).toBe(rows[1]!.hash);
    stores.pop()?.close();
    // Opening again changes nothing: the backfill ran once.
    const again = open(file);
    expect(again.listAudit({}).map((r) => r.hash)).toEqual(rows.map((r) => r.hash));
    expect(again.verifyAudit()).toMatchObject({ ok: true, rows: 3 });
  });
});
