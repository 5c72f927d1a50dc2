import type Database from 'better-sqlite3';
import { statement } from './statements.js';

/*
 * The notification deliveries table (migration 4): every message a channel was sent, with its
 * outcome, so failed ones show on the dashboard and pending ones left by a crash are retried.
 * Plain functions over the connection, like sqlite-extras.ts.
 */

/** Where a delivery stands: `pending` until it was sent or its retries ran out. */
export type NotificationStatus = 'pending' | 'sent' | 'failed';

/** One message to one channel. `payload` is what is sent (already redacted), never a secret. */
export interface NotificationRecord {
  id: number;
  /** The channel's name (`name` in the config, default `<type>#<index>`). */
  channel: string;
  /** The notification event (`task.failed`, `digest`, …). */
  event: string;
  subject: string;
  payload: string;
  status: NotificationStatus;
  attempts: number;
  lastError: string | undefined;
  createdAt: string;
  updatedAt: string;
}

export type NewNotification = Pick<NotificationRecord, 'channel' | 'event' | 'subject' | 'payload'>;

export interface NotificationUpdate {
  status?: NotificationStatus;
  attempts?: number;
  /** Null clears it. */
  lastError?: string | null;
}

type Row = Record<string, unknown>;

const toRecord = (r: Row): NotificationRecord => ({
  id: Number(r.id),
  channel: String(r.channel),
  event: String(r.event),
  subject: String(r.subject),
  payload: String(r.payload),
  status: r.status as NotificationStatus,
  attempts: Number(r.attempts),
  lastError: (r.last_error as string | null) ?? undefined,
  createdAt: String(r.created_at),
  updatedAt: String(r.updated_at),
});

/** Records a new delivery as `pending`; returns its id. */
export function addNotification(db: Database.Database, n: NewNotification): number {
  const now = new Date().toISOString();
  const info = statement(
    db,
    `INSERT INTO notification_deliveries (channel, event, subject, payload, status, attempts, created_at, updated_at)
       VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)`,
  ).run(n.channel, n.event, n.subject, n.payload, now, now);
  return Number(info.lastInsertRowid);
}

export function updateNotification(db: Database.Database, id: number, u: NotificationUpdate): void {
  const sets: string[] = ['updated_at = @now'];
  if (u.status !== undefined) sets.push('status = @status');
  if (u.attempts !== undefined) sets.push('attempts = @attempts');
  if (u.lastError !== undefined) sets.push('last_error = @lastError');
  statement(db, `UPDATE notification_deliveries SET ${sets.join(', ')} WHERE id = @id`).run({
    id,
    now: new Date().toISOString(),
    status: u.status ?? null,
    attempts: u.attempts ?? null,
    lastError: u.lastError ?? null,
  });
}

/** Deliveries, newest first; `limit` defaults to 100. */
export function listNotifications(
  db: Database.Database,
  options: { status?: NotificationStatus; limit?: number } = {},
): NotificationRecord[] {
  const limit = options.limit ?? 100;
  const rows = (
    options.status
      ? statement(db, 'SELECT * FROM notification_deliveries WHERE status = ? ORDER BY id DESC LIMIT ?').all(
          options.status,
          limit,
        )
      : statement(db, 'SELECT * FROM notification_deliveries ORDER BY id DESC LIMIT ?').all(limit)
  ) as Row[];
  return rows.map(toRecord);
}

/** How many deliveries are in each status (all three keys present). */
export function notificationCounts(db: Database.Database): Record<NotificationStatus, number> {
  const out: Record<NotificationStatus, number> = { pending: 0, sent: 0, failed: 0 };
  const rows = statement(
    db,
    'SELECT status, COUNT(*) AS n FROM notification_deliveries GROUP BY status',
  ).all() as Row[];
  for (const r of rows) if (String(r.status) in out) out[r.status as NotificationStatus] = Number(r.n);
  return out;
}
