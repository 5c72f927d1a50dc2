import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClusterView } from '../../../src/queue/bullmq/cluster-view.js';
import { createRedis } from '../../../src/queue/bullmq/connection.js';
import { PRIORITY, queueNameFor, type WorkerInfo } from '../../../src/queue/bullmq/contracts.js';
import { publishWorker } from '../../../src/queue/bullmq/registry.js';
import { clusterStats, registerStatsGauges } from '../../../src/stats/index.js';
import { redisSuiteMode, startRedis, type TestRedis } from '../../helpers/redis.js';
import { statsFixture } from './support.js';

const mode = redisSuiteMode();
const NOW = Date.parse('2026-03-10T12:00:00.000Z');

const heartbeat = (name: string, over: Partial<WorkerInfo> = {}): WorkerInfo => ({
  id: `${name}-id`,
  name,
  hostname: 'gpu-box',
  pid: 4242,
  models: ['qwen2.5-coder:7b'],
  hosts: ['http://gpu1:11434'],
  concurrency: 2,
  version: '1.2.3',
  startedAt: NOW - 60_000,
  lastSeen: NOW - 4_000,
  active: 1,
  processed: 9,
  ...over,
});

const held = (waiting: number) => ({
  queueStats: () => [
    { name: 'default', concurrency: 2, running: 2, waiting, oldestWaitMs: 1_000, pastSla: 0, raised: 0 },
  ],
  processing: () => [],
});

describe('stats without a cluster (memory backend)', () => {
  it('has no cluster part and no cluster gauges', async () => {
    const f = statsFixture(NOW);
    try {
      const snap = await f.stats.snapshot();
      expect(snap).not.toHaveProperty('cluster');
      const registry = new Registry();
      registerStatsGauges(registry, f.stats, { shareMs: 0 });
      const text = await registry.metrics();
      expect(text).not.toMatch(/^tp_cluster_jobs\{/m);
      expect(text).not.toMatch(/^tp_cluster_worker_active\{/m);
    } finally {
      f.store.close();
    }
  });

  it('a cluster that does not answer gives an error, not a failed snapshot', async () => {
    const never = { queueCounts: () => new Promise<never>(() => undefined), workers: async () => [] };
    const c = await clusterStats(never, 3, NOW, { timeoutMs: 20 });
    expect(c).toEqual({
      backend: 'bullmq',
      coordinatorHeld: 3,
      queues: [],
      workers: [],
      unserved: [],
      error: 'Redis did not answer within 20 ms',
    });
    const failing = {
      queueCounts: async () => {
        throw new Error('connect ECONNREFUSED redis://:hunter2@10.0.0.5:6379');
      },
      workers: async () => [],
    };
    const e = await clusterStats(failing, 0, NOW, { secrets: ['hunter2'] });
    expect(e.error).toContain('ECONNREFUSED');
    expect(e.error).not.toContain('hunter2');
  });
});

describe.skipIf(mode.skip)('stats with a cluster view on a real Redis', () => {
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

  it('snapshot and gauges show BullMQ counts per queue, live workers and what the coordinator holds', async () => {
    const prefix = redis.prefix();
    const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
    closers.push(async () => conn.disconnect());
    const name = queueNameFor('qwen2.5-coder:7b');
    const q = new Queue(name, { connection: conn, prefix });
    closers.push(() => q.close());
    for (let i = 0; i < 3; i += 1) await q.add('task', {}, { jobId: `t${i}-r1`, priority: PRIORITY.medium });
    await q.add('task', {}, { jobId: 't9-r1', delay: 600_000, priority: PRIORITY.low });
    await publishWorker(conn, prefix, heartbeat('w1'));

    const view = createClusterView({
      redis: createRedis(redis.url, { blocking: false, secrets: [] }),
      prefix,
    });
    closers.push(() => view.close());
    const f = statsFixture(NOW, { cluster: view, worker: held(5) });
    closers.push(async () => f.store.close());

    const snap = await f.stats.snapshot();
    expect(snap.cluster).toEqual({
      backend: 'bullmq',
      coordinatorHeld: 5,
      queues: [
        {
          queue: name,
          model: 'qwen2.5-coder:7b',
          waiting: 3,
          active: 0,
          delayed: 1,
          failed: 0,
          completed: 0,
        },
      ],
      workers: [
        {
          name: 'w1',
          hostname: 'gpu-box',
          pid: 4242,
          models: ['qwen2.5-coder:7b'],
          hosts: ['http://gpu1:11434'],
          concurrency: 2,
          active: 1,
          processed: 9,
          version: '1.2.3',
          startedAt: '2026-03-10T11:59:00.000Z',
          lastSeen: '2026-03-10T11:59:56.000Z',
          lastSeenAgoMs: 4_000,
        },
      ],
      unserved: [],
    });

    const registry = new Registry();
    registerStatsGauges(registry, f.stats, { shareMs: 0 });
    const text = await registry.metrics();
    expect(text).toContain(`tp_cluster_jobs{queue="${name}",model="qwen2.5-coder:7b",state="waiting"} 3`);
    expect(text).toContain(`tp_cluster_jobs{queue="${name}",model="qwen2.5-coder:7b",state="delayed"} 1`);
    expect(text).toContain('tp_cluster_worker_active{worker="w1"} 1');
  });

  it('a heartbeat with junk fields from Redis is shown typed and bounded', async () => {
    const prefix = redis.prefix();
    const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
    closers.push(async () => conn.disconnect());
    const junk = {
      ...heartbeat('x'.repeat(500)),
      hostname: 'box\u001b[2J\u0007',
      hosts: ['http://a', 7, { evil: true }],
      active: 'many',
      lastSeen: 'yesterday',
    } as unknown as WorkerInfo;
    await publishWorker(conn, prefix, junk);
    const view = createClusterView({
      redis: createRedis(redis.url, { blocking: false, secrets: [] }),
      prefix,
    });
    closers.push(() => view.close());
    const c = await clusterStats(view, 0, NOW);
    const [w] = c.workers;
    expect(w?.name).toHaveLength(64);
    expect(w?.hostname).toBe('box?[2J?');
    expect(w?.hosts).toEqual(['http://a']);
    expect(w?.active).toBe(0);
    expect(w?.lastSeen).toBe('');
  });
});
