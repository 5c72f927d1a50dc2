import { readdirSync, readFileSync, utimesSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../../src/events/index.js';
import { FolderSource } from '../../../src/intake/folder-source.js';
import type { Dispatcher } from '../../../src/pipeline/dispatch.js';
import { Worker } from '../../../src/pipeline/worker.js';
import { QueueSet } from '../../../src/queue/index.js';
import { SqliteStore } from '../../../src/store/index.js';
import { tmpDir, writeTask } from '../../helpers/project.js';

const STATES = ['todo', 'doing', 'review', 'failed', 'completed'] as const;

const opened: Array<{ worker: Worker; store: SqliteStore }> = [];
afterEach(async () => {
  for (const o of opened.splice(0)) {
    await o.worker.stop();
    o.store.close();
  }
});

/** Start-up scan over files already on disk, with a dispatcher that records claims and never finishes. */
function build(concurrency: number) {
  const root = tmpDir('tp-scan-');
  const folders = Object.fromEntries(STATES.map((s) => [s, path.join(root, 'backlog', s)])) as Record<
    (typeof STATES)[number],
    string
  >;
  const source = new FolderSource({ folders, extractRegex: 'task-(\\d+)' });
  const store = new SqliteStore(path.join(root, 'state.db'));
  const events = new EventBus();
  const queues = QueueSet.fromConfig({ concurrency, queues: [] });
  const claimed: string[] = [];
  const dispatcher: Dispatcher = {
    async prepare() {},
    run: (_file, task, signal) => {
      claimed.push(task.id);
      return new Promise((resolve) =>
        signal.addEventListener('abort', () =>
          resolve({ status: 'failed', code: 'ABORTED', retryable: true }),
        ),
      );
    },
  };
  const worker = new Worker(
    { source, store, queues, dispatcher, events, logger: pino({ level: 'silent' }) },
    { watchDebounceMs: 1_000, stabilityPollMs: 50, secrets: [] },
  );
  opened.push({ worker, store });
  return { root, folders, source, store, events, queues, claimed, worker };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (cond()) return;
    await new Promise<void>((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const names = (dir: string) =>
  readdirSync(dir)
    .filter((n) => n.endsWith('.md'))
    .sort();
const age = (file: string) => {
  const old = new Date(Date.now() - 3_600_000);
  utimesSync(file, old, old);
  return file;
};

describe('start-up scan (one folder index, one dependency pass)', () => {
  it('refuses duplicates against every folder, holds dependants, and starts by priority once the scan ends', async () => {
    const b = build(2);
    await b.source.ensureFolders();
    for (let i = 1; i <= 60; i++) age(writeTask(b.root, String(i), { priority: i === 37 ? 'high' : 'low' }));
    // Duplicates: of a task in review/, of one in completed/, and of one in todo/ itself.
    age(writeTask(b.root, '100', { title: 'Reviewed' }, 'review'));
    age(writeTask(b.root, '100', { title: 'Copy of reviewed' }));
    age(writeTask(b.root, '101', { title: 'Done' }, 'completed'));
    age(writeTask(b.root, '101', { title: 'Copy of done' }));
    age(writeTask(b.root, '5', { title: 'Second five' }));
    // Dependencies: on a completed task (runs), on a task in review (waits), on a missing one (waits).
    age(writeTask(b.root, '102', { title: 'Done too' }, 'completed'));
    age(writeTask(b.root, '200', { priority: 'high', dependencies: ['task-102'] }));
    age(writeTask(b.root, '201', { priority: 'high', dependencies: ['task-100'] }));
    age(writeTask(b.root, '202', { priority: 'high', dependencies: ['task-999'] }));
    const queued: string[] = [];
    b.events.on('task.queued', (e) => queued.push(e.taskId));

    await b.worker.start({ watch: false });

    // Both files of id 5 are refused (neither may take the other's branch), as before the index.
    expect(names(b.folders.failed)).toEqual([
      'task-100 - Copy of reviewed.md',
      'task-101 - Copy of done.md',
      'task-5 - Second five.md',
      'task-5 - Task number 5.md',
    ]);
    for (const f of names(b.folders.failed)) {
      const report = JSON.parse(
        readFileSync(path.join(b.folders.failed, f.replace(/\.md$/, '.error.json')), 'utf8'),
      ) as { code: string };
      expect(report.code).toBe('TASK_DUPLICATE_ID');
    }
    expect(names(b.folders.review)).toEqual(['task-100 - Reviewed.md']);
    await until(() => b.claimed.length === 2, 'two claims');
    // Concurrency 2: the high-priority runnable tasks first (37, and 200 whose dependency is completed).
    expect([...b.claimed].sort()).toEqual(['200', '37']);
    expect(names(b.folders.doing).length).toBe(2);
    expect(b.queues.size).toBe(60);
    expect(
      b.queues
        .blocked(() => 'pending')
        .map((x) => x.item.taskId)
        .sort(),
    ).toEqual(['201', '202']);
    expect(new Set(queued).size).toBe(queued.length);
    expect(queued).toHaveLength(62);
  });

  it('after the scan the index is gone: a new duplicate in todo/ is judged against the folders as they are', async () => {
    const b = build(1);
    await b.source.ensureFolders();
    age(writeTask(b.root, '1'));
    await b.worker.start({ watch: false });
    await until(() => b.claimed.length === 1, 'the claim');
    expect(b.claimed).toEqual(['1']);
    const copy = writeTask(b.root, '1', { title: 'Late copy' });
    await b.worker.inspect(copy);
    expect(names(b.folders.failed)).toEqual(['task-1 - Late copy.md']);
    expect(await b.source.find('1')).toMatchObject({ state: 'doing' });
  });
});
