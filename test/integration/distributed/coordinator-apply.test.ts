import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker as BullWorker, type Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config/index.js';
import type { PushedRun } from '../../../src/pipeline/run-result.js';
import type { StoreOp, TaskJobData, TaskJobResult } from '../../../src/queue/bullmq/contracts.js';
import { listTaskQueues } from '../../../src/queue/bullmq/registry.js';
import { folderContents, makeProject, writeTask } from '../../helpers/project.js';
import { redisSuiteMode, startRedis, type TestRedis } from '../../helpers/redis.js';

const mode = redisSuiteMode();

async function until(check: () => Promise<boolean> | boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** What a real worker would return for a pushed run: crafted here, to test the coordinator alone. */
function pushedResult(data: TaskJobData, extraOps: StoreOp[] = []): TaskJobResult {
  const taskId = data.request.task.id;
  const result: PushedRun = {
    status: 'pushed',
    taskId,
    branch: data.request.branch,
    remote: 'remote.git',
    model: 'test-model',
    host: undefined,
    startedAt: Date.now() - 10,
    stageMs: {},
    commitSha: 'a'.repeat(40),
    pr: { number: 70 + Number(taskId), url: `http://forge.invalid/pr/${70 + Number(taskId)}` },
    prRequest: undefined,
    autoMergeBlockers: [],
    needsAttention: false,
    summary: 'did it',
  };
  const ops: StoreOp[] = [
    {
      op: 'addAttempt',
      args: [{ taskId, attemptNumber: 1, model: 'test-model', startedAt: new Date().toISOString() }],
    },
    { op: 'upsertRun', args: [{ taskId, commitSha: 'a'.repeat(40), modelUsed: 'test-model' }] },
    ...extraOps,
  ];
  return {
    v: 1,
    worker: 'test-worker',
    result: result as unknown as TaskJobResult['result'],
    storeOps: ops,
    elapsedMs: 10,
  };
}

describe.skipIf(mode.skip)('coordinator (queue.backend bullmq) with real Redis and SQLite', () => {
  let redis: TestRedis;
  const closers: Array<() => Promise<unknown>> = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  });
  afterAll(async () => {
    await redis?.stop();
  });

  async function project(prefix: string) {
    return makeProject({
      agent: { type: 'command', command: 'true' },
      queue: { backend: 'bullmq', redis: { url: redis.url }, prefix, reconcileIntervalMs: 300 },
    });
  }
  async function open(root: string): Promise<App> {
    const app = await createApp(loadConfig({ cwd: root, env: {} }));
    const realClose = app.close.bind(app);
    let closing: Promise<void> | undefined;
    const close = () => {
      closing ??= realClose();
      return closing;
    };
    closers.push(close);
    app.close = close;
    return app;
  }
  function conn(): Redis {
    const c = new Redis(redis.url, { maxRetriesPerRequest: null });
    closers.push(async () => c.disconnect());
    return c;
  }
  /** A stand-in worker on every task queue of `prefix`: `handle` makes the job's result. */
  async function testWorker(prefix: string, handle: (job: Job<TaskJobData>) => Promise<unknown>) {
    let queues: string[] = [];
    await until(async () => {
      queues = (await listTaskQueues(conn(), prefix)).map((q) => q.queue);
      return queues.length > 0;
    });
    for (const q of queues) {
      const w = new BullWorker<TaskJobData>(q, handle, { connection: conn(), prefix });
      closers.push(() => w.close());
    }
    return queues;
  }
  async function remainingJobs(prefix: string): Promise<number> {
    let n = 0;
    for (const { queue } of await listTaskQueues(conn(), prefix)) {
      const q = new Queue(queue, { connection: conn(), prefix });
      const counts = await q.getJobCounts();
      n += Object.values(counts).reduce((a, b) => a + b, 0);
      await q.close();
    }
    return n;
  }

  it('applies a worker result: store ops once (foreign ones dropped), task in review, job removed, one task.published', async () => {
    const prefix = redis.prefix();
    const { root } = await project(prefix);
    writeTask(root, '1');
    const app = await open(root);
    const published: string[] = [];
    app.events.on('task.published', (e) => published.push(e.taskId));
    await app.worker.start({ watch: false });
    const foreign: StoreOp = {
      op: 'upsertRun',
      args: [{ taskId: '99', file: 'x.md', state: 'review' }],
    };
    await testWorker(prefix, async (job) => pushedResult(job.data, [foreign]));
    await app.worker.idle();

    expect(folderContents(root)).toMatchObject({
      todo: [],
      doing: [],
      review: ['task-1 - Task number 1.md'],
    });
    expect(published).toEqual(['1']);
    expect(app.store.listAttempts('1')).toHaveLength(1);
    expect(app.store.getRun('1')).toMatchObject({ state: 'review', commitSha: 'a'.repeat(40), attempts: 1 });
    expect(app.store.getRun('99')).toBeUndefined();
    await until(async () => (await remainingJobs(prefix)) === 0);
  }, 40_000);

  it('a thrown job fails the task with INTERNAL and the redacted reason', async () => {
    const prefix = redis.prefix();
    const { root } = await project(prefix);
    writeTask(root, '2');
    const app = await open(root);
    await app.worker.start({ watch: false });
    await testWorker(prefix, async () => {
      throw new Error('worker blew up');
    });
    await app.worker.idle();
    expect(folderContents(root).failed).toEqual(['task-2 - Task number 2.md']);
    const report = JSON.parse(
      readFileSync(path.join(root, 'backlog/failed/task-2 - Task number 2.error.json'), 'utf8'),
    ) as { code: string; error: string; retryable: boolean };
    expect(report.code).toBe('INTERNAL');
    expect(report.error).toContain('worker blew up');
    expect(app.worker.failedCount).toBe(1);
  }, 40_000);

  it('a job completed while no coordinator ran is applied at the next start', async () => {
    const prefix = redis.prefix();
    const { root } = await project(prefix);
    writeTask(root, '3');
    const first = await open(root);
    await first.worker.start({ watch: false });
    await until(async () => (await listTaskQueues(conn(), prefix)).length > 0);
    await first.close();
    expect(folderContents(root)).toMatchObject({ doing: ['task-3 - Task number 3.md'] });

    let runs = 0;
    await testWorker(prefix, async (job) => {
      runs++;
      return pushedResult(job.data);
    });
    // Completed in Redis with no coordinator listening.
    await until(async () => runs === 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(folderContents(root)).toMatchObject({ doing: ['task-3 - Task number 3.md'] });

    const second = await open(root);
    await second.worker.start({ watch: false });
    await second.worker.idle();
    expect(folderContents(root)).toMatchObject({ doing: [], review: ['task-3 - Task number 3.md'] });
    expect(second.store.listAttempts('3')).toHaveLength(1);
    // Re-attached, not run again: the attempt count of the run is the first one's.
    expect(second.store.getRun('3')?.attempts).toBe(1);
    expect(runs).toBe(1);
  }, 40_000);

  it('a claimed task whose job was never added (crash between claim and add) is added again at start', async () => {
    const prefix = redis.prefix();
    const { root } = await project(prefix);
    writeTask(root, '4');
    const first = await open(root);
    await first.worker.start({ watch: false });
    await until(async () => (await listTaskQueues(conn(), prefix)).length > 0);
    await first.close();
    // The add is lost: drop every job of the prefix (the dispatch record in SQLite stays).
    for (const { queue } of await listTaskQueues(conn(), prefix)) {
      const q = new Queue(queue, { connection: conn(), prefix });
      await q.drain(true);
      await q.close();
    }
    expect(await remainingJobs(prefix)).toBe(0);

    const second = await open(root);
    await second.worker.start({ watch: false });
    await until(async () => (await remainingJobs(prefix)) === 1);
    await testWorker(prefix, async (job) => pushedResult(job.data));
    await second.worker.idle();
    expect(folderContents(root).review).toEqual(['task-4 - Task number 4.md']);
    expect(second.store.getRun('4')?.attempts).toBe(1);
  }, 40_000);

  it('refuses a second coordinator on the same prefix, naming the holder', async () => {
    const prefix = redis.prefix();
    const { root } = await project(prefix);
    const other = await project(prefix);
    const app = await open(root);
    await app.worker.start({ watch: false });
    const second = await open(other.root);
    await expect(second.worker.start({ watch: false })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining(root),
      hint: expect.stringMatching(/one coordinator/i),
    });
  }, 40_000);

  it('repository.perTaskRepo with bullmq is refused at app creation', async () => {
    const { root } = await makeProject({
      repository: { perTaskRepo: true },
      queue: { backend: 'bullmq', redis: { url: redis.url } },
    });
    await expect(createApp(loadConfig({ cwd: root, env: {} }))).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('perTaskRepo'),
    });
    expect(existsSync(path.join(root, 'backlog'))).toBe(true);
  });
});
