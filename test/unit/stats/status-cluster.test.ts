import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { statusCommand } from '../../../src/cli/ops-commands.js';
import { PRIORITY, queueNameFor } from '../../../src/queue/bullmq/contracts.js';
import { publishWorker } from '../../../src/queue/bullmq/registry.js';
import type { ClusterStats } from '../../../src/stats/index.js';
import { makeProject, writeTask } from '../../helpers/project.js';
import { redisSuiteMode, startRedis, type TestRedis } from '../../helpers/redis.js';

const mode = redisSuiteMode();

/** `status` in this process, as the CLI runs it (its own app, closed at the end). */
async function status(root: string, env: Record<string, string>, json: boolean) {
  const lines: string[] = [];
  const io = { out: (l: string) => lines.push(l), err: () => {}, env, cwd: root, isTty: false };
  const code = await statusCommand(io, json ? { json: true } : {});
  return { code, out: lines.join('\n') };
}

describe('status under the memory backend', () => {
  it('shows no cluster part', async () => {
    const { root } = await makeProject({ agent: { type: 'command', command: 'true' } });
    const text = await status(root, {}, false);
    expect(text.code).toBe(0);
    expect(text.out).not.toContain('Queues & workers');
    expect(JSON.parse((await status(root, {}, true)).out)).not.toHaveProperty('cluster');
  });
});

describe.skipIf(mode.skip)('status under queue.backend bullmq reads Redis itself', () => {
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

  it('prints BullMQ counts per model queue, the live workers and the tasks held in todo/', async () => {
    const prefix = redis.prefix();
    const { root } = await makeProject({
      agent: { type: 'command', command: 'true' },
      queue: { backend: 'bullmq', prefix },
    });
    writeTask(root, '1');
    writeTask(root, '2', { priority: 'high' });
    const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
    closers.push(async () => conn.disconnect());
    const name = queueNameFor('*');
    const q = new Queue(name, { connection: conn, prefix });
    closers.push(() => q.close());
    await q.add('task', {}, { jobId: 't7-r1', priority: PRIORITY.medium });
    await q.add('task', {}, { jobId: 't8-r1', priority: PRIORITY.high });
    await q.add('task', {}, { jobId: 't9-r1', priority: PRIORITY.low, delay: 600_000 });
    // A queue no live worker serves: its job waits, and status says so.
    const llama = new Queue(queueNameFor('llama3.2'), { connection: conn, prefix });
    closers.push(() => llama.close());
    await llama.add('task', {}, { jobId: 't6-r1', priority: PRIORITY.low });
    await publishWorker(conn, prefix, {
      id: 'w1-id',
      name: 'w1',
      hostname: 'box',
      pid: 10,
      models: ['*'],
      hosts: [],
      concurrency: 2,
      version: '1.0.0',
      startedAt: Date.now() - 60_000,
      lastSeen: Date.now() - 1_000,
      active: 1,
      processed: 3,
    });
    const env = { REDIS_URL: redis.url };

    const text = await status(root, env, false);
    expect(text.code).toBe(0);
    expect(text.out).toContain('Queues & workers (Redis; tasks held by the coordinator, not yet jobs: 2):');
    expect(text.out).toMatch(/QUEUE\s+MODEL\s+WAITING\s+ACTIVE\s+DELAYED\s+FAILED\s+COMPLETED/);
    expect(text.out).toMatch(new RegExp(`${name.replace('.', '\\.')}\\s+\\*\\s+2\\s+0\\s+1\\s+0\\s+0`));
    expect(text.out).toMatch(/w1\s+box\s+\*\s+1\/2\s+3\s+\d s ago/);
    expect(text.out).toContain('No live worker serves llama3.2:latest: its jobs wait.');

    const json = JSON.parse((await status(root, env, true)).out) as { cluster: ClusterStats };
    expect(json.cluster).toMatchObject({
      backend: 'bullmq',
      coordinatorHeld: 2,
      queues: [
        { queue: name, model: '*', waiting: 2, active: 0, delayed: 1, failed: 0, completed: 0 },
        {
          queue: queueNameFor('llama3.2'),
          model: 'llama3.2:latest',
          waiting: 1,
          active: 0,
          delayed: 0,
          failed: 0,
          completed: 0,
        },
      ],
      unserved: ['llama3.2:latest'],
      workers: [{ name: 'w1', models: ['*'], active: 1, processed: 3, concurrency: 2 }],
    });
    expect(json.cluster.error).toBeUndefined();
  });

  it('says what is wrong when Redis does not answer, and still prints the folders', async () => {
    const dead = await startRedis();
    const url = dead.url;
    await dead.stop();
    const { root } = await makeProject({
      agent: { type: 'command', command: 'true' },
      queue: { backend: 'bullmq', prefix: redis.prefix() },
    });
    const text = await status(root, { REDIS_URL: url }, false);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^FOLDER\s+TASKS/m);
    expect(text.out).toMatch(/^Redis: .+/m);
  });
});
