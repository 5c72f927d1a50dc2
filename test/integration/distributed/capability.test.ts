import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobIdFor, queueNameFor } from '../../../src/queue/bullmq/contracts.js';
import {
  clusterHarness,
  folders,
  makeClusterProject,
  pullRequests,
  waitForFolder,
} from '../../helpers/distributed.js';
import { gitOut, writeTask } from '../../helpers/project.js';
import { redisSuiteMode, startRedis, type TestRedis } from '../../helpers/redis.js';
import { waitFor } from '../../helpers/serve.js';

const mode = redisSuiteMode();

describe.skipIf(mode.skip)('routing by the models a worker serves', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  const cluster = clusterHarness();

  it('a worker without the model never takes the job; a worker with it does', async () => {
    // No fallback models: a task's chain is its own model only.
    const p = await makeClusterProject(redis, {
      ollama: { defaultModel: 'a', availableModels: [], fallbackModels: [] },
    });
    await cluster.coordinator(p);
    await cluster.worker(p, { name: 'A', models: ['a'], concurrency: 2 });
    const view = cluster.redis(p);

    writeTask(p.root, '1', { title: 'Needs b', model: 'b' });
    const queueB = queueNameFor('b');
    const jobB = jobIdFor('1', 1);
    await waitFor(async () => (await view.jobState(queueB, jobB)) !== undefined, "task 1's job in b's queue");

    // A is alive and takes work: a task for model a, written after, goes through A to review.
    writeTask(p.root, '2', { title: 'Needs a', model: 'a' });
    await waitForFolder(p.root, 1, 'review', 60_000);
    expect(folders(p.root).review).toEqual(['task-2 - Needs a.md']);
    expect(['waiting', 'prioritized']).toContain(await view.jobState(queueB, jobB));
    expect(folders(p.root).doing).toEqual(['task-1 - Needs b.md']);
    // Nobody ever started b's job.
    expect((await view.events()).filter((e) => e.jobId === jobB && e.event === 'active')).toEqual([]);

    await cluster.worker(p, { name: 'B', models: ['b'], concurrency: 1 });
    await waitForFolder(p.root, 2, 'review', 60_000);
    const done = await view.completions();
    expect(done.map((c) => [c.taskId, c.worker]).sort()).toEqual([
      ['1', 'B'],
      ['2', 'A'],
    ]);
    // The command agent ran with the job's model.
    expect(gitOut(['show', 'task-1:file-1.txt'], p.remote)).toBe('change for 1 by b');
    expect(gitOut(['show', 'task-2:file-2.txt'], p.remote)).toBe('change for 2 by a');
    expect(pullRequests(p.root).map((pr) => pr.head)).toEqual(expect.arrayContaining(['task-1', 'task-2']));
  }, 150_000);
});
