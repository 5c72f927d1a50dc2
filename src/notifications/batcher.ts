import type { NotificationEventName } from '../config/index.js';
import type { Clock } from './clock.js';

const HOUR = 3_600_000;

interface Bucket<T> {
  channel: string;
  event: NotificationEventName;
  items: T[];
  timer: unknown;
}

/**
 * Groups items per channel and event: the first item of a quiet bucket opens a window of
 * `windowMs`, and everything arriving in it goes out as one message when it closes. A channel
 * sends at most `maxPerHour` messages in any hour; a bucket over the limit waits for a slot
 * and keeps gathering items, so a storm costs a few messages and nothing is dropped.
 */
export class Batcher<T> {
  private readonly buckets = new Map<string, Bucket<T>>();
  /** Send times per channel, within the last hour. */
  private readonly sent = new Map<string, number[]>();

  constructor(
    private readonly options: {
      clock: Clock;
      windowMs: number;
      maxPerHour: number;
      flush: (channel: string, event: NotificationEventName, items: T[]) => void;
    },
  ) {}

  add(channel: string, event: NotificationEventName, item: T): void {
    const key = `${channel}\u0000${event}`;
    let b = this.buckets.get(key);
    if (!b) {
      b = { channel, event, items: [], timer: undefined };
      this.buckets.set(key, b);
    }
    b.items.push(item);
    if (b.timer === undefined)
      b.timer = this.options.clock.setTimeout(() => this.fire(key), this.options.windowMs);
  }

  /** Items waiting in open windows (or for a rate-limit slot). */
  get waiting(): number {
    let n = 0;
    for (const b of this.buckets.values()) n += b.items.length;
    return n;
  }

  /** Sends every open bucket now, rate limit or not (shutdown: better late mail than lost mail). */
  flushAll(): void {
    for (const [key, b] of this.buckets) {
      if (b.timer !== undefined) this.options.clock.clearTimeout(b.timer);
      this.buckets.delete(key);
      if (b.items.length) this.options.flush(b.channel, b.event, b.items);
    }
  }

  private fire(key: string): void {
    const b = this.buckets.get(key);
    if (!b) return;
    b.timer = undefined;
    const wait = this.slotIn(b.channel);
    if (wait > 0) {
      b.timer = this.options.clock.setTimeout(() => this.fire(key), wait);
      return;
    }
    this.buckets.delete(key);
    this.sent.get(b.channel)!.push(this.options.clock.now());
    this.options.flush(b.channel, b.event, b.items);
  }

  /** Milliseconds until `channel` may send again (0: now). */
  private slotIn(channel: string): number {
    const now = this.options.clock.now();
    const times = (this.sent.get(channel) ?? []).filter((t) => t > now - HOUR);
    this.sent.set(channel, times);
    return times.length < this.options.maxPerHour ? 0 : times[0]! + HOUR - now;
  }
}
