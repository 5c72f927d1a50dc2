import type { ErrorCode } from '../errors/index.js';
import type { AuditListOptions, AuditRecord, AuditVerifyResult } from './audit-chain.js';
import type {
  NewNotification,
  NotificationRecord,
  NotificationStatus,
  NotificationUpdate,
} from './notification-log.js';
import type { AttemptWindowStats, AuditEventRow, ReviewTotals } from './stats-queries.js';

export type {
  AuditListOptions,
  AuditRecord,
  AuditVerifyResult,
  NewNotification,
  NotificationRecord,
  NotificationStatus,
  NotificationUpdate,
};

/** Where a task's run stands. The task file's folder is what users see; this is what we remember. */
export type RunState = 'queued' | 'running' | 'published' | 'review' | 'failed' | 'completed';

export interface RunRecord {
  taskId: string;
  file: string;
  format: 'folders' | 'backlog';
  state: RunState;
  stage: string | undefined;
  branch: string | undefined;
  commitSha: string | undefined;
  prNumber: number | undefined;
  prUrl: string | undefined;
  modelUsed: string | undefined;
  attempts: number;
  retryCount: number;
  error: string | undefined;
  updatedAt: string;
}

export interface AttemptRecord {
  taskId: string;
  attemptNumber: number;
  model: string;
  host?: string | undefined;
  startedAt: string;
  durationMs?: number | undefined;
  code?: ErrorCode | undefined;
  error?: string | undefined;
  errorType?: 'transient' | 'permanent' | undefined;
  outputTail?: string | undefined;
}

export interface PullRequestRecord {
  number: number;
  repo: string;
  head: string;
  base: string;
  title: string;
  body: string;
  labels: string[];
  state: 'open' | 'closed' | 'merged';
  taskId: string | undefined;
  createdAt: string;
  mergedAt: string | undefined;
}

/** A review comment on one line of a pull request (the local forge keeps them here). */
export interface ReviewCommentRecord {
  path: string;
  /** Line in the new version of the file; undefined for a comment on the whole file. */
  line: number | undefined;
  body: string;
}

/** How one model did on one task: what model selection learns from. */
export interface ModelOutcomeRecord {
  taskId: string;
  /** Canonical model name. */
  model: string;
  /** Task kind: a label (`label:bug`) or the classifier's bucket (`size:small`). */
  kind: string;
  ok: boolean;
  durationMs: number;
  tokens?: number | undefined;
  /** Epoch ms; default now. */
  recordedAt?: number;
}

/** Outcomes of one model on one kind of task, summed. */
export interface ModelOutcomeStats {
  model: string;
  kind: string;
  successes: number;
  failures: number;
  /** Durations of the successful runs, ascending (for percentiles). */
  durationsMs: number[];
}

/** Persistence seam. SQLite is the embedded default. */
export interface Store {
  getRun(taskId: string): RunRecord | undefined;
  /** The run that recorded pull request `prNumber` (the latest, should two have). */
  /** With `repository` (`owner/name` or a GitLab project path), only runs whose PR URL is in that repository. */
  findRunByPullRequest(prNumber: number, repository?: string): RunRecord | undefined;
  listRuns(state?: RunState): RunRecord[];
  upsertRun(run: Partial<RunRecord> & Pick<RunRecord, 'taskId'>): RunRecord;
  addAttempt(a: AttemptRecord): void;
  listAttempts(taskId: string): AttemptRecord[];
  createPullRequest(
    pr: Omit<PullRequestRecord, 'number' | 'createdAt' | 'state' | 'mergedAt'>,
  ): PullRequestRecord;
  getPullRequest(num: number): PullRequestRecord | undefined;
  findOpenPullRequest(repo: string, head: string): PullRequestRecord | undefined;
  listPullRequests(): PullRequestRecord[];
  setPullRequestState(num: number, state: PullRequestRecord['state']): void;
  addComment(prNumber: number, body: string): void;
  listComments(prNumber: number): string[];
  markDelivery(id: string): boolean;
  /** Forgets a delivery whose handling failed, so the forge's retry is processed. */
  forgetDelivery(id: string): void;
  /** Records a one-time notice under `key`; false when it was recorded before (do not send it again). */
  markNotice(key: string): boolean;
  /**
   * Appends a row to the hash-chained audit log. `actor`: who acted (webhook sender, CLI user);
   * default the payload's `actor`, else `ticket-processor`.
   */
  audit(name: string, taskId: string | undefined, payload: unknown, actor?: string): void;
  /**
   * Lets audit rows of `names` wait in memory and be written in batches (one transaction per
   * batch, chain order unchanged) until the returned function is called. For bulk intake
   * only: a crash loses the rows still waiting, so only events the next start emits again
   * (`task.queued` of the start-up scan) may be named. Optional: a store without it writes
   * every row at once.
   */
  deferAudit?(names: readonly string[]): () => void;
  /** Audit rows with their hashes, oldest first. */
  listAudit(opts: AuditListOptions): AuditRecord[];
  /** Walks the audit hash chain and names the first row that does not hold. */
  verifyAudit(): AuditVerifyResult;
  addReviewComments(prNumber: number, comments: readonly ReviewCommentRecord[]): void;
  listReviewComments(prNumber: number): ReviewCommentRecord[];
  /** A cached value under `key`, unless it expired. */
  cacheGet(key: string, now?: number): string | undefined;
  /** Stores `value` for `ttlMs`; beyond `maxEntries` the oldest entries are dropped. */
  cachePut(key: string, value: string, options: { ttlMs: number; maxEntries: number; now?: number }): void;
  recordModelOutcome(outcome: ModelOutcomeRecord): void;
  /** Outcomes recorded since `sinceMs` (epoch ms), per model and kind. */
  modelOutcomeStats(sinceMs: number): ModelOutcomeStats[];
  /** Attempts per model (as recorded) since `sinceIso`, for the stats module. */
  attemptStats(sinceIso: string): AttemptWindowStats[];
  /** Tokens per canonical model from the model outcomes since `sinceMs` (epoch ms). */
  modelTokens(sinceMs: number): Array<{ model: string; tokens: number }>;
  /** Audit rows named one of `names`, `sinceIso` ≤ ts < `untilIso`, oldest first. */
  auditEvents(names: readonly string[], sinceIso: string, untilIso?: string): AuditEventRow[];
  /** The review.completed audit rows since `sinceIso`, summed. */
  reviewTotals(sinceIso: string): ReviewTotals;
  /** Records a notification delivery as `pending`; returns its id. */
  addNotification(n: NewNotification): number;
  updateNotification(id: number, update: NotificationUpdate): void;
  /** Notification deliveries, newest first (default limit 100). */
  listNotifications(options?: { status?: NotificationStatus; limit?: number }): NotificationRecord[];
  /** Notification deliveries per status. */
  notificationCounts(): Record<NotificationStatus, number>;
  close(): void;
}
