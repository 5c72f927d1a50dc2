import { Redis, type RedisOptions } from 'ioredis';
import { redact } from '../../secrets/index.js';

/**
 * One ioredis connection for BullMQ. `blocking`: for a BullMQ Worker or QueueEvents, which
 * block on Redis and must wait out a Redis restart (`maxRetriesPerRequest: null`); a Queue
 * used for adds and counts fails fast instead, so a caller sees Redis being down.
 */
export function createRedis(
  url: string,
  opts: { blocking: boolean; secrets: string[]; onError?: (message: string) => void },
): Redis {
  const options: RedisOptions = {
    maxRetriesPerRequest: opts.blocking ? null : 3,
    enableReadyCheck: true,
    // Reconnect with a capped backoff: Redis restarting is an outage to wait out, not a crash.
    retryStrategy: (times) => Math.min(times * 200, 5_000),
  };
  const client = new Redis(url, options);
  // ioredis emits 'error' on every failed reconnect; unhandled, it would kill the process.
  client.on('error', (err: Error) => opts.onError?.(redact(err.message, opts.secrets)));
  return client;
}
