import { rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../../src/events/index.js';
import { FolderSource } from '../../../src/intake/folder-source.js';
import { attachEventLog } from '../../../src/observability/event-log.js';
import { LogHub } from '../../../src/observability/index.js';
import type { Dispatcher } from '../../../src/pipeline/dispatch.js';
import { Worker } from '../../../src/pipeline/worker.js';
import { QueueSet } from '../../../src/queue/index.js';
import { SqliteStore } from '../../../src/store/index.js';
import { tmpDir, writeTask } from '../../helpers/project.js';

const STATES = ['todo', 'doing', 'review', 'failed', 'completed'] as const;
const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) {
    await c();
  }
});

/** Every part real except the dispatcher, which records claims and never finishes. */
function build() {
  const root = tmpDir('tp-scan-audit-');
  const folders = Object.fromEntries(STATES.map((s) => [s, path.join(root, 'backlog', s)])) as Record<
    (typeof STATES)[number],
    string
  >;
  const source = new FolderSource({ folders, extractRegex: 'task-(\\d+)' });
  const dbFile = path.join(root, 'state.db');
  const store = new SqliteStore(dbFile);
  const events = new EventBus();
  const logs = new LogHub({
    level: 'info',
    // No files: this test is about the audit rows.
    directory: undefined,
    maxSize: '10m',
    maxFiles: 2,
    compress: false,
    format: 'json',
    includeTimestamp: true,
    secrets: [],
  });
  const detach = attachEventLog(events, logs, store);
  const claimed: string[] = [];
  const dispatcher: Dispatcher = {
    async prepare() {},
    run: (_file, task, signal) => {
      claimed.push(task.id);
      const aborted = { status: 'failed', code: 'ABORTED', retryable: true } as const;
      // A claim still under way when stop() aborts sees an aborted signal: no event follows.
      if (signal.aborted) return Promise.resolve(aborted);
      return new Promise((resolve) => signal.addEventListener('abort', () => resolve(aborted)));
    },
  };
  const worker = new Worker(
    {
      source,
      store,
      queues: QueueSet.fromConfig({ concurrency: 1, queues: [] }),
      dispatcher,
      events,
      logger: logs.get('watcher'),
    },
    { watchDebounceMs: 1_000, stabilityPollMs: 50, secrets: [] },
  );
  cleanup.push(
    () => rmSync(root, { recursive: true, force: true }),
    () => store.close(),
    () => logs.close(),
    detach,
    () => worker.stop(),
  );
  return { root, dbFile, source, store, events, worker, claimed };
}

/** The audit rows another process sees (committed ones), as `name:taskId`, in id order. */
function committed(dbFile: string): string[] {
  const db = new Database(dbFile, { readonly: true });
  try {
    const rows = db.prepare('SELECT name, task_id FROM audit ORDER BY id').all() as Array<{
      name: string;
      task_id: string;
    }>;
    return rows.map((r) => `${r.name}:${r.task_id}`);
  } finally {
    db.close();
  }
}

const aged = (file: string) => {
  const old = new Date(Date.now() - 3_600_000);
  utimesSync(file, old, old);
  return file;
};

describe('start-up scan audit rows', () => {
  it('are all committed when start() returns, in the order the events were emitted, on one intact chain', async () => {
    const b = build();
    await b.source.ensureFolders();
    for (let i = 1; i <= 40; i++) aged(writeTask(b.root, String(i)));
    // An invalid file in the middle: its task.invalid row is not deferred.
    writeFileSync(
      path.join(b.root, 'backlog', 'todo', 'task-50 - Broken.md'),
      '---\ntitle: [unclosed\n---\n',
    );
    aged(path.join(b.root, 'backlog', 'todo', 'task-50 - Broken.md'));
    const emitted: string[] = [];
    b.events.onAny((name, p) => emitted.push(`${name}:${(p as { taskId?: string }).taskId}`));

    await b.worker.start({ watch: false });

    const rows = committed(b.dbFile);
    const scanned = emitted.filter((e) => e.startsWith('task.queued') || e.startsWith('task.invalid'));
    expect(scanned.filter((e) => e.startsWith('task.queued'))).toHaveLength(40);
    expect(scanned).toContain('task.invalid:50');
    // The claim made once the scan ended may be audited after it: compare the scan's rows only.
    expect(rows.slice(0, scanned.length)).toEqual(scanned);
    expect(b.store.verifyAudit()).toMatchObject({ ok: true });
  });

  it('after the scan, a new file is audited at once (nothing waits for a batch)', async () => {
    const b = build();
    await b.source.ensureFolders();
    aged(writeTask(b.root, '1'));
    await b.worker.start({ watch: false });
    const file = aged(writeTask(b.root, '2'));
    await b.worker.inspect(file);
    expect(committed(b.dbFile)).toContain('task.queued:2');
  });
});
