import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { Worker as BullWorker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { createRunParts } from '../../app-run-parts.js';
import { type LoadedConfig, resolveFolders, secretValues } from '../../config/index.js';
import { TpError } from '../../errors/index.js';
import { EventBus } from '../../events/index.js';
import type { Forge } from '../../forges/types.js';
import { LogHub } from '../../observability/index.js';
import { redact, redactUrl } from '../../secrets/index.js';
import { packageVersion } from '../../stats/index.js';
import { SqliteStore } from '../../store/index.js';
import { claimSlot } from '../../workspace/index.js';
import { createRedis } from './connection.js';
import { ANY_MODEL, HEARTBEAT_MS, queueNameFor, type TaskJobResult, type WorkerInfo } from './contracts.js';
import type { JobEvents } from './job-events.js';
import { publishWorker, removeWorker } from './registry.js';
import { restrictHosts, servedModels } from './served-models.js';
import { type JobContext, processJob } from './worker-job.js';

/** What `createWorkerRunner` takes; each field overrides `queue.worker.*`. */
export interface WorkerRunnerOptions {
  /** Shown in status and each result; default `queue.worker.name`, else `<hostname>-<slot>`. */
  name?: string | undefined;
  /** Jobs run at once per served model queue; default `queue.worker.concurrency`, else `processing.concurrency`. */
  concurrency?: number | undefined;
  /** Models served; default `queue.worker.models`, else what the config names and the hosts list. */
  models?: string[] | undefined;
  /** Ollama base URLs used; default `queue.worker.hosts`, else `ollama.hosts` / `ollama.host`. */
  hosts?: string[] | undefined;
  /** Extra log destination (the CLI's stderr, a test buffer). */
  logSink?: { write(line: string): void } | undefined;
  /** Environment of the runs; default the loaded config's. */
  env?: Record<string, string | undefined> | undefined;
}

/** A worker: listens on the queues of the models it serves and runs their jobs. */
export interface WorkerRunner {
  /** Unique per process run (the registry key). */
  id: string;
  /** Its name (results, status), its disk slot, canonical models and BullMQ queues. */
  readonly name: string;
  readonly slot: number;
  readonly models: string[];
  readonly queues: string[];
  /** The Redis URL, password redacted (for the start line). */
  readonly redisUrl: string;
  start(): Promise<void>;
  /** Stops taking jobs, hands running ones back to the queue, closes connections, frees the slot. */
  stop(): Promise<void>;
}

/** The forge with `ensureRepo` done once per runner (retried after a failure). */
function ensureOnce(forge: Forge): Forge {
  let ready: Promise<void> | undefined;
  const ensureRepo = () => {
    ready ??= forge.ensureRepo().catch((err: unknown) => {
      ready = undefined;
      throw err;
    });
    return ready;
  };
  return new Proxy(forge, {
    get(target, key) {
      if (key === 'ensureRepo') return ensureRepo;
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/**
 * Builds a worker (`ticket-processor worker`, and each of `start --workers N`): its own disk
 * slot under `folders.repos/workers/`, its own run parts (agent, router over its hosts,
 * workspace), a private SQLite for the response cache only, and one BullMQ Worker per served
 * model queue. It never opens the project's store, task folders or webhook server.
 */
export async function createWorkerRunner(
  loaded: LoadedConfig,
  opts: WorkerRunnerOptions = {},
): Promise<WorkerRunner> {
  const base = loaded.config;
  const q = base.queue;
  if (q.backend !== 'bullmq') {
    throw new TpError('A worker needs queue.backend "bullmq": with "memory" tasks run inside `start`.', {
      code: 'CONFIG_INVALID',
      retryable: false,
      hint: 'Set queue.backend to "bullmq" and queue.redis.url (or REDIS_URL) in config.json, then start the coordinator and the workers.',
    });
  }
  const env = opts.env ?? loaded.env;
  const config = restrictHosts(base, opts.hosts ?? q.worker.hosts);
  const secrets = secretValues(loaded.secrets);
  const folders = resolveFolders(config, loaded.baseDir);
  const slot = await claimSlot(folders.repos);
  const name = opts.name ?? q.worker.name ?? `${os.hostname()}-${slot.slot}`;
  const id = `${name}.${process.pid}.${randomUUID().slice(0, 8)}`;
  // Each worker logs into its own slot: two processes never rotate one file.
  const logs = new LogHub({
    ...config.logging,
    directory: path.join(slot.dir, 'logs'),
    secrets,
    extra: opts.logSink,
  });
  const logger = logs.get('processor');
  const cache = new SqliteStore(path.join(slot.dir, 'worker-cache.db'));
  const events = new EventBus((err) => logger.warn({ err }, 'event listener failed'));
  let parts: Awaited<ReturnType<typeof createRunParts>>;
  try {
    parts = await createRunParts(
      { ...loaded, config, env },
      { reposDir: slot.dir, store: cache, events, logs, secrets, folders },
    );
  } catch (err) {
    cache.close();
    await slot.release();
    throw err;
  }
  const models = await servedModels(config, { models: opts.models ?? q.worker.models, tags: parts.router });
  const served = new Set(models);
  const queues = [...new Set([...models, ANY_MODEL].map(queueNameFor))];
  const concurrency = opts.concurrency ?? q.worker.concurrency ?? config.processing.concurrency;
  const redisUrl = redactUrl(q.redis.url);
  const onRedisError = (message: string) => logger.warn({ err: message }, 'redis connection error');

  const running = new Map<string, AbortController>();
  const byTask = new Map<string, JobEvents>();
  // Router events (host waits, failed attempts) land on the runner's bus: forward those of a running task.
  events.onAny((n, p) => byTask.get((p as { taskId?: string }).taskId ?? '')?.forward(n, p));
  let stopping = false;
  let stopped: Promise<void> | undefined;
  let processed = 0;
  const startedAt = Date.now();
  const jc: JobContext = {
    name,
    config,
    parts,
    forge: ensureOnce(parts.forge),
    cache,
    served,
    secrets,
    env,
    logger,
    events,
    lockDurationMs: q.lockDurationMs,
    stopping: () => stopping,
  };
  const connections: Redis[] = [];
  const workers: BullWorker[] = [];
  let redis: Redis | undefined;
  let heartbeat: NodeJS.Timeout | undefined;

  const info = (): WorkerInfo => ({
    id,
    name,
    hostname: os.hostname(),
    pid: process.pid,
    models: [...models, ANY_MODEL],
    hosts: config.ollama.hosts.length > 0 ? config.ollama.hosts.map((h) => h.url) : [config.ollama.host],
    concurrency,
    version: packageVersion(),
    startedAt,
    lastSeen: Date.now(),
    active: running.size,
    processed,
  });
  const beat = () =>
    redis &&
    publishWorker(redis, q.prefix, info()).catch((err: unknown) =>
      logger.warn({ err: redact(String(err), secrets) }, 'heartbeat not written'),
    );

  const handle = async (job: Job, token?: string): Promise<TaskJobResult> => {
    const key = `${job.queueName}/${String(job.id)}`;
    const ac = new AbortController();
    running.set(key, ac);
    try {
      return await processJob(jc, job, token, ac.signal, (taskId, ev) => {
        if (ev) byTask.set(taskId, ev);
        else byTask.delete(taskId);
      });
    } finally {
      running.delete(key);
      processed++;
    }
  };

  return {
    id,
    name,
    slot: slot.slot,
    models,
    queues,
    redisUrl,
    async start() {
      const removed = await parts.workspace.sweepOrphans();
      if (removed > 0) logger.info({ removed }, 'removed orphaned worktrees of this slot');
      parts.router?.start();
      redis = createRedis(q.redis.url, { blocking: false, secrets, onError: onRedisError });
      await beat();
      heartbeat = setInterval(beat, HEARTBEAT_MS);
      heartbeat.unref();
      for (const queue of queues) {
        const connection = createRedis(q.redis.url, { blocking: true, secrets, onError: onRedisError });
        connections.push(connection);
        const w = new BullWorker(queue, handle, {
          connection,
          prefix: q.prefix,
          concurrency,
          lockDuration: q.lockDurationMs,
          stalledInterval: q.stalledIntervalMs,
          maxStalledCount: q.maxStalledCount,
        });
        w.on('error', (err) => logger.warn({ queue, err: redact(err.message, secrets) }, 'worker error'));
        w.on('failed', (job, err) =>
          logger.error({ queue, jobId: job?.id, err: redact(err.message, secrets) }, 'job failed'),
        );
        workers.push(w);
      }
      logger.info({ name, slot: slot.slot, models, queues, redis: redisUrl }, 'worker started');
    },
    stop() {
      stopped ??= (async () => {
        stopping = true;
        if (heartbeat) clearInterval(heartbeat);
        for (const ac of running.values()) ac.abort();
        await Promise.allSettled(workers.map((w) => w.close()));
        if (redis) await removeWorker(redis, q.prefix, id).catch(() => undefined);
        redis?.disconnect();
        for (const c of connections) c.disconnect();
        await parts.warmUp?.stop();
        await parts.router?.stop();
        // Background cleans of pooled worktrees log their git calls: let them end first.
        await parts.workspace.close();
        cache.close();
        await logs.close();
        await slot.release();
      })();
      return stopped;
    },
  };
}
