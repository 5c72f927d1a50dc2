import { describe, expect, it } from 'vitest';
import { admissionFor } from '../../../src/queue/bullmq/index.js';
import { type DependencyState, type QueueItem, QueueSet } from '../../../src/queue/index.js';

const T0 = Date.UTC(2025, 0, 1);
const allDone = (): DependencyState => 'done';

function item(taskId: string, repoKey: string, over: Partial<QueueItem> = {}): QueueItem {
  return {
    taskId,
    file: `task-${taskId}.md`,
    priority: 'medium',
    enqueuedAt: T0 + Number(taskId),
    dependencies: [],
    repoKey,
    ...over,
  };
}

function drain(q: QueueSet): string[] {
  const out: string[] = [];
  for (let t = q.take(allDone); t; t = q.take(allDone)) out.push(t.taskId);
  return out;
}

describe('coordinator admission (queue.backend bullmq)', () => {
  const bullmq = (perRepository: number, concurrency = 1, queues: QueueSet['defs'] = []) =>
    QueueSet.fromConfig(
      { concurrency, queues },
      admissionFor({ queue: { backend: 'bullmq', perRepository } as never }),
    );

  it('admits at most perRepository unfinished tasks per repository; other repositories pass a held one', () => {
    const q = bullmq(1);
    q.add(item('1', 'a', { priority: 'high' }));
    q.add(item('2', 'a', { priority: 'high' }));
    q.add(item('3', 'a', { priority: 'low' }));
    q.add(item('4', 'b', { priority: 'low' }));
    expect(drain(q)).toEqual(['1', '4']);
    expect(q.runningFor('a')).toBe(1);
    // The slot of repository a frees: its next task by priority (2, not the low 3) is admitted.
    q.finished('1');
    expect(drain(q)).toEqual(['2']);
    q.finished('2');
    expect(drain(q)).toEqual(['3']);
  });

  it('counts a task resumed at start-up against its repository', () => {
    const q = bullmq(2);
    q.started({ taskId: '9', priority: 'medium', repoKey: 'a' });
    for (const id of ['1', '2']) q.add(item(id, 'a'));
    expect(drain(q)).toEqual(['1']);
    q.finished('9');
    expect(drain(q)).toEqual(['2']);
  });

  it('the implicit default lane is not capped by processing.concurrency under bullmq; a declared lane keeps its cap', () => {
    const q = bullmq(0, 1, [{ name: 'urgent', concurrency: 1, priorities: ['high'], labels: [] }]);
    for (const id of ['1', '2', '3']) q.add(item(id, 'a'));
    for (const id of ['4', '5']) q.add(item(id, 'a', { priority: 'high' }));
    expect(drain(q).sort()).toEqual(['1', '2', '3', '4']);
  });

  it('the memory backend keeps processing.concurrency on the default lane and no repository limit', () => {
    const q = QueueSet.fromConfig(
      { concurrency: 2, queues: [] },
      admissionFor({ queue: { backend: 'memory', perRepository: 1 } as never }),
    );
    for (const id of ['1', '2', '3']) q.add(item(id, 'a'));
    expect(drain(q)).toEqual(['1', '2']);
  });
});
