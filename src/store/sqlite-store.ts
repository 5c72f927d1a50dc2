import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AuditBuffer } from './audit-buffer.js';
import * as auditChain from './audit-chain.js';
import * as auditRead from './audit-read.js';
import { retryWhileBusy } from './busy-retry.js';
import type { DispatchedJob, JobLedger } from './job-ledger.js';
import * as jobLedger from './job-ledger.js';
import type {
  NewNotification,
  NotificationRecord,
  NotificationStatus,
  NotificationUpdate,
} from './notification-log.js';
import * as notificationLog from './notification-log.js';
import { MIGRATIONS } from './schema.js';
import * as extras from './sqlite-extras.js';
import { statement } from './statements.js';
import * as statsQueries from './stats-queries.js';
import type {
  AttemptRecord,
  ModelOutcomeRecord,
  ModelOutcomeStats,
  PullRequestRecord,
  ReviewCommentRecord,
  RunRecord,
  RunState,
  Store,
} from './types.js';

type Row = Record<string, unknown>;

const toRun = (r: Row): RunRecord => ({
  taskId: String(r.task_id),
  file: String(r.file),
  format: r.format as RunRecord['format'],
  state: r.state as RunState,
  stage: (r.stage as string | null) ?? undefined,
  branch: (r.branch as string | null) ?? undefined,
  commitSha: (r.commit_sha as string | null) ?? undefined,
  prNumber: (r.pr_number as number | null) ?? undefined,
  prUrl: (r.pr_url as string | null) ?? undefined,
  modelUsed: (r.model_used as string | null) ?? undefined,
  attempts: Number(r.attempts),
  retryCount: Number(r.retry_count),
  error: (r.error as string | null) ?? undefined,
  updatedAt: String(r.updated_at),
});

const toPr = (r: Row): PullRequestRecord => ({
  number: Number(r.number),
  repo: String(r.repo),
  head: String(r.head),
  base: String(r.base),
  title: String(r.title),
  body: String(r.body),
  labels: JSON.parse(String(r.labels)) as string[],
  state: r.state as PullRequestRecord['state'],
  taskId: (r.task_id as string | null) ?? undefined,
  createdAt: String(r.created_at),
  mergedAt: (r.merged_at as string | null) ?? undefined,
});

/**
 * The embedded store: one SQLite file in WAL mode. WAL with synchronous=NORMAL survives a
 * killed process (the case we test); only a power cut can lose the last transactions.
 */
export class SqliteStore implements Store, JobLedger {
  private readonly db: Database.Database;
  private readonly auditRows: AuditBuffer;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    // Before anything that takes a lock: several processes may open a new database at once.
    this.db.pragma('busy_timeout = 5000');
    // Each step on its own: a step that met SQLITE_BUSY is repeated, not the ones before it.
    retryWhileBusy(() => this.db.pragma('journal_mode = WAL'));
    this.db.pragma('synchronous = NORMAL');
    // The version is read inside an IMMEDIATE transaction (write lock first), so two processes
    // never both apply the same step ("table runs already exists").
    const step = this.db.transaction((): boolean => {
      const v = Number(this.db.pragma('user_version', { simple: true }));
      if (v >= MIGRATIONS.length) return false;
      this.db.exec(MIGRATIONS[v]!);
      this.db.pragma(`user_version = ${v + 1}`);
      return true;
    });
    while (retryWhileBusy(() => step.immediate())) {
      // one migration per transaction, until the schema is current
    }
    retryWhileBusy(() => auditChain.prepareAuditChain(this.db));
    this.auditRows = new AuditBuffer(this.db);
  }

  getRun(taskId: string): RunRecord | undefined {
    const r = statement(this.db, 'SELECT * FROM runs WHERE task_id = ?').get(taskId) as Row | undefined;
    return r ? toRun(r) : undefined;
  }

  findRunByPullRequest(prNumber: number, repository?: string): RunRecord | undefined {
    // With per-task repositories every repository has its own PR #1: the PR URL names the
    // repository. A run without a URL (none recorded) cannot be told apart, so it still matches.
    const r = (
      repository
        ? statement(
            this.db,
            `SELECT * FROM runs WHERE pr_number = ?
                 AND (pr_url IS NULL OR lower(pr_url) LIKE '%/' || lower(?) || '/%')
               ORDER BY pr_url IS NULL, updated_at DESC, rowid DESC LIMIT 1`,
          ).get(prNumber, repository)
        : statement(
            this.db,
            'SELECT * FROM runs WHERE pr_number = ? ORDER BY updated_at DESC, rowid DESC LIMIT 1',
          ).get(prNumber)
    ) as Row | undefined;
    return r ? toRun(r) : undefined;
  }

  listRuns(state?: RunState): RunRecord[] {
    const rows = state
      ? statement(this.db, 'SELECT * FROM runs WHERE state = ? ORDER BY updated_at').all(state)
      : statement(this.db, 'SELECT * FROM runs ORDER BY updated_at').all();
    return (rows as Row[]).map(toRun);
  }

  upsertRun(run: Partial<RunRecord> & Pick<RunRecord, 'taskId'>): RunRecord {
    const now = new Date().toISOString();
    const prev = this.getRun(run.taskId);
    const merged = { ...prev, ...run };
    const written = statement(
      this.db,
      `INSERT INTO runs (task_id, file, format, state, stage, branch, commit_sha, pr_number, pr_url, model_used,
           attempts, retry_count, error, created_at, updated_at)
         VALUES (@taskId, @file, @format, @state, @stage, @branch, @commitSha, @prNumber, @prUrl, @modelUsed,
           @attempts, @retryCount, @error, @now, @now)
         ON CONFLICT(task_id) DO UPDATE SET file=@file, format=@format, state=@state, stage=@stage, branch=@branch,
           commit_sha=@commitSha, pr_number=@prNumber, pr_url=@prUrl, model_used=@modelUsed, attempts=@attempts,
           retry_count=@retryCount, error=@error, updated_at=@now
         RETURNING *`,
    ).get({
      taskId: merged.taskId,
      file: merged.file ?? '',
      format: merged.format ?? 'folders',
      state: merged.state ?? 'queued',
      stage: merged.stage ?? null,
      branch: merged.branch ?? null,
      commitSha: merged.commitSha ?? null,
      prNumber: merged.prNumber ?? null,
      prUrl: merged.prUrl ?? null,
      modelUsed: merged.modelUsed ?? null,
      attempts: merged.attempts ?? 0,
      retryCount: merged.retryCount ?? 0,
      error: merged.error ?? null,
      now,
    }) as Row;
    // The row as written, from RETURNING: no second read of it.
    return toRun(written);
  }

  addAttempt(a: AttemptRecord): void {
    statement(
      this.db,
      `INSERT INTO attempts (task_id, attempt_number, model, host, started_at, duration_ms, code, error, error_type, output_tail)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      a.taskId,
      a.attemptNumber,
      a.model,
      a.host ?? null,
      a.startedAt,
      a.durationMs ?? null,
      a.code ?? null,
      a.error ?? null,
      a.errorType ?? null,
      a.outputTail ?? null,
    );
  }

  listAttempts(taskId: string): AttemptRecord[] {
    const rows = statement(this.db, 'SELECT * FROM attempts WHERE task_id = ? ORDER BY id').all(
      taskId,
    ) as Row[];
    return rows.map((r) => ({
      taskId: String(r.task_id),
      attemptNumber: Number(r.attempt_number),
      model: String(r.model),
      host: (r.host as string | null) ?? undefined,
      startedAt: String(r.started_at),
      durationMs: (r.duration_ms as number | null) ?? undefined,
      code: (r.code as AttemptRecord['code'] | null) ?? undefined,
      error: (r.error as string | null) ?? undefined,
      errorType: (r.error_type as AttemptRecord['errorType'] | null) ?? undefined,
      outputTail: (r.output_tail as string | null) ?? undefined,
    }));
  }

  createPullRequest(
    pr: Omit<PullRequestRecord, 'number' | 'createdAt' | 'state' | 'mergedAt'>,
  ): PullRequestRecord {
    const info = statement(
      this.db,
      `INSERT INTO pull_requests (repo, head, base, title, body, labels, state, task_id, created_at)
         VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?)`,
    ).run(
      pr.repo,
      pr.head,
      pr.base,
      pr.title,
      pr.body,
      JSON.stringify(pr.labels),
      pr.taskId ?? null,
      new Date().toISOString(),
    );
    return this.getPullRequest(Number(info.lastInsertRowid))!;
  }

  getPullRequest(num: number): PullRequestRecord | undefined {
    const r = statement(this.db, 'SELECT * FROM pull_requests WHERE number = ?').get(num) as Row | undefined;
    return r ? toPr(r) : undefined;
  }

  findOpenPullRequest(repo: string, head: string): PullRequestRecord | undefined {
    const r = statement(
      this.db,
      "SELECT * FROM pull_requests WHERE repo = ? AND head = ? AND state = 'open' ORDER BY number DESC",
    ).get(repo, head) as Row | undefined;
    return r ? toPr(r) : undefined;
  }

  listPullRequests(): PullRequestRecord[] {
    return (statement(this.db, 'SELECT * FROM pull_requests ORDER BY number').all() as Row[]).map(toPr);
  }

  setPullRequestState(num: number, state: PullRequestRecord['state']): void {
    statement(this.db, 'UPDATE pull_requests SET state = ?, merged_at = ? WHERE number = ?').run(
      state,
      state === 'merged' ? new Date().toISOString() : null,
      num,
    );
  }

  addComment(prNumber: number, body: string): void {
    statement(this.db, 'INSERT INTO pr_comments (pr_number, body, created_at) VALUES (?, ?, ?)').run(
      prNumber,
      body,
      new Date().toISOString(),
    );
  }

  listComments(prNumber: number): string[] {
    const rows = statement(this.db, 'SELECT body FROM pr_comments WHERE pr_number = ? ORDER BY id').all(
      prNumber,
    ) as Row[];
    return rows.map((r) => String(r.body));
  }

  /** Records a webhook delivery id; false when it was seen before (a replay). */
  markDelivery(id: string): boolean {
    const res = statement(this.db, 'INSERT OR IGNORE INTO deliveries (id, received_at) VALUES (?, ?)').run(
      id,
      new Date().toISOString(),
    );
    return res.changes === 1;
  }

  forgetDelivery(id: string): void {
    statement(this.db, 'DELETE FROM deliveries WHERE id = ?').run(id);
  }

  markNotice(key: string): boolean {
    const res = statement(this.db, 'INSERT OR IGNORE INTO notices (key, created_at) VALUES (?, ?)').run(
      key,
      new Date().toISOString(),
    );
    return res.changes === 1;
  }

  audit(name: string, taskId: string | undefined, payload: unknown, actor?: string): void {
    this.auditRows.add(name, taskId, payload, actor);
  }

  deferAudit(names: readonly string[]): () => void {
    return this.auditRows.defer(names);
  }

  listAudit(opts: auditChain.AuditListOptions): auditChain.AuditRecord[] {
    this.auditRows.flush();
    return auditRead.listAudit(this.db, opts);
  }

  verifyAudit(): auditChain.AuditVerifyResult {
    this.auditRows.flush();
    return auditRead.verifyAudit(this.db);
  }

  addReviewComments(prNumber: number, comments: readonly ReviewCommentRecord[]): void {
    extras.addReviewComments(this.db, prNumber, comments);
  }

  listReviewComments(prNumber: number): ReviewCommentRecord[] {
    return extras.listReviewComments(this.db, prNumber);
  }

  cacheGet(key: string, now?: number): string | undefined {
    return extras.cacheGet(this.db, key, now);
  }

  cachePut(key: string, value: string, options: { ttlMs: number; maxEntries: number; now?: number }): void {
    extras.cachePut(this.db, key, value, options);
  }

  recordModelOutcome(outcome: ModelOutcomeRecord): void {
    extras.recordModelOutcome(this.db, outcome);
  }

  modelOutcomeStats(sinceMs: number): ModelOutcomeStats[] {
    return extras.modelOutcomeStats(this.db, sinceMs);
  }

  attemptStats(sinceIso: string): statsQueries.AttemptWindowStats[] {
    return statsQueries.attemptStats(this.db, sinceIso);
  }

  modelTokens(sinceMs: number): Array<{ model: string; tokens: number }> {
    return statsQueries.modelTokens(this.db, sinceMs);
  }

  auditEvents(names: readonly string[], sinceIso: string, untilIso?: string): statsQueries.AuditEventRow[] {
    this.auditRows.flush();
    return statsQueries.auditEvents(this.db, names, sinceIso, untilIso);
  }

  reviewTotals(sinceIso: string): statsQueries.ReviewTotals {
    this.auditRows.flush();
    return statsQueries.reviewTotals(this.db, sinceIso);
  }

  addNotification(n: NewNotification): number {
    return notificationLog.addNotification(this.db, n);
  }

  updateNotification(id: number, update: NotificationUpdate): void {
    notificationLog.updateNotification(this.db, id, update);
  }

  listNotifications(options?: { status?: NotificationStatus; limit?: number }): NotificationRecord[] {
    return notificationLog.listNotifications(this.db, options);
  }

  notificationCounts(): Record<NotificationStatus, number> {
    return notificationLog.notificationCounts(this.db);
  }

  applyJobOps(jobId: string, replay: () => void): boolean {
    return jobLedger.applyJobOps(this.db, jobId, replay);
  }

  isJobApplied(jobId: string): boolean {
    return jobLedger.isJobApplied(this.db, jobId);
  }

  recordDispatch(job: DispatchedJob): void {
    jobLedger.recordDispatch(this.db, job);
  }

  dispatchedJob(taskId: string): DispatchedJob | undefined {
    return jobLedger.dispatchedJob(this.db, taskId);
  }

  forgetDispatch(taskId: string, jobId: string): void {
    jobLedger.forgetDispatch(this.db, taskId, jobId);
  }

  close(): void {
    try {
      this.auditRows.flush();
    } finally {
      this.db.close();
    }
  }
}
