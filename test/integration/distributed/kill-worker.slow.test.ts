import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobIdFor } from '../../../src/queue/bullmq/contracts.js';
import {
  auditRows,
  type ClusterProject,
  type ClusterRedis,
  clusterHarness,
  commitsAboveMain,
  folders,
  makeClusterProject,
  pullRequests,
  SLEEPY_AGENT,
  waitForFolder,
} from '../../helpers/distributed.js';
import { gitOut, writeTask } from '../../helpers/project.js';
import { redisSuiteMode, startRedis, type TestRedis } from '../../helpers/redis.js';
import { waitFor } from '../../helpers/serve.js';

const mode = redisSuiteMode();

describe.skipIf(mode.skip)('kill -9 of a worker in the middle of a task', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  const cluster = clusterHarness();

  /** Every task in review/ only, one PR per head and one commit on each branch. */
  function expectOneOfEach(p: ClusterProject, ids: string[]): void {
    const f = folders(p.root);
    expect(f.review.map((n) => n.split(' ')[0]).sort()).toEqual(ids.map((id) => `task-${id}`).sort());
    expect([...f.todo, ...f.doing, ...f.failed, ...f.completed]).toEqual([]);
    const heads = pullRequests(p.root).map((pr) => pr.head);
    expect(heads.sort()).toEqual(ids.map((id) => `task-${id}`).sort());
    for (const id of ids) expect(commitsAboveMain(p.remote, `task-${id}`)).toBe(1);
  }

  /** The killed job stalled, and the other worker (not the dead one) returned its result. */
  async function expectTakenOver(
    p: ClusterProject,
    view: ClusterRedis,
    taskId: string,
    dead: string,
    heir: string,
  ) {
    const jobId = jobIdFor(taskId, 1);
    const events = await view.events();
    expect(events.some((e) => e.event === 'stalled' && e.jobId === jobId)).toBe(true);
    // The coordinator saw the take-over: one audit row, the task's own.
    expect(auditRows(p.root, 'task.recovered').map((r) => r.task_id)).toContain(taskId);
    const done = (await view.completions()).filter((c) => c.jobId === jobId);
    expect(done.map((c) => [c.worker, c.status])).toEqual([[heir, 'pushed']]);
    expect(done[0]!.worker).not.toBe(dead);
  }

  it('while its agent runs: the other worker takes the job over after the lock expires', async () => {
    const p = await makeClusterProject(redis, {
      agent: { type: 'command', command: SLEEPY_AGENT, env: ['MARK', 'SLEEP_TASK'] },
    });
    const env = { SLEEP_TASK: '1' };
    await cluster.coordinator(p);
    const a = await cluster.worker(p, { name: 'A', models: ['m1'], concurrency: 1, env });
    for (const id of ['1', '2', '3']) writeTask(p.root, id, { title: `Crash ${id}` });
    await waitFor(() => existsSync(path.join(p.marks, 'slept-1')), "task 1's agent running on A", 60_000);
    await cluster.worker(p, { name: 'B', models: ['m1'], concurrency: 1, env });
    await a.kill9();

    await waitForFolder(p.root, 3, 'review', 90_000);
    expectOneOfEach(p, ['1', '2', '3']);
    await expectTakenOver(p, cluster.redis(p), '1', 'A', 'B');
  }, 150_000);

  for (const fault of ['after-checkpoint', 'after-push', 'after-pr'] as const) {
    it(`at ${fault}: one branch, one commit and one PR, finished by the other worker`, async () => {
      const p = await makeClusterProject(redis);
      await cluster.coordinator(p);
      const a = await cluster.worker(p, {
        name: 'A',
        models: ['m1'],
        concurrency: 1,
        env: { TP_FAULT: fault },
      });
      writeTask(p.root, '1', { title: `Fault ${fault}` });
      const end = await Promise.race([
        a.exited,
        new Promise<undefined>((r) => setTimeout(() => r(undefined), 60_000)),
      ]);
      expect(end, `worker A did not kill itself at ${fault}:\n${a.output()}`).toEqual({
        code: null,
        signal: 'SIGKILL',
      });
      // What the dead worker left on the remote: nothing before its push, its commit after.
      const leftBehind = fault === 'after-checkpoint' ? undefined : gitOut(['rev-parse', 'task-1'], p.remote);
      expect(folders(p.root).doing).toHaveLength(1);

      await cluster.worker(p, { name: 'B', models: ['m1'], concurrency: 1 });
      await waitForFolder(p.root, 1, 'review', 90_000);
      expectOneOfEach(p, ['1']);
      // A pushed commit is reused (the re-run finds it on the remote), not replaced.
      if (leftBehind) expect(gitOut(['rev-parse', 'task-1'], p.remote)).toBe(leftBehind);
      await expectTakenOver(p, cluster.redis(p), '1', 'A', 'B');
    }, 150_000);
  }
});
