import { describe, expect, it } from 'vitest';
import { type DependencyState, type QueueItem, QueueSet } from '../../../src/queue/index.js';

const MIN = 60_000;
const T0 = Date.UTC(2025, 0, 1);

function item(taskId: string, over: Partial<QueueItem> = {}): QueueItem {
  return { taskId, file: `task-${taskId}.md`, priority: 'medium', enqueuedAt: T0, dependencies: [], ...over };
}

const allDone = (): DependencyState => 'done';

function set(slaMinutes = {}): QueueSet {
  return QueueSet.fromConfig({
    concurrency: 1,
    queues: [{ name: 'urgent', concurrency: 2, priorities: ['high'], labels: ['hotfix'] }],
    slaMinutes,
  });
}

describe('QueueSet', () => {
  it('gives each queue its own slots: urgent 2 and default 1 at most', () => {
    const q = set();
    for (const id of ['1', '2', '3']) q.add(item(id, { priority: 'high' }));
    for (const id of ['4', '5']) q.add(item(id));
    const taken: string[] = [];
    for (let t = q.take(allDone); t; t = q.take(allDone)) taken.push(`${t.queue}:${t.taskId}`);
    expect(taken).toEqual(['urgent:1', 'urgent:2', 'default:4']);
    expect(q.stats(T0).map((s) => [s.name, s.running, s.waiting])).toEqual([
      ['urgent', 2, 1],
      ['default', 1, 1],
    ]);
    q.finished('1');
    expect(q.take(allDone)?.taskId).toBe('3');
    expect(q.take(allDone)).toBeUndefined();
    q.finished('4');
    expect(q.take(allDone)?.taskId).toBe('5');
  });

  it('keeps priority then age inside a queue', () => {
    const q = set();
    q.add(item('1', { priority: 'low', enqueuedAt: T0 }));
    q.add(item('2', { priority: 'medium', enqueuedAt: T0 + 2 }));
    q.add(item('3', { priority: 'medium', enqueuedAt: T0 + 1 }));
    const order: string[] = [];
    for (;;) {
      const t = q.take(allDone);
      if (!t) break;
      order.push(t.taskId);
      q.finished(t.taskId);
    }
    expect(order).toEqual(['3', '2', '1']);
  });

  it('honours a dependency that sits in another queue', () => {
    const q = set();
    const states = new Map<string, DependencyState>();
    const dep = (id: string) => states.get(id) ?? 'pending';
    q.add(item('1', { labels: ['hotfix'] }));
    q.add(item('2', { dependencies: ['1'] }));
    expect(q.take(dep)?.queue).toBe('urgent');
    // 2 has a free slot in default but its dependency (in urgent) is not done.
    expect(q.take(dep)).toBeUndefined();
    expect(q.blocked(dep).map((b) => [b.item.taskId, b.waitingFor])).toEqual([['2', ['1']]]);
    q.finished('1');
    states.set('1', 'done');
    expect(q.take(dep)).toMatchObject({ taskId: '2', queue: 'default' });
  });

  it('counts a resumed task in its queue, even past the concurrency', () => {
    const q = set();
    expect(q.started({ taskId: '9', priority: 'medium', labels: [] })).toBe('default');
    q.add(item('1'));
    expect(q.take(allDone)).toBeUndefined();
    q.finished('9');
    expect(q.take(allDone)?.taskId).toBe('1');
  });

  it('raises a task one step per SLA period in its queue, and reports it', () => {
    const q = set({ low: 10, medium: 5 });
    q.add(item('old', { priority: 'low', enqueuedAt: T0 }));
    q.add(item('new', { priority: 'medium', enqueuedAt: T0 + 9 * MIN }));
    expect(q.checkSla(T0 + 10 * MIN)).toEqual([]);
    expect(q.nextSlaCheckIn(T0 + 10 * MIN)).toBe(1);
    const first = q.checkSla(T0 + 11 * MIN);
    expect(first).toEqual([
      { taskId: 'old', file: 'task-old.md', queue: 'default', from: 'low', to: 'medium', waitedMs: 11 * MIN },
    ]);
    // Raised once: checking again in the same period raises nothing more.
    expect(q.checkSla(T0 + 12 * MIN)).toEqual([]);
    // old is medium now and older than new: it comes first.
    const stats = q.stats(T0 + 12 * MIN)[1];
    expect(stats).toMatchObject({
      name: 'default',
      waiting: 2,
      pastSla: 1,
      raised: 1,
      oldestWaitMs: 12 * MIN,
    });
    expect(q.checkSla(T0 + 16 * MIN).map((b) => [b.taskId, b.from, b.to])).toEqual([
      ['old', 'medium', 'high'],
      ['new', 'medium', 'high'],
    ]);
    expect(q.take(allDone)?.taskId).toBe('old');
    expect(q.stats(T0 + 16 * MIN)[1]).toMatchObject({ raised: 3, waiting: 1, running: 1 });
  });

  it('raises nothing and schedules no check without SLAs', () => {
    const q = set();
    q.add(item('1', { priority: 'low' }));
    expect(q.checkSla(T0 + 10_000 * MIN)).toEqual([]);
    expect(q.nextSlaCheckIn(T0)).toBeUndefined();
  });
});
