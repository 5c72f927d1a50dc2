import os from 'node:os';
import type { Redis } from 'ioredis';
import { TpError } from '../../errors/index.js';
import { redisKeys } from './contracts.js';

/** How long a lease lives without renewal, and how often the holder renews it. */
export const LEASE_TTL_MS = 15_000;
export const LEASE_RENEW_MS = 5_000;

// Compare-and-set scripts: only the holder may renew or release, so a coordinator that lost its
// lease (stalled past the TTL) never extends or deletes its successor's.
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
const TAKE_OVER = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) else return nil end`;

/** `hostname:baseDir:pid`: who holds a coordinator lease. */
export function leaseOwner(baseDir: string, pid = process.pid, hostname = os.hostname()): string {
  return `${hostname}:${baseDir}:${pid}`;
}

function parseOwner(owner: string): { host: string; baseDir: string; pid: number } | undefined {
  const first = owner.indexOf(':');
  const last = owner.lastIndexOf(':');
  if (first < 0 || last <= first) return undefined;
  const pid = Number(owner.slice(last + 1));
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return { host: owner.slice(0, first), baseDir: owner.slice(first + 1, last), pid };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The one-coordinator-per-prefix lease: `SET NX PX` on `<prefix>:coordinator`, renewed every
 * LEASE_RENEW_MS. Two coordinators on one prefix would both move task files and apply results.
 */
export class CoordinatorLease {
  private timer: NodeJS.Timeout | undefined;
  private held = false;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    readonly owner: string,
    private readonly onLost: (holder: string | null) => void = () => {},
  ) {}

  private get key(): string {
    return redisKeys.coordinatorLease(this.prefix);
  }

  /**
   * Takes the lease or throws CONFIG_INVALID naming the holder. A lease left by a dead process of
   * this host and project (a `kill -9`) is taken over at once instead of waiting out its TTL.
   */
  async acquire(): Promise<void> {
    const ok = await this.redis.set(this.key, this.owner, 'PX', LEASE_TTL_MS, 'NX');
    if (ok !== 'OK' && !(await this.takeOverDead())) {
      const holder = await this.redis.get(this.key);
      throw new TpError(
        `Another coordinator already runs on queue.prefix "${this.prefix}" (held by ${holder ?? 'another process'}).`,
        {
          code: 'CONFIG_INVALID',
          retryable: false,
          hint: 'Run one coordinator (`ticket-processor start` with queue.backend "bullmq") per queue.prefix: stop the other one, or give this installation its own queue.prefix. Workers (`ticket-processor worker`) may be many.',
        },
      );
    }
    this.held = true;
    this.timer = setInterval(() => void this.renew(), LEASE_RENEW_MS);
    this.timer.unref();
  }

  private async takeOverDead(): Promise<boolean> {
    const current = await this.redis.get(this.key);
    if (current === null) {
      return (await this.redis.set(this.key, this.owner, 'PX', LEASE_TTL_MS, 'NX')) === 'OK';
    }
    const them = parseOwner(current);
    const me = parseOwner(this.owner);
    if (!them || !me || them.host !== me.host || them.baseDir !== me.baseDir) return false;
    if (them.pid === me.pid || pidAlive(them.pid)) return false;
    const res = await this.redis.eval(TAKE_OVER, 1, this.key, current, this.owner, String(LEASE_TTL_MS));
    return res === 'OK';
  }

  /** Extends the lease; reports (once) when another process holds it now. */
  async renew(): Promise<boolean> {
    if (!this.held) return false;
    try {
      const res = await this.redis.eval(RENEW, 1, this.key, this.owner, String(LEASE_TTL_MS));
      if (res === 1) return true;
      this.held = false;
      this.onLost(await this.redis.get(this.key));
      return false;
    } catch {
      // Redis unreachable: keep trying; the TTL decides whether another coordinator may start.
      return true;
    }
  }

  /** Stops renewing and frees the lease, so the next coordinator starts at once. */
  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (!this.held) return;
    this.held = false;
    await this.redis.eval(RELEASE, 1, this.key, this.owner).catch(() => undefined);
  }
}
