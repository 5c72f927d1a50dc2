import type Database from 'better-sqlite3';
import { type AuditInput, appendAuditRows } from './audit-chain.js';

/** Deferred rows written in one transaction at most this many at a time (bounded memory and loss). */
export const AUDIT_BATCH_ROWS = 500;

/**
 * The audit rows a bulk intake (the start-up scan) may write in batches. While a deferral is
 * open, rows of the named events wait in memory and are written together, chained in the
 * order they were emitted; any other row first writes the waiting ones, so the chain order is
 * always emission order. Only rows that the next start writes again may wait: a crash loses at
 * most the waiting `task.queued` rows of files still in todo/, and the next scan queues and
 * audits those files again.
 */
export class AuditBuffer {
  private pending: AuditInput[] = [];
  private readonly deferred = new Map<string, number>();

  constructor(private readonly db: Database.Database) {}

  /** Appends a row now, or (an open deferral names its event) with the next batch. */
  add(name: string, taskId: string | undefined, payload: unknown, actor?: string): void {
    // Serialised now: a payload changed after the event must not change the row.
    const json = JSON.stringify(payload ?? null);
    this.pending.push({ name, taskId, payload, actor, json, ts: new Date().toISOString() });
    if (!this.deferred.has(name) || this.pending.length >= AUDIT_BATCH_ROWS) this.flush();
  }

  /**
   * Lets rows of `names` wait for a batch until the returned function is called (it writes
   * them). Deferrals nest; calling the function twice does nothing more.
   */
  defer(names: readonly string[]): () => void {
    for (const n of names) this.deferred.set(n, (this.deferred.get(n) ?? 0) + 1);
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      for (const n of names) {
        const left = (this.deferred.get(n) ?? 1) - 1;
        if (left > 0) this.deferred.set(n, left);
        else this.deferred.delete(n);
      }
      this.flush();
    };
  }

  /** Writes every waiting row (before a read of the audit table, and on close). */
  flush(): void {
    if (this.pending.length === 0) return;
    const rows = this.pending;
    this.pending = [];
    try {
      appendAuditRows(this.db, rows);
    } catch (err) {
      // Kept, in order, for the next write: a busy database must not drop rows.
      this.pending = rows.concat(this.pending);
      throw err;
    }
  }
}
