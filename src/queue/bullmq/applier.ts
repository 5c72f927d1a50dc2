import type { Job } from 'bullmq';
import type { EventBus, PipelineStage } from '../../events/index.js';
import type { TaskSource } from '../../intake/types.js';
import type { Logger } from '../../observability/index.js';
import type { FailedRun, RunResult } from '../../pipeline/run-result.js';
import { type ProcessOutcome, type SettleDeps, settleRun } from '../../pipeline/settle.js';
import { redact } from '../../secrets/index.js';
import type { JobLedger, Store } from '../../store/index.js';
import {
  type ProgressEvent,
  type StoreOp,
  type TaskJobData,
  taskJobDataSchema,
  taskJobResultSchema,
} from './contracts.js';

/** What applying a finished job needs: the coordinator's store, task files and settle path. */
export interface ApplierDeps {
  store: Store & JobLedger;
  source: TaskSource;
  settle: SettleDeps;
  secrets: string[];
  logger: Logger;
}

/** BullMQ's reason when a job's workers died more than `maxStalledCount` times. */
const STALLED = /stalled more than allowable limit|started more than allowable limit/i;

/**
 * The task of a job, from its data; undefined when the data does not parse (Redis is not
 * trusted: such a job is left alone, and logged).
 */
export function jobTask(job: Pick<Job, 'data'>): TaskJobData | undefined {
  const parsed = taskJobDataSchema.safeParse(job.data);
  return parsed.success ? (parsed.data as TaskJobData) : undefined;
}

/** A job that BullMQ failed (the worker threw, or it stalled too often) as a failed run. */
export function failedJobResult(
  data: TaskJobData,
  reason: string | undefined,
  startedAt: number,
  secrets: string[],
): FailedRun {
  const stalled = STALLED.test(reason ?? '');
  const message = redact(reason || 'the worker failed the job without a reason', secrets);
  return {
    status: 'failed',
    taskId: data.request.task.id,
    branch: data.request.branch,
    remote: '',
    model: undefined,
    host: undefined,
    startedAt,
    stageMs: {},
    stage: 'workspace' satisfies PipelineStage,
    attempts: [],
    outputTail: undefined,
    error: stalled
      ? {
          code: 'ABORTED',
          message: `The job's workers stopped (killed or lost) more often than queue.maxStalledCount allows: ${message}`,
          retryable: true,
          hint: 'Check the workers (status, their logs); retry-failed requeues the task.',
          details: {},
        }
      : {
          code: 'INTERNAL',
          message: `The worker crashed on this task: ${message}`,
          retryable: false,
          hint: "The worker's log has the stack; retry-failed requeues the task.",
          details: {},
        },
  };
}

/** The outcome of a result that was settled before (a repeated apply). */
export function outcomeOf(result: RunResult): ProcessOutcome {
  return result.status === 'pushed'
    ? { status: 'review', prUrl: result.pr?.url, prNumber: result.pr?.number, branch: result.branch }
    : { status: 'failed', code: result.error.code, retryable: result.error.retryable };
}

/** The task id a store op writes for (undefined: none named). */
function opTaskId(op: StoreOp): unknown {
  return op.op === 'audit' ? op.args[1] : op.args[0].taskId;
}

/** Replays a worker's store writes (already validated against the job's task). */
function replay(store: Store, ops: readonly StoreOp[]): void {
  for (const op of ops) {
    // The shapes come from the worker's recording store; the task id was checked by the caller.
    if (op.op === 'upsertRun') store.upsertRun(op.args[0] as unknown as Parameters<Store['upsertRun']>[0]);
    else if (op.op === 'addAttempt')
      store.addAttempt(op.args[0] as unknown as Parameters<Store['addAttempt']>[0]);
    else if (op.op === 'recordModelOutcome')
      store.recordModelOutcome(op.args[0] as unknown as Parameters<Store['recordModelOutcome']>[0]);
    else store.audit(op.args[0], op.args[1], op.args[2], op.args[3]);
  }
}

/**
 * Applies finished jobs: the worker's store writes and an applied marker in one transaction,
 * then `settleRun` while the task file is still in progress, then the job's removal. Each step
 * is safe to repeat, so a crash between any two is repaired by the next apply (live event,
 * start-up pass or periodic reconcile). Applies of one job never overlap in this process.
 */
export class ResultApplier {
  private readonly inFlight = new Map<string, Promise<ProcessOutcome | undefined>>();

  constructor(private readonly deps: ApplierDeps) {}

  /** Applies `job` if it finished (completed or failed); resolves its outcome, undefined when not applied. */
  apply(job: Job): Promise<ProcessOutcome | undefined> {
    const id = String(job.id);
    const running = this.inFlight.get(id);
    if (running) return running;
    const p = this.applyNow(job).finally(() => this.inFlight.delete(id));
    this.inFlight.set(id, p);
    return p;
  }

  private async applyNow(job: Job): Promise<ProcessOutcome | undefined> {
    const { store, source, logger, secrets } = this.deps;
    const jobId = String(job.id);
    const data = jobTask(job);
    if (!data) {
      logger.error({ jobId, queue: job.queueName }, 'job data does not parse; left in Redis for a person');
      return undefined;
    }
    const taskId = data.request.task.id;
    const state = await job.getState();
    let result: RunResult;
    let ops: StoreOp[] = [];
    if (state === 'completed') {
      const parsed = taskJobResultSchema.safeParse(job.returnvalue);
      if (!parsed.success || parsed.data.result.taskId !== taskId) {
        const why = parsed.success ? 'it names another task' : parsed.error.issues[0]?.message;
        logger.warn({ jobId, taskId, why }, "a worker's result does not parse; the task fails");
        result = failedJobResult(
          data,
          'the worker returned a result that does not parse',
          data.enqueuedAt,
          secrets,
        );
      } else {
        result = parsed.data.result as unknown as RunResult;
        // A worker writes only for the task of its job: anything else is dropped, not replayed.
        ops = parsed.data.storeOps.filter((op) => opTaskId(op) === taskId);
      }
    } else if (state === 'failed') {
      result = failedJobResult(data, job.failedReason, job.processedOn ?? data.enqueuedAt, secrets);
    } else return undefined;

    const fresh = store.applyJobOps(jobId, () => replay(store, ops));
    let outcome = outcomeOf(result);
    const found = await source.find(taskId);
    // A newer run of the task (requeued and claimed again) has its own job: not this one's to settle.
    const current = store.dispatchedJob(taskId);
    if (found?.state === 'doing' && (!current || current.jobId === jobId)) {
      const read = await source.read(found.file);
      const task = read.ok ? read.task : (data.request.task as TaskJobData['request']['task']);
      outcome = await settleRun(this.deps.settle, found.file, task, result);
    } else if (fresh) {
      logger.info({ taskId, jobId, state: found?.state }, 'job applied; its task had already moved on');
    }
    await job.remove().catch((err: unknown) => {
      logger.warn({ jobId, err: redact(String(err), secrets) }, 'could not remove an applied job');
    });
    store.forgetDispatch(taskId, jobId);
    return outcome;
  }
}

/** Task events a worker forwards as job progress, re-emitted on the coordinator's bus. */
export const FORWARDED_EVENTS = new Set([
  'task.stage',
  'attempt.started',
  'attempt.output',
  'attempt.failed',
  'attempt.succeeded',
  'model.selected',
  'review.completed',
]);

/**
 * Re-emits one progress event of a job whose task is `taskId`, when it is a forwarded event
 * about that very task (progress comes from Redis: anything else is dropped).
 */
export function forwardProgress(events: EventBus, taskId: string, progress: unknown): boolean {
  if (typeof progress !== 'object' || progress === null) return false;
  const { name, payload } = progress as Partial<ProgressEvent>;
  if (typeof name !== 'string' || !FORWARDED_EVENTS.has(name)) return false;
  if (typeof payload !== 'object' || payload === null) return false;
  if ((payload as { taskId?: unknown }).taskId !== taskId) return false;
  (events.emit as (n: string, p: unknown) => void).call(events, name, payload);
  return true;
}
