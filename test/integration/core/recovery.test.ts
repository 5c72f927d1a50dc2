import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../../src/events/index.js';
import { FolderSource } from '../../../src/intake/folder-source.js';
import { planRetries, scheduleRecovery } from '../../../src/pipeline/recovery.js';
import { SqliteStore } from '../../../src/store/index.js';
import { folderContents, tmpDir, writeTask } from '../../helpers/project.js';

function failed(root: string, id: string, report: Record<string, unknown>): void {
  writeTask(root, id, { title: `Failed ${id}` }, 'failed');
  writeFileSync(
    path.join(root, 'backlog/failed', `task-${id} - Failed ${id}.error.json`),
    JSON.stringify({
      taskId: id,
      code: 'NETWORK',
      errorType: 'transient',
      retryable: true,
      retryCount: 0,
      ...report,
    }),
  );
}

describe('failed-task recovery', () => {
  it('requeues only retryable, old enough failures under the retry cap, on its schedule', async () => {
    const root = tmpDir();
    for (const f of ['todo', 'doing', 'review', 'failed', 'completed'])
      mkdirSync(path.join(root, 'backlog', f), { recursive: true });
    const folders = {
      todo: path.join(root, 'backlog/todo'),
      doing: path.join(root, 'backlog/doing'),
      review: path.join(root, 'backlog/review'),
      failed: path.join(root, 'backlog/failed'),
      completed: path.join(root, 'backlog/completed'),
    };
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    failed(root, '1', { timestamp: hourAgo });
    failed(root, '2', {
      timestamp: hourAgo,
      code: 'MODEL_NOT_FOUND',
      errorType: 'permanent',
      retryable: false,
    });
    failed(root, '3', { timestamp: hourAgo, retryCount: 3 });
    failed(root, '4', { timestamp: new Date().toISOString() });
    const deps = {
      source: new FolderSource({ folders, extractRegex: 'task-(\\d+)' }),
      store: new SqliteStore(':memory:'),
      events: new EventBus(),
      maxRetries: 3,
    };
    const plan = await planRetries(deps, { minAgeMs: 600_000 });
    expect(Object.fromEntries(plan.map((d) => [d.taskId, `${d.action}: ${d.reason}`]))).toEqual({
      '1': 'requeue: retryable failure',
      '2': 'skip: MODEL_NOT_FOUND is permanent (use --all or --task-id)',
      '3': 'skip: retried 3 times (recovery.maxRetries)',
      '4': 'skip: failed too recently',
    });
    const requeued = await new Promise<number>((resolve) => {
      const stop = scheduleRecovery(deps, {
        intervalMs: 60_000,
        retryAfterMs: 600_000,
        onRequeued: (n) => {
          stop();
          resolve(n);
        },
      });
    });
    expect(requeued).toBe(1);
    expect(folderContents(root).todo).toEqual(['task-1 - Failed 1.md']);
    expect(folderContents(root).failed).toEqual([
      'task-2 - Failed 2.md',
      'task-3 - Failed 3.md',
      'task-4 - Failed 4.md',
    ]);
    expect(deps.store.getRun('1')?.retryCount).toBe(1);
    deps.store.close();
  });
});
