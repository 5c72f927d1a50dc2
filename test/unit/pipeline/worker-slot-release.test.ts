import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../../src/events/index.js';
import { FolderSource } from '../../../src/intake/folder-source.js';
import type { Dispatcher } from '../../../src/pipeline/dispatch.js';
import type { ProcessOutcome } from '../../../src/pipeline/processor.js';
import { Worker } from '../../../src/pipeline/worker.js';
import { QueueSet } from '../../../src/queue/index.js';
import { SqliteStore } from '../../../src/store/index.js';
import { tmpDir, writeTask } from '../../helpers/project.js';
import { untilTurn } from '../../helpers/turns.js';

const STATES = ['todo', 'doing', 'review', 'failed', 'completed'] as const;

interface Call {
  id: string;
  at: number;
  freshSince: number | undefined;
  releaseSlot: (() => void) | undefined;
  finish: () => void;
}

const opened: Array<{ worker: Worker; store: SqliteStore; calls: Call[] }> = [];
afterEach(async () => {
  for (const o of opened.splice(0)) {
    const stopping = o.worker.stop();
    for (const c of o.calls) c.finish();
    await stopping;
    o.store.close();
  }
});

function build() {
  const root = tmpDir('tp-slot-');
  const folders = Object.fromEntries(STATES.map((s) => [s, path.join(root, 'backlog', s)])) as Record<
    (typeof STATES)[number],
    string
  >;
  for (const dir of Object.values(folders)) mkdirSync(dir, { recursive: true });
  const source = new FolderSource({ folders, extractRegex: 'task-(\\d+)' });
  const store = new SqliteStore(path.join(root, 'store.db'));
  const events = new EventBus();
  const calls: Call[] = [];
  const warms = { n: 0 };
  const dispatcher: Dispatcher = {
    async prepare() {},
    warm() {
      warms.n++;
    },
    run(_file, task, _signal, opts): Promise<ProcessOutcome> {
      return new Promise((resolve) =>
        calls.push({
          id: task.id,
          at: Date.now(),
          freshSince: opts.freshSince,
          releaseSlot: opts.releaseSlot,
          finish: () => resolve({ status: 'review', prUrl: 'local', prNumber: 1, branch: `task-${task.id}` }),
        }),
      );
    },
  };
  const worker = new Worker(
    {
      source,
      store,
      queues: QueueSet.fromConfig({ concurrency: 1, queues: [], slaMinutes: {} }),
      dispatcher,
      events,
      logger: pino({ level: 'silent' }),
    },
    { watchDebounceMs: 50, stabilityPollMs: 1, secrets: [] },
  );
  opened.push({ worker, store, calls });
  return { root, worker, calls, events, warms };
}

describe('Worker: the slot of a task that only publishes', () => {
  it('starts the next task once the running one releases its slot, before it settles', async () => {
    const w = build();
    writeTask(w.root, '1');
    writeTask(w.root, '2');
    await w.worker.start({ watch: false });
    await untilTurn(() => w.calls.length === 1, 'task 1 to start');
    // Concurrency 1: task 2 waits while task 1 holds the slot.
    await new Promise((r) => setTimeout(r, 30));
    expect(w.calls.map((c) => c.id)).toEqual(['1']);
    w.calls[0]!.releaseSlot?.();
    await untilTurn(() => w.calls.length === 2, 'task 2 to start');
    expect(w.worker.processing().sort()).toEqual(['1', '2']);
    // Releasing twice, or settling after the release, frees nothing more.
    w.calls[0]!.releaseSlot?.();
    w.calls[0]!.finish();
    await untilTurn(() => !w.worker.processing().includes('1'), 'task 1 to settle');
    expect(w.worker.queueStats()[0]).toMatchObject({ running: 1 });
    w.calls[1]!.finish();
    await w.worker.idle();
  });

  it('a task is based on a fetch no older than its admission; one its dependency held, on one after its release', async () => {
    const w = build();
    const before = Date.now();
    writeTask(w.root, '1');
    writeTask(w.root, '2', { dependencies: ['1'] });
    await w.worker.start({ watch: false });
    await untilTurn(() => w.calls.length === 1, 'task 1 to start');
    const first = w.calls[0]!;
    expect(first.freshSince).toBeGreaterThanOrEqual(before);
    expect(first.freshSince).toBeLessThanOrEqual(first.at);
    first.finish();
    await untilTurn(() => !w.worker.processing().includes('1'), 'task 1 to settle');
    await new Promise((r) => setTimeout(r, 20));
    const released = Date.now();
    w.events.emit('task.completed', { taskId: '1', via: 'cli' });
    await untilTurn(() => w.calls.length === 2, 'task 2 to start');
    expect(w.calls[1]!.freshSince).toBeGreaterThanOrEqual(released);
    w.calls[1]!.finish();
    await w.worker.idle();
  });

  it('asks the dispatcher to warm up when a task file appears, not during the start-up scan', async () => {
    const w = build();
    writeTask(w.root, '1');
    await w.worker.start({ watch: false });
    await untilTurn(() => w.calls.length === 1, 'task 1 to start');
    expect(w.warms.n).toBe(0);
    writeTask(w.root, '2');
    await w.worker.inspect(path.join(w.root, 'backlog', 'todo', 'task-2 - Task number 2.md'));
    expect(w.warms.n).toBe(1);
    w.calls[0]!.finish();
    await untilTurn(() => w.calls.length === 2, 'task 2 to start');
    w.calls[1]!.finish();
    await w.worker.idle();
  });
});
