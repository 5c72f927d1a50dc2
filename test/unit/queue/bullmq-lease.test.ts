import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys } from '../../../src/queue/bullmq/contracts.js';
import { CoordinatorLease, LEASE_TTL_MS, leaseOwner } from '../../../src/queue/bullmq/lease.js';
import { redisSuiteMode, startRedis, type TestRedis } from '../../helpers/redis.js';

const mode = redisSuiteMode();

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(r.stdout);
}

describe.skipIf(mode.skip)('coordinator lease on a real Redis', () => {
  let redis: TestRedis;
  const clients: Redis[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.disconnect();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  const client = () => {
    const c = new Redis(redis.url);
    clients.push(c);
    return c;
  };

  it('one holder per prefix: a second is refused with CONFIG_INVALID; after release it may take it', async () => {
    const prefix = redis.prefix();
    const a = new CoordinatorLease(client(), prefix, leaseOwner('/srv/a'));
    const b = new CoordinatorLease(client(), prefix, leaseOwner('/srv/b'));
    await a.acquire();
    const ttl = await client().pttl(redisKeys.coordinatorLease(prefix));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(LEASE_TTL_MS);
    await expect(b.acquire()).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      hint: expect.stringMatching(/queue\.prefix/),
    });
    expect(await a.renew()).toBe(true);
    await a.release();
    await b.acquire();
    expect(await client().get(redisKeys.coordinatorLease(prefix))).toBe(leaseOwner('/srv/b'));
    await b.release();
  });

  it('the same host and project take over the lease of a dead pid at once; a live or foreign one is kept', async () => {
    const prefix = redis.prefix();
    const key = redisKeys.coordinatorLease(prefix);
    const c = client();
    await c.set(key, leaseOwner('/srv/p', deadPid()), 'PX', LEASE_TTL_MS);
    const me = new CoordinatorLease(client(), prefix, leaseOwner('/srv/p'));
    await me.acquire();
    expect(await c.get(key)).toBe(leaseOwner('/srv/p'));
    await me.release();

    // A dead pid of another project directory is not ours to take over.
    await c.set(key, leaseOwner('/srv/other', deadPid()), 'PX', LEASE_TTL_MS);
    await expect(
      new CoordinatorLease(client(), prefix, leaseOwner('/srv/p')).acquire(),
    ).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
    // A live process (the parent of this one) of the same project keeps it.
    await c.set(key, leaseOwner('/srv/p', process.ppid), 'PX', LEASE_TTL_MS);
    await expect(
      new CoordinatorLease(client(), prefix, leaseOwner('/srv/p')).acquire(),
    ).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
  });

  it('a holder whose lease was taken reports the loss and does not renew or delete the new one', async () => {
    const prefix = redis.prefix();
    const key = redisKeys.coordinatorLease(prefix);
    const lost: Array<string | null> = [];
    const a = new CoordinatorLease(client(), prefix, leaseOwner('/srv/a'), (h) => lost.push(h));
    await a.acquire();
    await client().set(key, 'elsewhere:/x:1', 'PX', LEASE_TTL_MS);
    expect(await a.renew()).toBe(false);
    expect(lost).toEqual(['elsewhere:/x:1']);
    await a.release();
    expect(await client().get(key)).toBe('elsewhere:/x:1');
  });
});
