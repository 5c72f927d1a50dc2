import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobIdFor } from '../../../src/queue/bullmq/contracts.js';
import {
  type AuditRow,
  auditRows,
  clusterHarness,
  folders,
  makeClusterProject,
  pullRequests,
  waitForFolder,
} from '../../helpers/distributed.js';
import { gitOut, writeTask } from '../../helpers/project.js';
import { redisSuiteMode, startRedis, type TestRedis } from '../../helpers/redis.js';

const mode = redisSuiteMode();

/** The one audit row of `name` for `taskId`. */
function row(rows: AuditRow[], name: string, taskId: string): AuditRow {
  const found = rows.filter((r) => r.name === name && r.task_id === taskId);
  expect(found, `${name} of task ${taskId}`).toHaveLength(1);
  return found[0]!;
}

describe.skipIf(mode.skip)('a dependency chain across workers', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  const cluster = clusterHarness();

  it('runs 1 ← 2 ← 3 in order, each enqueued only after its dependency completed, on alternating workers', async () => {
    // A passing check lets each PR auto-merge, so the coordinator completes the task itself and
    // releases its dependant: the whole chain runs with no hand in it.
    const p = await makeClusterProject(redis, {
      ollama: { defaultModel: 'a', availableModels: [], fallbackModels: [] },
      verify: { commands: ['true'] },
      webhook: { enabled: false, autoMergePR: true },
    });
    await cluster.coordinator(p);
    // Models force the chain to cross workers: a on A, b on B.
    await cluster.worker(p, { name: 'A', models: ['a'], concurrency: 2 });
    await cluster.worker(p, { name: 'B', models: ['b'], concurrency: 2 });
    writeTask(p.root, '3', { title: 'Third', model: 'a', dependencies: ['task-2'] });
    writeTask(p.root, '2', { title: 'Second', model: 'b', dependencies: ['task-1'] });
    writeTask(p.root, '1', { title: 'First', model: 'a' });

    await waitForFolder(p.root, 3, 'completed', 120_000);
    const f = folders(p.root);
    expect(f.completed).toEqual(['task-1 - First.md', 'task-2 - Second.md', 'task-3 - Third.md']);
    expect([...f.todo, ...f.doing, ...f.review, ...f.failed]).toEqual([]);
    expect(pullRequests(p.root).map((pr) => [pr.head, pr.state])).toEqual([
      ['task-1', 'merged'],
      ['task-2', 'merged'],
      ['task-3', 'merged'],
    ]);

    // Order, from the coordinator's audit chain (row ids only grow): each dependant was claimed
    // after its dependency completed, never before.
    const rows = auditRows(p.root);
    expect(row(rows, 'task.claimed', '2').id).toBeGreaterThan(row(rows, 'task.completed', '1').id);
    expect(row(rows, 'task.claimed', '3').id).toBeGreaterThan(row(rows, 'task.completed', '2').id);

    // And from Redis: the dependant's job was added after its dependency's job finished.
    const view = cluster.redis(p);
    const events = await view.events();
    const at = (event: string, taskId: string) => {
      const e = events.find((x) => x.event === event && x.jobId === jobIdFor(taskId, 1));
      expect(e, `${event} of task ${taskId}'s job`).toBeDefined();
      return e!.at;
    };
    expect(at('added', '2')).toBeGreaterThanOrEqual(at('completed', '1'));
    expect(at('added', '3')).toBeGreaterThanOrEqual(at('completed', '2'));
    const done = await view.completions();
    expect(done.map((c) => [c.taskId, c.worker])).toEqual([
      ['1', 'A'],
      ['2', 'B'],
      ['3', 'A'],
    ]);

    // Each run started from main with its dependency merged in.
    expect(gitOut(['show', 'task-2:file-1.txt'], p.remote)).toBe('change for 1 by a');
    expect(gitOut(['show', 'task-3:file-2.txt'], p.remote)).toBe('change for 2 by b');
  }, 180_000);
});
