import type Database from 'better-sqlite3';
import { statement } from './statements.js';

/*
 * The coordinator's record of BullMQ jobs (backend `bullmq`): which results were applied, and
 * which job each task in progress was handed to. SQLite is the coordinator's own disk, so this
 * survives a coordinator restart while Redis keeps the jobs themselves.
 */

/** The job a task in progress was handed to (`dispatched_jobs`). */
export interface DispatchedJob {
  taskId: string;
  jobId: string;
  queue: string;
  /** The job data as added (JSON), to add it again with the same id. */
  data: string;
}

/** The store side of the BullMQ backend; `SqliteStore` implements it. */
export interface JobLedger {
  /**
   * Replays a worker's store writes and marks the job applied, in one transaction. False (and
   * nothing replayed) when the job was applied before.
   */
  applyJobOps(jobId: string, replay: () => void): boolean;
  isJobApplied(jobId: string): boolean;
  recordDispatch(job: DispatchedJob): void;
  dispatchedJob(taskId: string): DispatchedJob | undefined;
  forgetDispatch(taskId: string, jobId: string): void;
}

export function applyJobOps(db: Database.Database, jobId: string, replay: () => void): boolean {
  const tx = db.transaction((): boolean => {
    const res = statement(db, 'INSERT OR IGNORE INTO applied_jobs (job_id, applied_at) VALUES (?, ?)').run(
      jobId,
      new Date().toISOString(),
    );
    if (res.changes !== 1) return false;
    replay();
    return true;
  });
  return tx.immediate();
}

export function isJobApplied(db: Database.Database, jobId: string): boolean {
  return statement(db, 'SELECT 1 FROM applied_jobs WHERE job_id = ?').get(jobId) !== undefined;
}

export function recordDispatch(db: Database.Database, job: DispatchedJob): void {
  statement(
    db,
    `INSERT INTO dispatched_jobs (task_id, job_id, queue, data, created_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT(task_id) DO UPDATE SET job_id = excluded.job_id, queue = excluded.queue,
       data = excluded.data, created_at = excluded.created_at`,
  ).run(job.taskId, job.jobId, job.queue, job.data, new Date().toISOString());
}

export function dispatchedJob(db: Database.Database, taskId: string): DispatchedJob | undefined {
  const r = statement(db, 'SELECT task_id, job_id, queue, data FROM dispatched_jobs WHERE task_id = ?').get(
    taskId,
  ) as { task_id: string; job_id: string; queue: string; data: string } | undefined;
  return r && { taskId: r.task_id, jobId: r.job_id, queue: r.queue, data: r.data };
}

export function forgetDispatch(db: Database.Database, taskId: string, jobId: string): void {
  statement(db, 'DELETE FROM dispatched_jobs WHERE task_id = ? AND job_id = ?').run(taskId, jobId);
}
