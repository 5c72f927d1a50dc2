import { describe, expect, it } from 'vitest';
import { queueDefs, routeTask } from '../../../src/queue/index.js';

describe('queue routing', () => {
  const defs = queueDefs({
    concurrency: 3,
    queues: [
      { name: 'urgent', concurrency: 2, priorities: ['high', 'critical'], labels: [] },
      { name: 'docs', concurrency: 1, priorities: [], labels: ['docs', 'typo'] },
      { name: 'slow', concurrency: 1, priorities: ['low'], labels: ['Refactor'] },
    ],
  });

  it('adds `default` last with processing.concurrency when it is not declared', () => {
    expect(defs.map((d) => [d.name, d.concurrency])).toEqual([
      ['urgent', 2],
      ['docs', 1],
      ['slow', 1],
      ['default', 3],
    ]);
  });

  it('keeps a declared `default` (its concurrency, its place) and adds no second one', () => {
    const own = queueDefs({
      concurrency: 5,
      queues: [
        { name: 'default', concurrency: 2, priorities: [], labels: [] },
        { name: 'urgent', concurrency: 1, priorities: ['high'], labels: [] },
      ],
    });
    expect(own.map((d) => [d.name, d.concurrency])).toEqual([
      ['default', 2],
      ['urgent', 1],
    ]);
    expect(routeTask(own, { priority: 'high', labels: [] })).toBe('urgent');
  });

  it('is one `default` queue when no queues are configured', () => {
    const one = queueDefs({ concurrency: 4, queues: [] });
    expect(one).toEqual([{ name: 'default', concurrency: 4, priorities: [], labels: [] }]);
    expect(routeTask(one, { priority: 'high', labels: ['docs'] })).toBe('default');
  });

  it('routes by label before priority, first matching queue wins', () => {
    // A high-priority docs task: the label match (docs) beats the priority match (urgent).
    expect(routeTask(defs, { priority: 'high', labels: ['docs'] })).toBe('docs');
    expect(routeTask(defs, { priority: 'medium', labels: ['refactor', 'typo'] })).toBe('docs');
    expect(routeTask(defs, { priority: 'medium', labels: ['REFACTOR'] })).toBe('slow');
  });

  it('routes by priority when no label matches, else to default', () => {
    expect(routeTask(defs, { priority: 'high', labels: ['bug'] })).toBe('urgent');
    expect(routeTask(defs, { priority: 'low', labels: [] })).toBe('slow');
    expect(routeTask(defs, { priority: 'medium', labels: ['bug'] })).toBe('default');
  });
});
