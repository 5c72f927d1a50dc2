import { randomUUID } from 'node:crypto';
import type { NotificationEventName } from '../config/index.js';
import type { EventBus } from '../events/index.js';
import { redact } from '../secrets/index.js';
import type { Store } from '../store/index.js';
import { Batcher } from './batcher.js';
import { type Clock, systemClock } from './clock.js';
import { Deliveries } from './delivery.js';
import { digestCounts, nextDigestAt } from './digest.js';
import { composeMessage } from './message.js';
import { renderFor } from './render.js';
import { listenForTasks } from './task-events.js';
import type {
  NotificationItem,
  NotificationsConfig,
  NotifierLogger,
  Outgoing,
  ResolvedChannel,
} from './types.js';

export interface NotifierOptions {
  /** The `notifications` config section (windows, limits, retries, timers). */
  settings: NotificationsConfig;
  /** From resolveChannels(): env values read. */
  channels: ResolvedChannel[];
  events: EventBus;
  store: Store;
  /** Redacted from everything sent, stored and logged. */
  secrets: readonly string[];
  logger?: NotifierLogger;
  /** Timers and "now" (default: the process clock, unref'd timers). */
  clock?: Clock;
  /** The hints of failed tasks (from their error.json), read when a failure batch goes out. */
  failureHints?: (taskIds: string[]) => Promise<Map<string, string>>;
  /** How long close() waits for deliveries in flight before leaving them pending (default 2 s). */
  closeDeadlineMs?: number;
}

/**
 * Tells people what happened: listens on the event bus, batches per channel and event, rate-
 * limits per channel, and delivers in the background with retries. Listeners only enqueue, so
 * a slow or dead receiver never slows the pipeline; every message is kept in the store with
 * its outcome.
 */
export class Notifier {
  private readonly clock: Clock;
  private readonly batcher: Batcher<NotificationItem>;
  private readonly deliveries: Deliveries;
  private readonly shutdown = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly hostTimers = new Map<string, unknown>();
  /** Hosts announced down; not again until their breaker closes. */
  private readonly hostsDown = new Set<string>();
  /** Delivery ids this notifier is sending (a resume must not take them). */
  private readonly active = new Set<number>();
  private resumeTimer: unknown;
  private readonly off: Array<() => void> = [];
  private digestTimer: unknown;
  private started = false;
  private closed: Promise<void> | undefined;

  constructor(private readonly o: NotifierOptions) {
    this.clock = o.clock ?? systemClock;
    const notifications = o.settings;
    this.batcher = new Batcher({
      clock: this.clock,
      windowMs: notifications.batchWindowMs,
      maxPerHour: notifications.maxPerHour,
      flush: (channel, event, items) => this.track(this.dispatch(channel, event, items)),
    });
    this.deliveries = new Deliveries({
      store: o.store,
      events: o.events,
      clock: this.clock,
      secrets: o.secrets,
      logger: o.logger,
      retries: notifications.retries,
      retryDelayMs: notifications.retryDelayMs,
      timeoutMs: notifications.timeoutMs,
      signal: this.shutdown.signal,
    });
    this.listen();
  }

  /** Resends deliveries left `pending` by a previous process and schedules the daily digest. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.resumePending();
    this.scheduleDigest();
  }

  /** Delivered and failed messages since this notifier was built; `waiting`: items not yet sent. */
  stats(): { sent: number; failed: number; inFlight: number; waiting: number } {
    return { ...this.deliveries.counts, inFlight: this.inFlight.size, waiting: this.batcher.waiting };
  }

  /**
   * Stops listening and timers, sends the open batches, and waits for deliveries up to the
   * close deadline; what is still in flight then is cut off and stays `pending` in the store,
   * to be resent at the next start.
   */
  close(): Promise<void> {
    this.closed ??= (async () => {
      for (const off of this.off.splice(0)) off();
      for (const t of this.hostTimers.values()) this.clock.clearTimeout(t);
      this.hostTimers.clear();
      if (this.digestTimer !== undefined) this.clock.clearTimeout(this.digestTimer);
      if (this.resumeTimer !== undefined) this.clock.clearTimeout(this.resumeTimer);
      this.batcher.flushAll();
      const all = () => Promise.allSettled([...this.inFlight]);
      let timer: ReturnType<typeof setTimeout> | undefined;
      // Real time on purpose: shutdown must end even when the clock is a test's manual one.
      const deadline = new Promise<void>((r) => {
        timer = setTimeout(r, this.o.closeDeadlineMs ?? 2_000);
      });
      await Promise.race([all(), deadline]);
      clearTimeout(timer);
      this.shutdown.abort();
      await all();
    })();
    return this.closed;
  }

  private listen(): void {
    const { events } = this.o;
    const at = () => new Date(this.clock.now()).toISOString();
    this.off.push(
      ...listenForTasks(events, at, (item) => this.route(item)),
      events.on('breaker.opened', (e) => this.hostOpened(e.host, e.error)),
      events.on('breaker.closed', (e) => {
        const t = this.hostTimers.get(e.host);
        if (t !== undefined) this.clock.clearTimeout(t);
        this.hostTimers.delete(e.host);
        this.hostsDown.delete(e.host);
      }),
    );
  }

  /** An outage counts from the first opening; re-openings after half-open trials do not restart it. */
  private hostOpened(host: string, error: string): void {
    if (this.hostTimers.has(host) || this.hostsDown.has(host)) return;
    const minutes = this.o.settings.hostDownMinutes;
    this.hostTimers.set(
      host,
      this.clock.setTimeout(() => {
        this.hostTimers.delete(host);
        this.hostsDown.add(host);
        this.route({
          event: 'host.down',
          at: new Date(this.clock.now()).toISOString(),
          host,
          minutes,
          reason: error,
        });
      }, minutes * 60_000),
    );
  }

  private scheduleDigest(): void {
    const now = this.clock.now();
    this.digestTimer = this.clock.setTimeout(() => {
      try {
        const t = this.clock.now();
        this.route({ event: 'digest', at: new Date(t).toISOString(), ...digestCounts(this.o.store, t) });
      } catch (err) {
        this.o.logger?.warn({ error: this.redact(String(err)) }, 'daily digest not built');
      }
      this.scheduleDigest();
    }, nextDigestAt(now, this.o.settings.digestHour) - now);
  }

  /** Only enqueues: called from event listeners, it must never block or throw. */
  private route(item: NotificationItem): void {
    if (this.closed) return;
    for (const c of this.o.channels) if (c.events.has(item.event)) this.batcher.add(c.name, item.event, item);
  }

  private async dispatch(
    channelName: string,
    event: NotificationEventName,
    items: NotificationItem[],
  ): Promise<void> {
    const channel = this.o.channels.find((c) => c.name === channelName)!;
    try {
      if (event === 'task.failed' && this.o.failureHints) {
        const ids = items.flatMap((i) => (i.taskId ? [i.taskId] : []));
        const hints = await this.o.failureHints(ids).catch(() => new Map<string, string>());
        for (const i of items) i.hint ??= i.taskId ? hints.get(i.taskId) : undefined;
      }
      const message = composeMessage(event, items, this.o.secrets);
      const sentAt = new Date(this.clock.now()).toISOString();
      const out = renderFor(channel, message, randomUUID(), sentAt);
      const id = this.o.store.addNotification({
        channel: channel.name,
        event,
        subject: message.subject,
        payload: JSON.stringify(out),
      });
      await this.deliver(id, channel, event, out, 0);
    } catch (err) {
      this.o.logger?.warn(
        { channel: channel.name, event, error: this.redact(String(err)) },
        'notification not sent',
      );
    }
  }

  /**
   * How long a pending delivery may go without an update while some process still works on it:
   * the longest backoff sleep plus one try, and a margin. Older ones were left by a process that
   * is gone. Another process on the same store (a CLI command beside the service) thus never
   * resends what the service is still retrying.
   */
  private staleAfterMs(): number {
    const s = this.o.settings;
    return s.retryDelayMs * 2 ** s.retries + s.timeoutMs + 500;
  }

  /** Resends the stale pending deliveries; looks again later when some may still have an owner. */
  private resumePending(): void {
    this.resumeTimer = undefined;
    let pending: ReturnType<Store['listNotifications']>;
    try {
      pending = this.o.store.listNotifications({ status: 'pending', limit: 1_000 }).reverse();
    } catch {
      return;
    }
    const staleAfter = this.staleAfterMs();
    let recheck = false;
    for (const row of pending) {
      if (this.active.has(row.id)) continue;
      // Store times are wall-clock: compared with Date.now(), not the (maybe manual) clock.
      if (Date.now() - Date.parse(row.updatedAt) < staleAfter) {
        recheck = true;
        continue;
      }
      const channel = this.o.channels.find((c) => c.name === row.channel);
      if (!channel) {
        this.o.store.updateNotification(row.id, {
          status: 'failed',
          lastError: 'channel no longer configured',
        });
        continue;
      }
      let out: Outgoing;
      try {
        out = JSON.parse(row.payload) as Outgoing;
      } catch {
        this.o.store.updateNotification(row.id, { status: 'failed', lastError: 'stored payload unreadable' });
        continue;
      }
      this.track(this.deliver(row.id, channel, row.event, out, row.attempts));
    }
    if (recheck && !this.closed)
      this.resumeTimer = this.clock.setTimeout(() => this.resumePending(), staleAfter);
  }

  private async deliver(
    id: number,
    channel: ResolvedChannel,
    event: string,
    out: Outgoing,
    attemptsBefore: number,
  ): Promise<void> {
    this.active.add(id);
    try {
      await this.deliveries.deliver(id, channel, event, out, attemptsBefore);
    } finally {
      this.active.delete(id);
    }
  }

  private track(p: Promise<void>): void {
    const tracked = p.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private redact(text: string): string {
    return redact(text, this.o.secrets);
  }
}
