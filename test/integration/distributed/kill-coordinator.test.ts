import { renameSync } from 'node:fs';
import path from 'node:path';
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
import { writeTask } from '../../helpers/project.js';
import { redisSuiteMode, startRedis, type TestRedis } from '../../helpers/redis.js';
import { waitFor } from '../../helpers/serve.js';

const mode = redisSuiteMode();

// Long enough that most of the burst is still running when the first task is published.
const SLOW_AGENT = 'sleep 0.5; echo "change for $TP_TASK_ID" > "file-$TP_TASK_ID.txt"';

function countBy(values: Array<string | null>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v ?? ''] = (out[v ?? ''] ?? 0) + 1;
  return out;
}

describe.skipIf(mode.skip)('kill -9 of the coordinator, then a restart', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  const cluster = clusterHarness();

  it('loses nothing: jobs finished while it was down are applied once, and a claim without a job is re-enqueued', async () => {
    const p = await makeClusterProject(redis, {
      agent: { type: 'command', command: SLOW_AGENT },
    });
    const ids = Array.from({ length: 10 }, (_, i) => String(i + 1));
    const first = await cluster.coordinator(p);
    await cluster.worker(p, { name: 'w1', models: ['m1'], concurrency: 2 });
    await cluster.worker(p, { name: 'w2', models: ['m1'], concurrency: 2 });
    for (const id of ids) writeTask(p.root, id, { title: `Burst ${id}` });

    await waitFor(
      () => folders(p.root).review.length > 0,
      'the first task in review/',
      60_000,
      () => folders(p.root),
    );
    await first.kill9();
    const atKill = folders(p.root);
    expect(atKill.review.length).toBeLessThan(ids.length);

    // The workers carry on without a coordinator: wait until nothing waits or runs in Redis.
    const view = cluster.redis(p);
    await waitFor(
      async () => {
        const c = await view.counts();
        return (c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) === 0 && (c.completed ?? 0) > 0;
      },
      'every job the dead coordinator added to finish',
      60_000,
    );
    // Results the dead coordinator never applied are waiting for the next one.
    const unapplied = (await view.counts()).completed ?? 0;
    expect(unapplied).toBeGreaterThan(0);
    // Tasks it claimed but never added (or never claimed) are in doing/ or todo/; none is lost.
    const between = folders(p.root);
    expect(between.review.length + between.doing.length + between.todo.length).toBe(ids.length);

    // A claim followed by a crash before the add: a file in doing/ that no job stands for.
    writeTask(p.root, '11', { title: 'Claimed then crashed' });
    renameSync(
      path.join(p.root, 'backlog/todo/task-11 - Claimed then crashed.md'),
      path.join(p.root, 'backlog/doing/task-11 - Claimed then crashed.md'),
    );
    const all = [...ids, '11'];

    await cluster.coordinator(p);
    await waitForFolder(p.root, all.length, 'review', 90_000);
    const f = folders(p.root);
    expect([...f.todo, ...f.doing, ...f.failed, ...f.completed]).toEqual([]);

    const prs = pullRequests(p.root);
    expect(prs.map((pr) => pr.head).sort()).toEqual(all.map((id) => `task-${id}`).sort());
    for (const id of all) expect(commitsAboveMain(p.remote, `task-${id}`)).toBe(1);
    // Each task announced once, each job applied once (no job was applied twice or twice added).
    const published = countBy(auditRows(p.root, 'task.published').map((r) => r.task_id));
    expect(published).toEqual(Object.fromEntries(all.map((id) => [id, 1])));
    expect(appliedJobs(p.root)).toHaveLength(all.length);
    await waitFor(async () => (await view.total()) === 0, 'every applied job removed from Redis', 15_000);
  }, 180_000);
});
