import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../../src/store/schema.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function dbFile(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tp-store-'));
  dirs.push(dir);
  return path.join(dir, 'state.db');
}

describe('SqliteStore migrations', () => {
  it('opens a database written by the first schema, keeping its rows', () => {
    const file = dbFile();
    const old = new Database(file);
    old.exec(MIGRATIONS[0]!);
    old.pragma('user_version = 1');
    old
      .prepare(
        `INSERT INTO runs (task_id, file, format, state, pr_number, created_at, updated_at)
         VALUES ('3', 'task-3.md', 'folders', 'review', 12, '2024-01-01', '2024-01-01')`,
      )
      .run();
    old.prepare("INSERT INTO deliveries (id, received_at) VALUES ('gitea:abc', '2024-01-01')").run();
    old.close();

    const store = new SqliteStore(file);
    try {
      expect(store.getRun('3')).toMatchObject({ state: 'review', prNumber: 12 });
      expect(store.findRunByPullRequest(12)?.taskId).toBe('3');
      expect(store.markDelivery('gitea:abc')).toBe(false);
      expect(store.markNotice('reply:12:mallory')).toBe(true);
    } finally {
      store.close();
    }
    const reopened = new Database(file, { readonly: true });
    expect(reopened.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    reopened.close();
  });
});

describe('SqliteStore lookups', () => {
  it('finds the run that recorded a pull request, the latest when two did', async () => {
    const store = new SqliteStore(':memory:');
    try {
      store.upsertRun({ taskId: '1', file: 'task-1.md', state: 'review', prNumber: 5 });
      store.upsertRun({ taskId: '2', file: 'task-2.md', state: 'review' });
      expect(store.findRunByPullRequest(5)?.taskId).toBe('1');
      expect(store.findRunByPullRequest(6)).toBeUndefined();
      await new Promise((r) => setTimeout(r, 5));
      store.upsertRun({ taskId: '2', prNumber: 5 });
      expect(store.findRunByPullRequest(5)?.taskId).toBe('2');
    } finally {
      store.close();
    }
  });

  it('records a notice once, across reopening', () => {
    const file = dbFile();
    const a = new SqliteStore(file);
    expect(a.markNotice('k')).toBe(true);
    expect(a.markNotice('k')).toBe(false);
    a.close();
    const b = new SqliteStore(file);
    expect(b.markNotice('k')).toBe(false);
    expect(b.markNotice('other')).toBe(true);
    b.close();
  });
});
