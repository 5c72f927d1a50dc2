import { z } from 'zod';
import { canonicalModel } from '../../models/names.js';
import type { RunRequest } from '../../pipeline/processor.js';
import type { RunResult } from '../../pipeline/run-result.js';
import type { Priority, Task } from '../../tasks/types.js';

/*
 * What crosses Redis between the coordinator (`start`) and the workers (`ticket-processor
 * worker`). Redis is a trust boundary: both ends parse with these schemas, a worker re-resolves
 * the target repository through its own allow-lists, and nothing here carries a secret.
 */

/** Version of the job data and result shapes; a worker refuses a job of another version. */
export const JOB_VERSION = 1;

/**
 * BullMQ priorities (lower runs first). Never 0: BullMQ runs un-prioritised jobs before every
 * prioritised one, so 0 would jump the queue.
 */
export const PRIORITY: Record<Priority | 'critical', number> = { critical: 1, high: 2, medium: 3, low: 4 };

/**
 * The job id of a task's run number `runNo`: adding it twice is a no-op (a coordinator that
 * crashed between claim and add re-adds it at start). BullMQ refuses ids with ':' and ids that
 * look like integers, hence the letters.
 */
export function jobIdFor(taskId: string, runNo: number): string {
  return `t${taskId.replace(/[^A-Za-z0-9._-]/g, '_')}-r${runNo}`;
}

/** The queue of jobs for command agents, which name no Ollama model. */
export const ANY_MODEL = '*';

/**
 * One BullMQ queue per canonical model: a worker listens only on the queues of the models it
 * serves, so a job never reaches a worker that cannot run it. ':' (model tags) is encoded,
 * since BullMQ joins key parts with it.
 */
export function queueNameFor(model: string): string {
  const name = model === ANY_MODEL ? 'any' : canonicalModel(model);
  return `tasks.${name.replace(/[^A-Za-z0-9._-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}`;
}

/** The model a queue name stands for (`queueNameFor` reversed; `*` for the command agents' queue). */
export function modelOfQueue(queue: string): string {
  const name = decodeURIComponent(queue.replace(/^tasks\./, ''));
  return name === 'any' ? ANY_MODEL : name;
}

const taskSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
    title: z.string().max(1_000),
    priority: z.enum(['high', 'medium', 'low']),
    labels: z.array(z.string()),
    dependencies: z.array(z.string()),
    suggestedModels: z.array(z.string()),
    description: z.string(),
    acceptanceCriteria: z.array(z.string()),
    body: z.string(),
    format: z.enum(['folders', 'backlog']),
  })
  .passthrough();

const runRequestSchema = z.object({
  kind: z.enum(['task', 'retry']),
  task: taskSchema,
  /** The task file's base name (messages only: a worker never reads or writes task files). */
  file: z.string().max(300),
  branch: z.string().min(1).max(250),
  previous: z.object({ commitSha: z.string().optional(), modelUsed: z.string().optional() }),
  freshSince: z.number().optional(),
});

/** What the coordinator puts in a job. */
export const taskJobDataSchema = z.object({
  v: z.literal(JOB_VERSION),
  request: runRequestSchema,
  /** The model chain the coordinator's selector chose (its store has the history). */
  selection: z.object({
    chain: z.array(z.string()),
    strategy: z.string(),
    kinds: z.array(z.string()),
    size: z.string(),
    reason: z.string(),
  }),
  /** Target repository key (`task.repo` or 'default'): the per-repository limit counts by it. */
  repoKey: z.string(),
  enqueuedAt: z.number(),
  /** Written by the worker after its commit and before its push (see `PipelineDeps.checkpoint`). */
  checkpoint: z
    .object({ commitSha: z.string(), modelUsed: z.string().optional(), worker: z.string(), at: z.number() })
    .optional(),
});

export type TaskJobData = z.infer<typeof taskJobDataSchema> & {
  request: RunRequest & { task: Task };
};

/**
 * A store write a worker made while running the stages, replayed by the coordinator (the only
 * writer of the store) in one transaction when it applies the result.
 */
export const storeOpSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('upsertRun'), args: z.tuple([z.record(z.string(), z.unknown())]) }),
  z.object({ op: z.literal('addAttempt'), args: z.tuple([z.record(z.string(), z.unknown())]) }),
  z.object({ op: z.literal('recordModelOutcome'), args: z.tuple([z.record(z.string(), z.unknown())]) }),
  z.object({
    op: z.literal('audit'),
    args: z.tuple([z.string(), z.string().optional(), z.unknown(), z.string().optional()]),
  }),
]);
export type StoreOp = z.infer<typeof storeOpSchema>;

/** What a worker returns (the job's return value). */
export interface TaskJobResult {
  v: typeof JOB_VERSION;
  /** The worker's name (status, tests). */
  worker: string;
  result: RunResult;
  storeOps: StoreOp[];
  elapsedMs: number;
}

export const taskJobResultSchema = z.object({
  v: z.literal(JOB_VERSION),
  worker: z.string(),
  result: z.object({ status: z.enum(['pushed', 'failed']), taskId: z.string() }).passthrough(),
  storeOps: z.array(storeOpSchema),
  elapsedMs: z.number(),
});

/**
 * One event of a running job, sent as job progress (live only: what the store needs travels in
 * `storeOps`). The coordinator re-emits it on its event bus (logs, metrics, dashboard).
 */
export interface ProgressEvent {
  seq: number;
  name: string;
  payload: unknown;
}

/** A worker's heartbeat, `<prefix>:workers:<id>` in Redis (expires when the worker is gone). */
export interface WorkerInfo {
  id: string;
  name: string;
  hostname: string;
  pid: number;
  /** Canonical models served (`*` for a command agent). */
  models: string[];
  hosts: string[];
  concurrency: number;
  version: string;
  startedAt: number;
  lastSeen: number;
  /** Jobs running now. */
  active: number;
  /** Jobs finished since start. */
  processed: number;
}

/** Redis keys outside BullMQ's own. */
export const redisKeys = {
  worker: (prefix: string, id: string) => `${prefix}:workers:${id}`,
  workersPattern: (prefix: string) => `${prefix}:workers:*`,
  coordinatorLease: (prefix: string) => `${prefix}:coordinator`,
};

/** Heartbeat period and time to live of a worker's registry entry. */
export const HEARTBEAT_MS = 5_000;
export const WORKER_TTL_MS = 30_000;
