import { Worker as BullWorker, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClusterView } from '../../../src/queue/bullmq/cluster-view.js';
import { createRedis } from '../../../src/queue/bullmq/connection.js';
import { PRIORITY, queueNameFor } from '../../../src/queue/bullmq/contracts.js';
import { publishWorker } from '../../../src/queue/bullmq/registry.js';
import { redisSuiteMode, startRedis, type TestRedis } from '../../helpers/redis.js';
import { statsFixture } from '../stats/support.js';
import { dashboardDeps, EVIL } from './dashboard-support.js';
import { harness } from './helpers.js';

const mode = redisSuiteMode();

describe('dashboard without a cluster (memory backend)', () => {
  it('has no "Queues & workers" panel', async () => {
    const f = statsFixture(Date.now());
    try {
      const html = (
        await harness({ dashboard: dashboardDeps({ stats: f.stats }) }).server.app.inject('/dashboard')
      ).body;
      expect(html).toContain('id="queue"');
      expect(html).not.toContain('id="cluster"');
    } finally {
      f.store.close();
    }
  });
});

describe.skipIf(mode.skip)('dashboard "Queues & workers" from a real Redis', () => {
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

  it('renders BullMQ counts and the workers, with names from Redis escaped', async () => {
    const prefix = redis.prefix();
    const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
    closers.push(async () => conn.disconnect());
    const coder = queueNameFor('qwen2.5-coder:7b');
    const hostile = queueNameFor(EVIL);
    const qc = new Queue(coder, { connection: conn, prefix });
    const qh = new Queue(hostile, { connection: conn, prefix });
    closers.push(
      () => qc.close(),
      () => qh.close(),
    );
    // One job fails on a real BullMQ worker; two wait (prioritized), one is delayed.
    const worker = new BullWorker(
      coder,
      async () => {
        throw new Error('no');
      },
      { connection: new Redis(redis.url, { maxRetriesPerRequest: null }), prefix, autorun: false },
    );
    closers.push(() => worker.close());
    await qc.add('t', {}, { jobId: 'tf-r1', priority: PRIORITY.high });
    const failed = new Promise((r) => worker.once('failed', r));
    void worker.run();
    await failed;
    await worker.close();
    await qc.add('t', {}, { jobId: 't1-r1', priority: PRIORITY.medium });
    await qc.add('t', {}, { jobId: 't2-r1', priority: PRIORITY.low });
    await qc.add('t', {}, { jobId: 't3-r1', delay: 600_000 });
    await qh.add('t', {}, { jobId: 't4-r1', priority: PRIORITY.low });
    const now = Date.now();
    await publishWorker(conn, prefix, {
      id: 'w-evil',
      name: EVIL,
      hostname: `host-${EVIL}`,
      pid: 77,
      models: [`m-${EVIL}`],
      hosts: [],
      concurrency: 3,
      version: '1.0.0',
      startedAt: now - 60_000,
      lastSeen: now - 2_000,
      active: 2,
      processed: 12,
    });

    const view = createClusterView({
      redis: createRedis(redis.url, { blocking: false, secrets: [] }),
      prefix,
    });
    closers.push(() => view.close());
    const f = statsFixture(now, { cluster: view });
    closers.push(async () => f.store.close());
    const html = (
      await harness({ dashboard: dashboardDeps({ stats: f.stats }) }).server.app.inject('/dashboard')
    ).body;

    expect(html).toContain('<section id="cluster"><h2>Queues &amp; workers</h2>');
    const row = html.match(new RegExp(`<tr data-queue="${coder.replace(/\./g, '\\.')}">(.*?)</tr>`))?.[1];
    expect(row).toBe(
      [
        `<td data-field="queue">${coder}</td>`,
        '<td data-field="model" data-value="qwen2.5-coder:7b">qwen2.5-coder:7b</td>',
        '<td data-field="waiting" data-value="2">2</td>',
        '<td data-field="active" data-value="0">0</td>',
        '<td data-field="delayed" data-value="1">1</td>',
        '<td data-field="failed" data-value="1">1</td>',
        '<td data-field="completed" data-value="0">0</td>',
      ].join(''),
    );
    expect(html).toContain('<p data-field="coordinatorHeld" data-value="0">');
    expect(html).toMatch(
      /<td data-field="active" data-value="2">2\/3<\/td><td data-field="processed" data-value="12">12</,
    );
    expect(html).toMatch(/<td data-field="lastSeen" data-value="2\d\d\d">2\.\d s ago<\/td>/);
    // The hostile names are on the page as text only.
    expect(html).not.toContain('<script>alert');
    expect(html).toContain(
      '<td data-field="name">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</td>',
    );
    expect(html).toContain('<td data-field="models">m-&lt;script&gt;');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;:latest</td>');
    // Nobody serves the hostile model's queue (the worker's model is another string): said, escaped.
    expect(html).toContain(
      '<p class="cluster-error" data-field="unserved">No live worker serves &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;:latest, qwen2.5-coder:7b: its jobs wait.</p>',
    );
  });

  it('shows the Redis error instead of failing the page when Redis is gone', async () => {
    const dead = await startRedis();
    const view = createClusterView({
      redis: createRedis(dead.url, { blocking: false, secrets: [] }),
      prefix: redis.prefix(),
    });
    closers.push(() => view.close());
    await dead.stop();
    const f = statsFixture(Date.now(), { cluster: view });
    closers.push(async () => f.store.close());
    const res = await harness({ dashboard: dashboardDeps({ stats: f.stats }) }).server.app.inject(
      '/dashboard',
    );
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/<p class="cluster-error" data-field="error">Redis: [^<]+<\/p>/);
    expect(res.body).toContain('no live workers');
  });
});
