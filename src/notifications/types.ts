import type { Config, NotificationEventName } from '../config/index.js';

/** The `notifications` config section, as validated. */
export type NotificationsConfig = Config['notifications'];

/** A channel with its `env:NAME` values read: what the senders use. Holds secrets; never logged. */
export interface ResolvedChannel {
  /** `name` from the config, default `<type>#<index>`: the key in logs and the store. */
  name: string;
  type: 'slack' | 'webhook' | 'email' | 'ntfy';
  url: string | undefined;
  /** `webhook`: the HMAC-SHA256 key. */
  secret: string | undefined;
  smtp:
    | { host: string; port: number; secure: boolean; user: string | undefined; pass: string | undefined }
    | undefined;
  from: string | undefined;
  to: string[];
  events: ReadonlySet<NotificationEventName>;
}

/** Counts of the daily digest, over the last 24 hours. */
export interface DigestCounts {
  completed: number;
  review: number;
  failed: number;
}

/**
 * One thing that happened, as the notifier keeps it until its batch goes out. Text fields are
 * raw (untrusted, unredacted): composeMessage cleans them.
 */
export interface NotificationItem {
  event: NotificationEventName;
  /** ISO time of the event. */
  at: string;
  taskId?: string;
  file?: string;
  /** What went wrong (error message, review reason, breaker error). */
  reason?: string;
  code?: string;
  /** What to do next (failure hint from error.json). */
  hint?: string;
  prUrl?: string;
  prNumber?: number;
  via?: string;
  host?: string;
  minutes?: number;
  counts?: DigestCounts;
  failedTasks?: string[];
}

/** One line of a message: cleaned plain text, unescaped (each renderer escapes for its format). */
export interface MessageLine {
  text: string;
  link?: { url: string; label: string };
  /** What to do about this line. */
  hint?: string;
}

/** A batch of items of one event, composed into a channel-neutral message. */
export interface Message {
  event: NotificationEventName;
  subject: string;
  lines: MessageLine[];
  /** What to do next, for the whole message. */
  next: string;
  priority: 'high' | 'default' | 'low';
  /** ntfy tags (emoji short codes). */
  tags: string[];
  /** The items, cleaned, for the JSON webhook. */
  items: Array<Record<string, unknown>>;
}

/**
 * What is sent, as stored in the deliveries table so a restart can resend it. It holds no
 * secret: the webhook signature is computed at send time and the channel URL is not kept.
 */
export type Outgoing =
  | { kind: 'http'; body: string; headers: Record<string, string> }
  | { kind: 'mail'; subject: string; text: string; html: string };

/** What the notifier logs through (a pino logger fits). */
export interface NotifierLogger {
  warn(obj: object, msg: string): void;
  info?(obj: object, msg: string): void;
}
