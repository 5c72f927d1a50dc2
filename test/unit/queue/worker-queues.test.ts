import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventBus, type TpEvents } from '../../../src/events/index.js';
import { FolderSource } from '../../../src/intake/folder-source.js';
import type { Dispatcher } from '../../../src/pipeline/dispatch.js';
import type { ProcessOutcome } from '../../../src/pipeline/processor.js';
import { Worker } from '../../../src/pipeline/worker.js';
import { type QueueDef, QueueSet } from '../../../src/queue/index.js';
import { SqliteStore } from '../../../src/store/index.js';
import type { Task } from '../../../src/tasks/types.js';
import { tmpDir, writeTask } from '../../helpers/project.js';
import { untilTurn } from '../../helpers/turns.js';

const STATES = ['todo', 'doing', 'review', 'failed', 'completed'] as const;

/** A processor that runs nothing: it counts how many tasks of each queue are in it at once and waits to be released. */
function gatedProcessor(queues: QueueSet) {
  const live = new Map<string, number>();
  const peak = new Map<string, number>();
  const started: string[] = [];
  const release = new Map<string, () => void>();
  const processor: Dispatcher = {
    async prepare() {},
    async run(_file: string, task: Task): Promise<ProcessOutcome> {
      const q = queues.route(task);
      live.set(q, (live.get(q) ?? 0) + 1);
      peak.set(q, Math.max(peak.get(q) ?? 0, live.get(q) ?? 0));
      started.push(task.id);
      await new Promise<void>((r) => release.set(task.id, r));
      live.set(q, (live.get(q) ?? 0) - 1);
      return { status: 'review', prUrl: 'local', prNumber: 1, branch: `task-${task.id}` };
    },
  };
  return { processor, peak, started, release };
}

const opened: Array<{ worker: Worker; store: SqliteStore; release: Map<string, () => void> }> = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const o of opened.splice(0)) {
    const stopping = o.worker.stop();
    // The gated processor ignores the abort signal: let whatever still runs finish.
    for (const r of o.release.values()) r();
    await stopping;
    o.store.close();
  }
});

function build(queues: QueueDef[], slaMinutes = {}, concurrency = 1) {
  const root = tmpDir('tp-queues-');
  const folders = Object.fromEntries(STATES.map((s) => [s, path.join(root, 'backlog', s)])) as Record<
    (typeof STATES)[number],
    string
  >;
  for (const dir of Object.values(folders)) mkdirSync(dir, { recursive: true });
  const source = new FolderSource({ folders, extractRegex: 'task-(\\d+)' });
  const store = new SqliteStore(path.join(root, 'store.db'));
  const events = new EventBus();
  const logLines: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (l: string) => void logLines.push(l) });
  const set = QueueSet.fromConfig({ concurrency, queues, slaMinutes });
  const gated = gatedProcessor(set);
  const worker = new Worker(
    { source, store, queues: set, dispatcher: gated.processor, events, logger },
    { watchDebounceMs: 50, stabilityPollMs: 1, secrets: [] },
  );
  opened.push({ worker, store, release: gated.release });
  return { root, worker, events, logLines, ...gated };
}

const URGENT: QueueDef = { name: 'urgent', concurrency: 2, priorities: ['high'], labels: ['hotfix'] };

describe('worker with named queues', () => {
  it('runs at most each queue’s concurrency at once (urgent 2, default 1)', async () => {
    const w = build([URGENT]);
    for (const id of ['1', '2', '3', '4']) writeTask(w.root, id, { priority: 'high' });
    for (const id of ['5', '6', '7']) writeTask(w.root, id, { priority: 'medium' });
    await w.worker.start({ watch: false });
    await untilTurn(() => w.started.length === 3, 'three tasks to start');
    expect(w.started.slice(0, 2).sort()).toEqual(['1', '2']);
    expect(w.started[2]).toBe('5');
    expect(w.worker.queueStats().map((s) => [s.name, s.concurrency, s.running, s.waiting])).toEqual([
      ['urgent', 2, 2, 2],
      ['default', 1, 1, 2],
    ]);
    // Release one task at a time until all ran; the slots of one queue never serve the other.
    for (let done = 0; done < 7; done++) {
      const id = w.started.find((s) => w.release.has(s));
      if (!id) throw new Error('nothing running');
      const queue = w.worker.queueStats().find((s) => s.name === (Number(id) <= 4 ? 'urgent' : 'default'));
      const expected = w.started.length + (queue?.waiting ? 1 : 0);
      w.release.get(id)?.();
      w.release.delete(id);
      await untilTurn(
        () => w.started.length === expected && !w.worker.processing().includes(id),
        `after ${id}`,
      );
    }
    await w.worker.idle();
    expect(w.started).toHaveLength(7);
    expect(Object.fromEntries(w.peak)).toEqual({ urgent: 2, default: 1 });
  });

  it('holds a task whose dependency sits in another queue until that one completes', async () => {
    const w = build([URGENT]);
    writeTask(w.root, '1', { priority: 'high' });
    writeTask(w.root, '2', { priority: 'medium', dependencies: ['1'] });
    await w.worker.start({ watch: false });
    await untilTurn(() => w.started.length === 1, 'task 1 to start');
    w.release.get('1')?.();
    await w.worker.idle();
    // default had a free slot the whole time; 2 still waited for 1 (in review, not completed).
    expect(w.started).toEqual(['1']);
    expect(w.worker.queueStats().find((s) => s.name === 'default')).toMatchObject({ running: 0, waiting: 1 });
    w.events.emit('task.completed', { taskId: '1', via: 'cli' });
    await untilTurn(() => w.started.length === 2, 'task 2 to start');
    expect(w.started).toEqual(['1', '2']);
    w.release.get('2')?.();
    await w.worker.idle();
  });

  it('raises a task waiting past its SLA one step, once per period, with an event and a log line', async () => {
    const t0 = Date.parse('2025-03-01T12:00:00Z');
    // Fake clock that still moves with real time, so file I/O and polls proceed; jumps are explicit.
    vi.useFakeTimers({ now: t0, shouldAdvanceTime: true, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const w = build([], { low: 10 });
    const breaches: Array<TpEvents['task.sla_breached']> = [];
    w.events.on('task.sla_breached', (e) => breaches.push(e));
    writeTask(w.root, '1', { priority: 'high', extra: 'createdAt: 2025-03-01T11:00:00Z' });
    // 2 waits longer than 3 but at a lower priority: without an SLA 3 would go first.
    writeTask(w.root, '2', { priority: 'low', extra: 'createdAt: 2025-03-01T12:00:00Z' });
    writeTask(w.root, '3', { priority: 'medium', extra: 'createdAt: 2025-03-01T12:05:00Z' });
    await w.worker.start({ watch: false });
    await untilTurn(() => w.started.length === 1, 'task 1 to start');
    expect(breaches).toEqual([]);

    await vi.advanceTimersByTimeAsync(10 * 60_000);
    await untilTurn(() => breaches.length === 1, 'the SLA raise');
    expect(breaches[0]).toMatchObject({
      taskId: '2',
      file: 'task-2 - Task number 2.md',
      from: 'low',
      to: 'medium',
    });
    expect(breaches[0]?.waitedMs).toBeGreaterThan(10 * 60_000);
    const logged = w.logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged).toContainEqual(
      expect.objectContaining({ taskId: '2', queue: 'default', from: 'low', to: 'medium', level: 40 }),
    );
    expect(w.worker.queueStats()[0]).toMatchObject({ name: 'default', waiting: 2, pastSla: 1, raised: 1 });

    // medium has no SLA: waiting on raises nothing more.
    await vi.advanceTimersByTimeAsync(60 * 60_000);
    expect(breaches).toHaveLength(1);

    // Raised to medium and older than 3, task 2 now runs first.
    w.release.get('1')?.();
    await untilTurn(() => w.started.length === 2, 'the next task');
    expect(w.started).toEqual(['1', '2']);
  });

  it('arms the SLA timer only while a task can still be raised, and clears it on stop', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const plain = build([]);
    writeTask(plain.root, '1', { priority: 'high' });
    writeTask(plain.root, '2', { priority: 'low' });
    await plain.worker.start({ watch: false });
    await untilTurn(() => plain.started.length === 1, 'task 1 to start');
    // No SLA configured: a waiting task arms nothing.
    expect(vi.getTimerCount()).toBe(0);
    plain.release.get('1')?.();
    await untilTurn(() => plain.started.length === 2, 'task 2 to start');
    plain.release.get('2')?.();
    await plain.worker.idle();

    const w = build([], { low: 10 });
    writeTask(w.root, '1', { priority: 'high' });
    writeTask(w.root, '2', { priority: 'low' });
    await w.worker.start({ watch: false });
    await untilTurn(() => w.started.length === 1, 'task 1 to start');
    expect(vi.getTimerCount()).toBe(1);
    const stopping = w.worker.stop();
    expect(vi.getTimerCount()).toBe(0);
    w.release.get('1')?.();
    await stopping;
    // Stopped: the settling task schedules nothing and re-arms nothing.
    expect(w.started).toEqual(['1']);
    expect(vi.getTimerCount()).toBe(0);
  });
});
