import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appliedJobs,
  auditRows,
  clusterHarness,
  commitsAboveMain,
  folders,
  makeClusterProject,
  pullRequests,
  waitForFolder,
} from '../../helpers/distributed.js';
import { gitOut, writeTask } from '../../helpers/project.js';
import { redisSuiteMode, startRedis, type TestRedis } from '../../helpers/redis.js';
import { waitFor } from '../../helpers/serve.js';

const mode = redisSuiteMode();
const N = 20;

describe.skipIf(mode.skip)('a coordinator and two worker processes on real Redis', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  const cluster = clusterHarness();

  it('runs 20 tasks across both workers: all in review, one PR and one commit each, Redis empty at the end', async () => {
    const p = await makeClusterProject(redis);
    const coordinator = await cluster.coordinator(p);
    await cluster.worker(p, { name: 'w1', models: ['m1'], concurrency: 2 });
    await cluster.worker(p, { name: 'w2', models: ['m1'], concurrency: 2 });
    const ids = Array.from({ length: N }, (_, i) => String(i + 1));
    for (const id of ids) writeTask(p.root, id, { title: `Burst ${id}` });

    await waitForFolder(p.root, N);
    const f = folders(p.root);
    expect(f.review).toHaveLength(N);
    expect([...f.todo, ...f.doing, ...f.failed, ...f.completed]).toEqual([]);

    // The coordinator opened every PR of the local forge: one per task, each on its own head.
    const prs = pullRequests(p.root);
    expect(prs).toHaveLength(N);
    expect(new Set(prs.map((pr) => pr.head)).size).toBe(N);
    expect(prs.map((pr) => pr.task_id).sort()).toEqual([...ids].sort());
    for (const id of ids) {
      expect(commitsAboveMain(p.remote, `task-${id}`)).toBe(1);
      expect(gitOut(['show', `task-${id}:file-${id}.txt`], p.remote)).toBe(`change for ${id} by m1`);
    }
    // Applied once each, announced once each.
    expect(appliedJobs(p.root)).toHaveLength(N);
    const published = auditRows(p.root, 'task.published').map((r) => r.task_id);
    expect(published.sort()).toEqual([...ids].sort());

    const view = cluster.redis(p);
    const done = await view.completions();
    expect(done).toHaveLength(N);
    expect(done.every((c) => c.status === 'pushed')).toBe(true);
    const byWorker = new Set(done.map((c) => c.worker));
    expect([...byWorker].sort()).toEqual(['w1', 'w2']);
    // Applied jobs are removed: nothing waits, runs or lingers.
    await waitFor(async () => (await view.total()) === 0, 'no job left in Redis', 15_000, undefined);
    expect(await view.total()).toBe(0);
    expect(coordinator.running()).toBe(true);
  }, 150_000);
});
