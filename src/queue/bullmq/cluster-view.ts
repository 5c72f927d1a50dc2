import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { QueueConfig } from '../../config/schema-queue.js';
import { TpError } from '../../errors/index.js';
import { createRedis } from './connection.js';
import type { WorkerInfo } from './contracts.js';
import { listTaskQueues, listWorkers } from './registry.js';

/*
 * What operators see of the distributed mode: BullMQ's own counts per model queue and the
 * workers' heartbeats. Read-only, so `status` (a separate short process) and the coordinator's
 * dashboard can both use it against the same Redis.
 */

/** One model queue's jobs, as BullMQ counts them now. */
export interface QueueCounts {
  /** BullMQ queue name (`tasks.<model>`). */
  queue: string;
  /** Canonical model the queue serves (`*` for command agents). */
  model: string;
  /** Jobs no worker has taken yet: BullMQ's `wait` (a paused queue's too), `prioritized` and `waiting-children`. */
  waiting: number;
  active: number;
  delayed: number;
  /** Jobs that threw or stalled too often, not yet applied and removed by the coordinator. */
  failed: number;
  /** Jobs finished, not yet applied and removed by the coordinator. */
  completed: number;
}

/** Read-only view of the queues and workers under one Redis prefix. */
export interface ClusterView {
  /** Counts of every task queue that exists under the prefix, sorted by queue name. */
  queueCounts(): Promise<QueueCounts[]>;
  /** Live workers (heartbeat entries not yet expired), sorted by name. */
  workers(): Promise<WorkerInfo[]>;
  /** Closes the BullMQ queue handles and the Redis connection the view was given. */
  close(): Promise<void>;
}

// BullMQ splits "not taken yet" over several lists; operators want one number.
const WAITING = ['waiting', 'prioritized', 'waiting-children'] as const;
const TYPES = [...WAITING, 'active', 'delayed', 'failed', 'completed'] as const;

/**
 * A view over `redis` (an ioredis client, non-blocking: see `createRedis(url, {blocking:
 * false})`) for the queues under `prefix`. The view owns the client: `close()` quits it.
 */
export function createClusterView(opts: { redis: Redis; prefix: string }): ClusterView {
  const { redis, prefix } = opts;
  // One BullMQ handle per queue, kept: building one costs a Redis round trip (version check).
  const queues = new Map<string, Queue>();
  let closed = false;
  const ensureOpen = () => {
    if (closed)
      throw new TpError('The cluster view is closed.', {
        code: 'INTERNAL',
        hint: 'Create a new view (a bug if seen outside tests).',
      });
  };
  const handle = (name: string) => {
    let q = queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: redis, prefix });
      queues.set(name, q);
    }
    return q;
  };
  return {
    async queueCounts() {
      ensureOpen();
      const names = await listTaskQueues(redis, prefix);
      return Promise.all(
        names.map(async ({ queue, model }) => {
          const c = await handle(queue).getJobCounts(...TYPES);
          const n = (k: string) => (Number.isFinite(c[k]) ? Number(c[k]) : 0);
          return {
            queue,
            model,
            waiting: WAITING.reduce((sum, k) => sum + n(k), 0),
            active: n('active'),
            delayed: n('delayed'),
            failed: n('failed'),
            completed: n('completed'),
          };
        }),
      );
    },
    async workers() {
      ensureOpen();
      return listWorkers(redis, prefix);
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...queues.values()].map((q) => q.close().catch(() => undefined)));
      queues.clear();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/**
 * The view for `queue.backend: "bullmq"` (its own non-blocking connection, so a slow count
 * never waits behind the coordinator's traffic); undefined under `memory`.
 */
export function clusterViewFor(
  queue: Pick<QueueConfig, 'backend' | 'redis' | 'prefix'>,
  secrets: string[],
): ClusterView | undefined {
  if (queue.backend !== 'bullmq') return undefined;
  return createClusterView({
    redis: createRedis(queue.redis.url, { blocking: false, secrets }),
    prefix: queue.prefix,
  });
}
