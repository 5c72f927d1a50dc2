import { type Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { EventBus } from '../../events/index.js';
import { canonicalModel } from '../../models/names.js';
import type { ProcessOutcome } from '../../pipeline/settle.js';
import { redact } from '../../secrets/index.js';
import { type ApplierDeps, forwardProgress, jobTask, ResultApplier } from './applier.js';
import { createRedis } from './connection.js';
import { ANY_MODEL, queueNameFor, type TaskJobData, type WorkerInfo } from './contracts.js';
import { CoordinatorLease, leaseOwner } from './lease.js';
import { listTaskQueues, listWorkers } from './registry.js';

/** The coordinator's side of Redis (`queue.*` of the configuration). */
export interface CoordinatorOptions {
  url: string;
  prefix: string;
  /** Periodic apply pass (`queue.reconcileIntervalMs`). */
  reconcileIntervalMs: number;
  /** Lease owner: `hostname:baseDir:pid`. */
  baseDir: string;
}

export interface CoordinatorDeps extends ApplierDeps {
  events: EventBus;
}

interface Pending {
  jobId: string;
  /** The task file's base name (events). */
  file: string;
  resolve: (o: ProcessOutcome) => void;
}

/** How long the list of live workers is reused when routing a burst of jobs. */
const WORKERS_CACHE_MS = 1_000;

/**
 * The coordinator's BullMQ plumbing: one Queue (adds, reads) and one QueueEvents (completed,
 * failed, progress) per task queue, the single-coordinator lease, and the apply passes (at start
 * and every reconcileIntervalMs; the Redis job state is the truth, events only wake it up).
 */
export class Coordinator {
  readonly redis: Redis;
  private readonly queues = new Map<string, Queue>();
  private readonly listeners = new Map<string, { events: QueueEvents; conn: Redis }>();
  private readonly pending = new Map<string, Pending>();
  private readonly applier: ResultApplier;
  private readonly lease: CoordinatorLease;
  private timer: NodeJS.Timeout | undefined;
  private reconciling: Promise<void> | undefined;
  private workersCache: { at: number; list: Promise<WorkerInfo[]> } | undefined;
  private closed = false;

  constructor(
    private readonly deps: CoordinatorDeps,
    private readonly options: CoordinatorOptions,
  ) {
    const onError = (message: string) => deps.logger.warn({ err: message }, 'redis connection error');
    this.redis = createRedis(options.url, { blocking: false, secrets: deps.secrets, onError });
    this.applier = new ResultApplier(deps);
    this.lease = new CoordinatorLease(this.redis, options.prefix, leaseOwner(options.baseDir), (holder) =>
      deps.logger.error(
        { holder },
        'lost the coordinator lease to another process: two coordinators may now share queue.prefix',
      ),
    );
  }

  /** Takes the lease (or throws CONFIG_INVALID), listens on every existing task queue, applies what finished. */
  async start(): Promise<void> {
    await this.lease.acquire();
    for (const { queue } of await listTaskQueues(this.redis, this.options.prefix)) this.queue(queue);
    await this.reconcile();
    this.timer = setInterval(() => void this.reconcile(), this.options.reconcileIntervalMs);
    this.timer.unref();
  }

  /** The Queue of `name`, opened (with its event listener) on first use. */
  queue(name: string): Queue {
    let q = this.queues.get(name);
    if (q) return q;
    q = new Queue(name, { connection: this.redis, prefix: this.options.prefix });
    q.on('error', (err) =>
      this.deps.logger.warn({ err: redact(err.message, this.deps.secrets) }, 'queue error'),
    );
    this.queues.set(name, q);
    if (!this.closed) this.listen(name, q);
    return q;
  }

  private listen(name: string, queue: Queue): void {
    const onError = (message: string) => this.deps.logger.warn({ err: message }, 'redis connection error');
    const conn = createRedis(this.options.url, { blocking: true, secrets: this.deps.secrets, onError });
    const qe = new QueueEvents(name, { connection: conn, prefix: this.options.prefix });
    qe.on('error', (err) =>
      this.deps.logger.warn({ err: redact(err.message, this.deps.secrets) }, 'events error'),
    );
    const onFinished = ({ jobId }: { jobId: string }) => void this.applyById(queue, jobId);
    qe.on('completed', onFinished);
    qe.on('failed', onFinished);
    // The worker holding it died (its lock expired): BullMQ hands the job to another worker.
    qe.on('stalled', ({ jobId }) => {
      const taskId = this.taskOfJob(jobId);
      const pending = taskId ? this.pending.get(taskId) : undefined;
      if (taskId && pending)
        this.deps.events.emit('task.recovered', { taskId, file: pending.file, action: 'taken-over' });
    });
    qe.on('progress', ({ jobId, data }) => {
      const taskId = this.taskOfJob(jobId);
      if (taskId) forwardProgress(this.deps.events, taskId, data);
    });
    this.listeners.set(name, { events: qe, conn });
  }

  private taskOfJob(jobId: string): string | undefined {
    for (const [taskId, p] of this.pending) if (p.jobId === jobId) return taskId;
    return undefined;
  }

  /**
   * Registers the dispatcher's wait for a task's job: resolved once its result is applied
   * (before the add, so a job that finishes at once is not missed).
   */
  expect(taskId: string, jobId: string, file: string): Promise<ProcessOutcome> {
    return new Promise((resolve) => this.pending.set(taskId, { jobId, file, resolve }));
  }

  /** Drops a wait (shutdown): the job lives on in Redis and the next start re-attaches. */
  forget(taskId: string): void {
    this.pending.delete(taskId);
  }

  /** Adds a job (a duplicate id is a no-op in BullMQ). */
  async add(queueName: string, jobId: string, data: TaskJobData, priority: number): Promise<void> {
    await this.queue(queueName).add('task', data, {
      jobId,
      priority,
      attempts: 1,
      removeOnComplete: false,
      removeOnFail: false,
    });
  }

  /** The job `jobId` in `queueName`, or undefined when there is none. */
  async job(queueName: string, jobId: string): Promise<Job | undefined> {
    return (await this.queue(queueName).getJob(jobId)) ?? undefined;
  }

  /** Applies a job now if it already finished (a resumed task whose job completed meanwhile). */
  async applyIfFinished(job: Job): Promise<void> {
    await this.applyJob(job);
  }

  private async applyById(queue: Queue, jobId: string): Promise<void> {
    if (this.closed) return;
    try {
      const job = await queue.getJob(jobId);
      if (job) await this.applyJob(job);
    } catch (err) {
      this.deps.logger.error({ jobId, err: redact(String(err), this.deps.secrets) }, 'applying a job failed');
    }
  }

  private async applyJob(job: Job): Promise<void> {
    // Stopping: the next coordinator applies it (the job stays in Redis until applied).
    if (this.closed) return;
    const outcome = await this.applier.apply(job);
    if (!outcome) return;
    const taskId = jobTask(job)?.request.task.id;
    const waiting = taskId ? this.pending.get(taskId) : undefined;
    if (taskId && waiting?.jobId === String(job.id)) {
      this.pending.delete(taskId);
      waiting.resolve(outcome);
    }
  }

  /** One pass over every task queue's finished jobs (start-up, then every reconcileIntervalMs). */
  reconcile(): Promise<void> {
    this.reconciling ??= this.reconcileNow().finally(() => {
      this.reconciling = undefined;
    });
    return this.reconciling;
  }

  private async reconcileNow(): Promise<void> {
    try {
      for (const { queue } of await listTaskQueues(this.redis, this.options.prefix)) this.queue(queue);
      for (const queue of this.queues.values()) {
        for (const job of await queue.getJobs(['completed', 'failed'])) {
          if (this.closed) return;
          await this.applyJob(job).catch((err: unknown) =>
            this.deps.logger.error(
              { jobId: job.id, err: redact(String(err), this.deps.secrets) },
              'applying a job failed',
            ),
          );
        }
      }
    } catch (err) {
      this.deps.logger.warn({ err: redact(String(err), this.deps.secrets) }, 'reconcile pass failed');
    }
  }

  /**
   * The queue for a model chain: the first model a live worker serves, else the first model
   * (the job waits there for such a worker; status says none serves it).
   */
  async route(chain: readonly string[]): Promise<string> {
    if (chain.length === 0) return queueNameFor(ANY_MODEL);
    const served = new Set((await this.workers()).flatMap((w) => w.models));
    const model = chain.find((m) => served.has(canonicalModel(m))) ?? chain[0]!;
    return queueNameFor(model);
  }

  /** The live workers (reused for a second: a burst of adds routes on one listing). */
  workers(): Promise<WorkerInfo[]> {
    const now = Date.now();
    if (!this.workersCache || now - this.workersCache.at > WORKERS_CACHE_MS) {
      this.workersCache = { at: now, list: listWorkers(this.redis, this.options.prefix).catch(() => []) };
    }
    return this.workersCache.list;
  }

  async stop(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.reconciling;
    await Promise.allSettled([...this.listeners.values()].map((l) => l.events.close()));
    for (const l of this.listeners.values()) l.conn.disconnect();
    await this.lease.release();
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    this.redis.disconnect();
  }
}
