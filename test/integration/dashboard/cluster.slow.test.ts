import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { createApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config/index.js';
import { PRIORITY, queueNameFor } from '../../../src/queue/bullmq/contracts.js';
import { publishWorker } from '../../../src/queue/bullmq/registry.js';
import type { TpServer } from '../../../src/server/index.js';
import { makeProject } from '../../helpers/project.js';
import { redisSuiteMode, startRedis, type TestRedis } from '../../helpers/redis.js';
import { getStats, launchChromium, openDashboard, serve } from './support.js';

const mode = redisSuiteMode();
const EVIL = '<img src=x onerror=alert(1)>';

/*
 * The "Queues & workers" panel of a coordinator (`queue.backend: bullmq`) in real Chromium: the
 * real app and HTTP server, BullMQ jobs and a worker heartbeat in a real Redis. No worker runs:
 * the jobs stay where the test puts them, so the counts are known.
 */
describe.skipIf(mode.skip)('dashboard "Queues & workers" in real Chromium (real app, real Redis)', () => {
  let redis: TestRedis;
  let browser: Browser;
  let app: App;
  let server: TpServer;
  let url: string;
  let conn: Redis;
  let queue: Queue;
  const prefix = `tpdash${process.pid}`;
  const name = queueNameFor('qwen2.5-coder:7b');

  beforeAll(async () => {
    redis = await startRedis();
    browser = await launchChromium();
    const { root } = await makeProject({
      agent: { type: 'command', command: 'true' },
      queue: { backend: 'bullmq', prefix },
    });
    app = await createApp(loadConfig({ cwd: root, env: { REDIS_URL: redis.url } }));
    ({ server, url } = await serve(app));
    conn = new Redis(redis.url, { maxRetriesPerRequest: null });
    queue = new Queue(name, { connection: conn, prefix });
  });
  afterAll(async () => {
    await queue?.close();
    conn?.disconnect();
    await server?.close();
    await app?.close();
    await browser?.close();
    await redis?.stop();
  });

  it('shows the counts and workers from Redis, escaped, and follows new jobs live', async () => {
    for (let i = 0; i < 3; i += 1)
      await queue.add('task', {}, { jobId: `t${i}-r1`, priority: PRIORITY.medium });
    await publishWorker(conn, prefix, {
      id: 'w-1',
      name: 'gpu1',
      hostname: 'box-a',
      pid: 11,
      models: ['qwen2.5-coder:7b', EVIL],
      hosts: ['http://gpu1:11434'],
      concurrency: 2,
      version: '1.0.0',
      startedAt: Date.now() - 60_000,
      lastSeen: Date.now(),
      active: 1,
      processed: 4,
    });
    const { page, errors } = await openDashboard(browser, url);
    const panel = page.locator('#cluster');
    await expect(panel.locator('h2').textContent()).resolves.toBe('Queues & workers');
    const row = panel.locator(`tr[data-queue="${name}"]`);
    await expect(row.locator('[data-field=waiting]').textContent()).resolves.toBe('3');
    await expect(row.locator('[data-field=model]').textContent()).resolves.toBe('qwen2.5-coder:7b');
    const worker = panel.locator('tr[data-worker="gpu1"]');
    await expect(worker.locator('[data-field=active]').textContent()).resolves.toBe('1/2');
    // The hostile model name is text, not an element.
    await expect(worker.locator('[data-field=models]').textContent()).resolves.toBe(
      `qwen2.5-coder:7b, ${EVIL}`,
    );
    expect(await page.locator('#cluster img').count()).toBe(0);

    // A new job and an event: the script swaps the panel in without a reload.
    await queue.add('task', {}, { jobId: 't9-r1', priority: PRIORITY.high });
    app.events.emit('task.queued', { taskId: '9', file: 'task-9.md', priority: 'high', waitingFor: [] });
    await row.locator('[data-field=waiting]', { hasText: /^4$/ }).waitFor({ timeout: 10_000 });

    const stats = await getStats(url);
    expect(stats.cluster?.queues).toEqual([
      { queue: name, model: 'qwen2.5-coder:7b', waiting: 4, active: 0, delayed: 0, failed: 0, completed: 0 },
    ]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
