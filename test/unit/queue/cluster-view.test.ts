import { Worker as BullWorker, type Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ClusterView, createClusterView } from '../../../src/queue/bullmq/cluster-view.js';
import { PRIORITY, queueNameFor, type WorkerInfo } from '../../../src/queue/bullmq/contracts.js';
import { publishWorker } from '../../../src/queue/bullmq/registry.js';
import { redisSuiteMode, startRedis, type TestRedis } from '../../helpers/redis.js';

const mode = redisSuiteMode();

/** Polls `check` until it holds (BullMQ moves jobs asynchronously). */
async function until(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.skipIf(mode.skip)('cluster view on a real Redis with real BullMQ jobs', () => {
  let redis: TestRedis;
  const closers: Array<() => Promise<unknown>> = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    // Workers first (they hold blocking connections), then queues and clients.
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  });
  afterAll(async () => {
    await redis?.stop();
  });

  const client = () => {
    const c = new Redis(redis.url, { maxRetriesPerRequest: null });
    closers.push(async () => c.disconnect());
    return c;
  };
  const view = (prefix: string): ClusterView => {
    const v = createClusterView({ redis: new Redis(redis.url, { maxRetriesPerRequest: 3 }), prefix });
    closers.push(() => v.close());
    return v;
  };
  const queue = (name: string, prefix: string) => {
    const q = new Queue(name, { connection: client(), prefix });
    closers.push(() => q.close());
    return q;
  };

  it('counts waiting (prioritized included), active, delayed, failed and completed per model queue', async () => {
    const prefix = redis.prefix();
    const coder = queueNameFor('qwen2.5-coder:7b');
    const small = queueNameFor('llama3.2');
    const qc = queue(coder, prefix);
    const qs = queue(small, prefix);

    // Jobs the test's worker finishes: one succeeds, one throws (failed), one blocks (active).
    let release: () => void = () => undefined;
    const blocked = new Promise<void>((r) => {
      release = r;
    });
    const worker = new BullWorker(
      coder,
      async (job: Job) => {
        if (job.name === 'boom') throw new Error('boom');
        if (job.name === 'hold') await blocked;
        return { ok: true };
      },
      { connection: client(), prefix, concurrency: 1, autorun: false },
    );
    closers.push(async () => {
      release();
      await worker.close();
    });
    await qc.add('ok', {}, { jobId: 'tok-r1', priority: PRIORITY.high });
    await qc.add('boom', {}, { jobId: 'tboom-r1', priority: PRIORITY.high });
    await qc.add('hold', {}, { jobId: 'thold-r1', priority: PRIORITY.high });
    void worker.run();
    await until(async () => {
      const c = await qc.getJobCounts('active', 'completed', 'failed');
      return c.active === 1 && c.completed === 1 && c.failed === 1;
    });
    // Now waiting jobs: prioritized ones and one without priority, plus a delayed one.
    for (let i = 0; i < 3; i += 1) await qc.add('w', {}, { jobId: `tw${i}-r1`, priority: PRIORITY.low });
    await qc.add('w', {}, { jobId: 'tplain-r1' });
    await qc.add('later', {}, { jobId: 'tlater-r1', delay: 60_000 });
    await qs.add('w', {}, { jobId: 'tsmall-r1', priority: PRIORITY.medium });

    const counts = await view(prefix).queueCounts();
    expect(counts).toEqual([
      { queue: small, model: 'llama3.2:latest', waiting: 1, active: 0, delayed: 0, failed: 0, completed: 0 },
      { queue: coder, model: 'qwen2.5-coder:7b', waiting: 4, active: 1, delayed: 1, failed: 1, completed: 1 },
    ]);
  });

  it('counts the jobs of a paused queue as waiting', async () => {
    const prefix = redis.prefix();
    const name = queueNameFor('m1');
    const q = queue(name, prefix);
    await q.pause();
    await q.add('a', {}, { jobId: 'ta-r1', priority: PRIORITY.medium });
    await q.add('b', {}, { jobId: 'tb-r1' });
    const [only] = await view(prefix).queueCounts();
    expect(only).toMatchObject({ queue: name, waiting: 2, active: 0 });
  });

  it('lists the live workers with what they serve and do; nothing under another prefix', async () => {
    const prefix = redis.prefix();
    const c = client();
    const info = (name: string, active: number): WorkerInfo => ({
      id: `${name}-id`,
      name,
      hostname: 'box',
      pid: 100,
      models: ['qwen2.5-coder:7b'],
      hosts: ['http://gpu1:11434'],
      concurrency: 2,
      version: '1.0.0',
      startedAt: 1_000,
      lastSeen: 2_000,
      active,
      processed: 7,
    });
    await publishWorker(c, prefix, info('w2', 0));
    await publishWorker(c, prefix, info('w1', 2));
    await publishWorker(c, redis.prefix(), info('other', 1));
    const v = view(prefix);
    const workers = await v.workers();
    expect(workers.map((w) => [w.name, w.active, w.processed, w.models])).toEqual([
      ['w1', 2, 7, ['qwen2.5-coder:7b']],
      ['w2', 0, 7, ['qwen2.5-coder:7b']],
    ]);
    expect(await v.queueCounts()).toEqual([]);
  });

  it('reuses one BullMQ queue object per queue across reads, and closes cleanly', async () => {
    const prefix = redis.prefix();
    const name = queueNameFor('m2');
    const q = queue(name, prefix);
    await q.add('a', {}, { jobId: 'ta-r1', priority: PRIORITY.low });
    const v = createClusterView({ redis: new Redis(redis.url, { maxRetriesPerRequest: 3 }), prefix });
    expect((await v.queueCounts())[0]?.waiting).toBe(1);
    await q.add('b', {}, { jobId: 'tb-r1', priority: PRIORITY.low });
    expect((await v.queueCounts())[0]?.waiting).toBe(2);
    await v.close();
    await expect(v.queueCounts()).rejects.toThrow(/closed/);
  });
});
