import { Worker as BullWorker, type Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config/index.js';
import { beginRun } from '../../../src/pipeline/processor.js';
import type { PushedRun } from '../../../src/pipeline/run-result.js';
import { ResultApplier } from '../../../src/queue/bullmq/applier.js';
import { jobIdFor, type TaskJobData, type TaskJobResult } from '../../../src/queue/bullmq/contracts.js';
import type { SqliteStore } from '../../../src/store/index.js';
import { folderContents, makeProject, writeTask } from '../../helpers/project.js';
import { redisSuiteMode, startRedis, type TestRedis } from '../../helpers/redis.js';

const mode = redisSuiteMode();

describe.skipIf(mode.skip)('ResultApplier: each step safe to repeat (real Redis, real SQLite)', () => {
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

  const conn = () => {
    const c = new Redis(redis.url, { maxRetriesPerRequest: null });
    closers.push(async () => c.disconnect());
    return c;
  };

  /** An app (not started) with task 1 claimed, and its job data as the dispatcher builds it. */
  async function claimed(): Promise<{ app: App; data: TaskJobData; prefix: string; published: string[] }> {
    const prefix = redis.prefix();
    const { root } = await makeProject({
      agent: { type: 'command', command: 'true' },
      queue: { backend: 'bullmq', redis: { url: redis.url }, prefix },
    });
    writeTask(root, '1');
    const app = await createApp(loadConfig({ cwd: root, env: {} }));
    closers.push(() => app.close());
    const published: string[] = [];
    app.events.on('task.published', (e) => published.push(e.taskId));
    const file = await app.source.claim((await app.source.listPending())[0]!);
    const read = await app.source.read(file!);
    if (!read.ok) throw new Error('task did not parse');
    const req = beginRun({ store: app.store, config: app.loaded.config }, file!, read.task);
    const data = {
      v: 1,
      request: { ...req, file: 'task-1 - Task number 1.md' },
      selection: { chain: ['m'], strategy: 'fixed', kinds: [], size: 'small', reason: 'test' },
      repoKey: 'default',
      enqueuedAt: Date.now(),
    } as unknown as TaskJobData;
    return { app, data, prefix, published };
  }

  function result(data: TaskJobData): TaskJobResult {
    const run: PushedRun = {
      status: 'pushed',
      taskId: '1',
      branch: data.request.branch,
      remote: 'remote.git',
      model: 'm',
      host: undefined,
      startedAt: Date.now(),
      stageMs: {},
      commitSha: 'b'.repeat(40),
      pr: { number: 5, url: 'http://forge.invalid/pr/5' },
      prRequest: undefined,
      autoMergeBlockers: [],
      needsAttention: false,
      summary: 's',
    };
    return {
      v: 1,
      worker: 'w',
      result: run as unknown as TaskJobResult['result'],
      storeOps: [
        {
          op: 'addAttempt',
          args: [{ taskId: '1', attemptNumber: 1, model: 'm', startedAt: new Date().toISOString() }],
        },
        { op: 'audit', args: ['worker.note', '1', { n: 1 }] },
      ],
      elapsedMs: 1,
    };
  }

  /** Adds the job to `queue` and lets a stand-in worker complete it; resolves the finished job. */
  async function completedJob(queueName: string, prefix: string, data: TaskJobData): Promise<Job> {
    const queue = new Queue(queueName, { connection: conn(), prefix });
    closers.push(() => queue.close());
    const done = new Promise<void>((resolve) => {
      const w = new BullWorker(queueName, async () => result(data), { connection: conn(), prefix });
      w.on('completed', () => resolve());
      closers.push(() => w.close());
    });
    await queue.add('task', data, { jobId: jobIdFor('1', 1), removeOnComplete: false });
    await done;
    const job = await queue.getJob(jobIdFor('1', 1));
    if (!job) throw new Error('job gone');
    return job;
  }

  function applier(app: App): ResultApplier {
    return new ResultApplier({
      store: app.store as SqliteStore,
      source: app.source,
      secrets: app.secrets,
      logger: app.logs.get('processor'),
      settle: { ...app.completion, forge: app.forge, logger: app.logs.get('processor'), autoMerge: false },
    });
  }

  const audits = (app: App) =>
    app.store.listAudit({ limit: 1000 }).filter((r) => r.name === 'worker.note').length;

  it('applied twice (a crash after settle, before remove): store ops once, one settle, one task.published', async () => {
    const { app, data, prefix, published } = await claimed();
    const a = applier(app);
    const first = await completedJob('tasks.one', prefix, data);
    // Two live events for one job at once: one apply.
    const [o1, o2] = await Promise.all([a.apply(first), a.apply(first)]);
    expect(o1).toMatchObject({ status: 'review', prNumber: 5 });
    expect(o2).toEqual(o1);
    expect(folderContents(app.folders.todo.replace(/backlog\/todo$/, ''))).toMatchObject({
      doing: [],
      review: ['task-1 - Task number 1.md'],
    });
    expect(await first.getState()).toBe('unknown');

    // The same job id again (as if remove() had not happened): nothing replayed, nothing settled.
    const again = await completedJob('tasks.two', prefix, data);
    expect(await applier(app).apply(again)).toMatchObject({ status: 'review' });
    expect(app.store.listAttempts('1')).toHaveLength(1);
    expect(audits(app)).toBe(1);
    expect(published).toEqual(['1']);
    expect(await again.getState()).toBe('unknown');
  }, 40_000);

  it('a crash between the applied marker and settle is repaired by the next apply, without replaying the ops', async () => {
    const { app, data, prefix, published } = await claimed();
    const job = await completedJob('tasks.one', prefix, data);
    // The first apply got as far as its transaction.
    expect((app.store as SqliteStore).applyJobOps(String(job.id), () => undefined)).toBe(true);
    expect(folderContents(app.folders.todo.replace(/backlog\/todo$/, '')).doing).toEqual([
      'task-1 - Task number 1.md',
    ]);
    expect(await applier(app).apply(job)).toMatchObject({ status: 'review' });
    expect(folderContents(app.folders.todo.replace(/backlog\/todo$/, '')).review).toEqual([
      'task-1 - Task number 1.md',
    ]);
    expect(app.store.listAttempts('1')).toHaveLength(0);
    expect(published).toEqual(['1']);
    expect(app.store.getRun('1')?.state).toBe('review');
  }, 40_000);
});
