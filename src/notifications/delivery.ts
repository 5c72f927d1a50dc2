import type { EventBus } from '../events/index.js';
import { redact } from '../secrets/index.js';
import type { Store } from '../store/index.js';
import type { Clock } from './clock.js';
import { sendOnce } from './send.js';
import type { NotifierLogger, Outgoing, ResolvedChannel } from './types.js';

export interface DeliveryOptions {
  store: Store;
  events: EventBus;
  clock: Clock;
  secrets: readonly string[];
  logger: NotifierLogger | undefined;
  retries: number;
  retryDelayMs: number;
  timeoutMs: number;
  /** Aborted by close(): tries and backoff sleeps end, the delivery stays `pending`. */
  signal: AbortSignal;
}

/**
 * Sends a stored delivery with retries: `retryDelayMs`, doubled after each failed try, up to
 * `retries` retries, every try bounded by `timeoutMs`. A small loop rather than cockatiel's
 * RetryPolicy (as in src/models/retry.ts): the sleeps must run on the notifier's clock (tests
 * drive it) and end at shutdown, which cockatiel's sleep does not do. Every outcome lands in
 * the store and on the bus; nothing is thrown to the caller.
 */
export class Deliveries {
  readonly counts = { sent: 0, failed: 0 };

  constructor(private readonly o: DeliveryOptions) {}

  async deliver(
    id: number,
    channel: ResolvedChannel,
    event: string,
    out: Outgoing,
    attemptsBefore = 0,
  ): Promise<void> {
    const { o } = this;
    let attempts = attemptsBefore;
    for (let retry = 0; ; retry++) {
      attempts++;
      try {
        await sendOnce(channel, out, o.timeoutMs, o.signal);
        this.update(id, { status: 'sent', attempts, lastError: null });
        this.counts.sent++;
        o.events.emit('notification.sent', { channel: channel.name, event, attempts });
        return;
      } catch (err) {
        const error = redact((err as Error).message, o.secrets);
        if (o.signal.aborted) {
          this.update(id, { attempts, lastError: error });
          return;
        }
        if (retry >= o.retries) {
          this.update(id, { status: 'failed', attempts, lastError: error });
          this.counts.failed++;
          o.logger?.warn({ channel: channel.name, event, attempts, error }, 'notification not delivered');
          o.events.emit('notification.failed', { channel: channel.name, event, attempts, error });
          return;
        }
        this.update(id, { attempts, lastError: error });
        await this.sleep(o.retryDelayMs * 2 ** retry);
        if (o.signal.aborted) return;
      }
    }
  }

  private update(id: number, u: Parameters<Store['updateNotification']>[1]): void {
    try {
      this.o.store.updateNotification(id, u);
    } catch (err) {
      // The store may be closing under a late try; the log line is all that is left to do.
      this.o.logger?.warn(
        { id, error: redact(String(err), this.o.secrets) },
        'notification state not stored',
      );
    }
  }

  private sleep(ms: number): Promise<void> {
    const { clock, signal } = this.o;
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clock.clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = clock.setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
