import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../src/store/index.js';

describe('store: review comments, response cache, model outcomes', () => {
  it('keeps review comments per pull request, in order', () => {
    const store = new SqliteStore(':memory:');
    store.addReviewComments(1, [
      { path: 'a.ts', line: 3, body: 'first' },
      { path: 'b.ts', line: undefined, body: 'file-level' },
    ]);
    store.addReviewComments(2, [{ path: 'c.ts', line: 1, body: 'other PR' }]);
    expect(store.listReviewComments(1)).toEqual([
      { path: 'a.ts', line: 3, body: 'first' },
      { path: 'b.ts', line: undefined, body: 'file-level' },
    ]);
    expect(store.listReviewComments(3)).toEqual([]);
    store.close();
  });

  it('expires cached values and drops the oldest beyond the cap', () => {
    const store = new SqliteStore(':memory:');
    store.cachePut('k1', 'v1', { ttlMs: 1000, maxEntries: 2, now: 0 });
    expect(store.cacheGet('k1', 999)).toBe('v1');
    expect(store.cacheGet('k1', 1000)).toBeUndefined();
    store.cachePut('a', '1', { ttlMs: 10_000, maxEntries: 2, now: 1 });
    store.cachePut('b', '2', { ttlMs: 10_000, maxEntries: 2, now: 2 });
    store.cachePut('c', '3', { ttlMs: 10_000, maxEntries: 2, now: 3 });
    expect(store.cacheGet('a', 4)).toBeUndefined();
    expect(store.cacheGet('b', 4)).toBe('2');
    expect(store.cacheGet('c', 4)).toBe('3');
    store.close();
  });

  it('sums model outcomes per model and kind since a time', () => {
    const store = new SqliteStore(':memory:');
    const base = { taskId: 't', kind: 'label:bug' };
    store.recordModelOutcome({ ...base, model: 'm1', ok: true, durationMs: 30, recordedAt: 100 });
    store.recordModelOutcome({ ...base, model: 'm1', ok: true, durationMs: 10, recordedAt: 100 });
    store.recordModelOutcome({ ...base, model: 'm1', ok: false, durationMs: 5, recordedAt: 100 });
    store.recordModelOutcome({ ...base, model: 'm2', ok: true, durationMs: 7, recordedAt: 10 });
    const stats = store.modelOutcomeStats(50);
    expect(stats).toEqual([
      { model: 'm1', kind: 'label:bug', successes: 2, failures: 1, durationsMs: [10, 30] },
    ]);
    store.close();
  });
});

describe('store: a pull request number in several repositories', () => {
  it('finds the run of the repository the event names (per-task repositories all start at #1)', () => {
    const store = new SqliteStore(':memory:');
    const run = (taskId: string, url: string) =>
      store.upsertRun({
        taskId,
        file: `task-${taskId}.md`,
        format: 'folders',
        state: 'review',
        prNumber: 1,
        prUrl: url,
      });
    run('5', 'http://gitea.test/org/task-5/pulls/1');
    run('6', 'http://gitea.test/org/task-6/pulls/1');
    expect(store.findRunByPullRequest(1, 'org/task-5')?.taskId).toBe('5');
    expect(store.findRunByPullRequest(1, 'ORG/Task-6')?.taskId).toBe('6');
    expect(store.findRunByPullRequest(1, 'org/task-7')).toBeUndefined();
    expect(store.findRunByPullRequest(1)?.taskId).toBe('6');
    store.close();
  });
});
