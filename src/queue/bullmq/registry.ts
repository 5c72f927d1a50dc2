import type { Redis } from 'ioredis';
import { modelOfQueue, redisKeys, WORKER_TTL_MS, type WorkerInfo } from './contracts.js';

/*
 * The live workers, as Redis keys that expire: each worker rewrites its entry every
 * HEARTBEAT_MS, so a killed worker drops out of routing and status within WORKER_TTL_MS.
 */

/** Writes (or refreshes) a worker's heartbeat entry. */
export async function publishWorker(redis: Redis, prefix: string, info: WorkerInfo): Promise<void> {
  await redis.set(redisKeys.worker(prefix, info.id), JSON.stringify(info), 'PX', WORKER_TTL_MS);
}

/** Removes a worker's entry (a clean stop). */
export async function removeWorker(redis: Redis, prefix: string, id: string): Promise<void> {
  await redis.del(redisKeys.worker(prefix, id));
}

async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return [...new Set(keys)];
}

/** The live workers (entries that do not parse are skipped: Redis is not trusted blindly). */
export async function listWorkers(redis: Redis, prefix: string): Promise<WorkerInfo[]> {
  const keys = await scanKeys(redis, redisKeys.workersPattern(prefix));
  if (keys.length === 0) return [];
  const values = await redis.mget(...keys);
  const out: WorkerInfo[] = [];
  for (const v of values) {
    if (!v) continue;
    try {
      const w = JSON.parse(v) as WorkerInfo;
      if (typeof w.id === 'string' && Array.isArray(w.models)) out.push(w);
    } catch {
      // A malformed entry is not a worker.
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The task queues that exist under `prefix` (one per model that ever had a job): BullMQ keeps
 * a job-id counter `<prefix>:<queue>:id` per queue.
 */
export async function listTaskQueues(
  redis: Redis,
  prefix: string,
): Promise<Array<{ queue: string; model: string }>> {
  const keys = await scanKeys(redis, `${prefix}:tasks.*:id`);
  return keys
    .map((k) => k.slice(prefix.length + 1, -':id'.length))
    .sort()
    .map((queue) => ({ queue, model: modelOfQueue(queue) }));
}
