import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobIdFor, PRIORITY, queueNameFor, type WorkerInfo } from '../../../src/queue/bullmq/contracts.js';
import {
  listTaskQueues,
  listWorkers,
  publishWorker,
  removeWorker,
} from '../../../src/queue/bullmq/registry.js';
import { redisSuiteMode, startRedis, type TestRedis } from '../../helpers/redis.js';

const mode = redisSuiteMode();

describe('BullMQ contracts', () => {
  it('queue names survive model tags and map back; job ids are valid BullMQ custom ids', () => {
    const q = queueNameFor('ollama/qwen2.5-coder:7b');
    expect(q).not.toContain(':');
    expect(queueNameFor('qwen2.5-coder')).toBe(queueNameFor('qwen2.5-coder:latest'));
    expect(jobIdFor('42', 1)).toBe('t42-r1');
    expect(jobIdFor('42', 1)).not.toMatch(/^\d+$/);
    expect(Object.values(PRIORITY)).not.toContain(0);
  });
});

describe.skipIf(mode.skip)('worker registry on a real Redis', () => {
  let redis: TestRedis;
  let client: Redis;
  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url, { maxRetriesPerRequest: null });
  });
  afterAll(async () => {
    client?.disconnect();
    await redis?.stop();
  });

  it('lists live workers, skips garbage, forgets removed ones', async () => {
    const prefix = redis.prefix();
    const info: WorkerInfo = {
      id: 'w-1',
      name: 'box-0',
      hostname: 'box',
      pid: 1,
      models: ['a:latest'],
      hosts: [],
      concurrency: 2,
      version: '0',
      startedAt: 1,
      lastSeen: 1,
      active: 0,
      processed: 0,
    };
    await publishWorker(client, prefix, info);
    await client.set(`${prefix}:workers:junk`, 'not json');
    expect((await listWorkers(client, prefix)).map((w) => w.id)).toEqual(['w-1']);
    expect(await client.pttl(`${prefix}:workers:w-1`)).toBeGreaterThan(0);
    await removeWorker(client, prefix, 'w-1');
    expect(await listWorkers(client, prefix)).toEqual([]);
  });

  it('lists the task queues that have had a job, with their model', async () => {
    const prefix = redis.prefix();
    const q = new Queue(queueNameFor('qwen2.5-coder:7b'), { connection: client, prefix });
    await q.add('task', { x: 1 }, { jobId: jobIdFor('1', 1), priority: PRIORITY.medium });
    expect(await listTaskQueues(client, prefix)).toEqual([
      { queue: queueNameFor('qwen2.5-coder:7b'), model: 'qwen2.5-coder:7b' },
    ]);
    await q.close();
  });
});
