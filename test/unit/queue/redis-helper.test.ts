import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisSuiteMode, startRedis, type TestRedis } from '../../helpers/redis.js';

const mode = redisSuiteMode();

describe.skipIf(mode.skip)('test Redis helper', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => redis?.stop());

  it('starts a real redis-server on a free port, without persistence, and gives distinct prefixes', async () => {
    const c = new Redis(redis.url);
    await c.set('k', 'v');
    expect(await c.get('k')).toBe('v');
    expect(await c.config('GET', 'save')).toEqual(['save', '']);
    c.disconnect();
    expect(redis.prefix()).not.toBe(redis.prefix());
  });
});
