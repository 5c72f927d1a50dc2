import { TpError } from '../../errors/index.js';
import type {
  AttemptRecord,
  ModelOutcomeRecord,
  ModelOutcomeStats,
  RunRecord,
  Store,
} from '../../store/index.js';
import type { StoreOp, TaskJobData } from './contracts.js';

/** What the response cache needs: the worker's private store (never the project's SQLite). */
export type CacheStore = Pick<Store, 'cacheGet' | 'cachePut'>;

function notAvailable(method: string): never {
  throw new TpError(`Store.${method} is not available on a worker: the coordinator owns the store.`, {
    code: 'INTERNAL',
    retryable: false,
    hint: 'A stage that needs this must run on the coordinator (src/queue/bullmq/recording-store.ts).',
  });
}

/** A plain JSON copy: the op travels in the job's return value, and undefined must not become null. */
const json = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

/** The run record a worker starts from: what the coordinator put in the job. */
function snapshotOf(data: Pick<TaskJobData, 'request'>): RunRecord {
  const { request } = data;
  return {
    taskId: request.task.id,
    file: request.file,
    format: request.task.format,
    state: 'running',
    stage: undefined,
    branch: request.branch,
    commitSha: request.previous.commitSha,
    prNumber: undefined,
    prUrl: undefined,
    modelUsed: request.previous.modelUsed,
    attempts: 1,
    retryCount: request.kind === 'retry' ? 1 : 0,
    error: undefined,
    updatedAt: new Date().toISOString(),
  };
}

/**
 * The store a worker's stages see. Reads come from the job (the coordinator's snapshot of the
 * run) and the writes the stages make are recorded as `StoreOp`s, returned with the result and
 * replayed by the coordinator, the only writer of the store. The response cache goes to the
 * worker's private store. Anything else is a stage that should not run on a worker: it throws.
 */
export class RecordingStore implements Store {
  readonly ops: StoreOp[] = [];
  private run: RunRecord;

  constructor(
    data: Pick<TaskJobData, 'request'>,
    private readonly cache: CacheStore,
  ) {
    this.run = snapshotOf(data);
  }

  getRun(taskId: string): RunRecord | undefined {
    return taskId === this.run.taskId ? { ...this.run } : undefined;
  }

  upsertRun(run: Partial<RunRecord> & Pick<RunRecord, 'taskId'>): RunRecord {
    this.ops.push({ op: 'upsertRun', args: [json(run) as Record<string, unknown>] });
    if (run.taskId !== this.run.taskId) return { ...this.run, ...run } as RunRecord;
    const defined = Object.fromEntries(Object.entries(run).filter(([, v]) => v !== undefined));
    this.run = { ...this.run, ...defined, updatedAt: new Date().toISOString() };
    return { ...this.run };
  }

  addAttempt(a: AttemptRecord): void {
    this.ops.push({ op: 'addAttempt', args: [json(a) as unknown as Record<string, unknown>] });
  }

  listAttempts(): AttemptRecord[] {
    return [];
  }

  recordModelOutcome(outcome: ModelOutcomeRecord): void {
    this.ops.push({ op: 'recordModelOutcome', args: [json(outcome) as unknown as Record<string, unknown>] });
  }

  modelOutcomeStats(): ModelOutcomeStats[] {
    return [];
  }

  audit(name: string, taskId: string | undefined, payload: unknown, actor?: string): void {
    // The coordinator replays only the job's own task's rows, so a row without a task is not sent.
    if (taskId === undefined) return;
    const body = json(payload) ?? null;
    const args = (actor === undefined ? [name, taskId, body] : [name, taskId, body, actor]) as Extract<
      StoreOp,
      { op: 'audit' }
    >['args'];
    this.ops.push({ op: 'audit', args });
  }

  cacheGet(key: string, now?: number): string | undefined {
    return this.cache.cacheGet(key, now);
  }

  cachePut(key: string, value: string, options: { ttlMs: number; maxEntries: number; now?: number }): void {
    this.cache.cachePut(key, value, options);
  }

  findRunByPullRequest = (): never => notAvailable('findRunByPullRequest');
  listRuns = (): never => notAvailable('listRuns');
  createPullRequest = (): never => notAvailable('createPullRequest');
  getPullRequest = (): never => notAvailable('getPullRequest');
  findOpenPullRequest = (): never => notAvailable('findOpenPullRequest');
  listPullRequests = (): never => notAvailable('listPullRequests');
  setPullRequestState = (): never => notAvailable('setPullRequestState');
  addComment = (): never => notAvailable('addComment');
  listComments = (): never => notAvailable('listComments');
  markDelivery = (): never => notAvailable('markDelivery');
  forgetDelivery = (): never => notAvailable('forgetDelivery');
  markNotice = (): never => notAvailable('markNotice');
  listAudit = (): never => notAvailable('listAudit');
  verifyAudit = (): never => notAvailable('verifyAudit');
  addReviewComments = (): never => notAvailable('addReviewComments');
  listReviewComments = (): never => notAvailable('listReviewComments');
  attemptStats = (): never => notAvailable('attemptStats');
  modelTokens = (): never => notAvailable('modelTokens');
  auditEvents = (): never => notAvailable('auditEvents');
  reviewTotals = (): never => notAvailable('reviewTotals');
  addNotification = (): never => notAvailable('addNotification');
  updateNotification = (): never => notAvailable('updateNotification');
  listNotifications = (): never => notAvailable('listNotifications');
  notificationCounts = (): never => notAvailable('notificationCounts');

  /** Nothing to close: the private cache store belongs to the runner. */
  close(): void {}
}
