import { EventBus, type TpEventName } from '../../events/index.js';
import { redact, redactLikelySecrets } from '../../secrets/index.js';
import { FORWARDED_EVENTS } from './applier.js';
import type { ProgressEvent } from './contracts.js';

/** Agent output forwarded per second at most (debug level only), and its size cap per chunk. */
const OUTPUT_PER_SECOND = 4;
const OUTPUT_MAX_CHARS = 4_096;

export interface JobEventsOptions {
  taskId: string;
  /** Sends one progress event (`job.updateProgress`). */
  send: (e: ProgressEvent) => Promise<unknown>;
  secrets: string[];
  /** Forward `attempt.output` (logging.level debug); otherwise it stays on the worker. */
  debug: boolean;
  onError?: (err: unknown) => void;
}

/**
 * The event bus of one job: the stages emit on it as they do in-process, and the events the
 * coordinator re-emits (its `FORWARDED_EVENTS`, about this job's task) go out as job progress,
 * redacted, in order. Progress is live only: what the store needs travels in the result.
 */
export class JobEvents {
  readonly bus = new EventBus();
  private seq = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private outputTimes: number[] = [];

  constructor(private readonly opts: JobEventsOptions) {
    this.bus.onAny((name, payload) => this.forward(name, payload));
  }

  /** Forwards one event (also used for the runner's shared bus: router events naming this task). */
  forward(name: TpEventName | string, payload: unknown): void {
    if (!FORWARDED_EVENTS.has(name)) return;
    if (typeof payload !== 'object' || payload === null) return;
    if ((payload as { taskId?: unknown }).taskId !== this.opts.taskId) return;
    let body = payload as Record<string, unknown>;
    if (name === 'attempt.output') {
      if (!this.opts.debug || !this.outputAllowed()) return;
      const chunk = String(body.chunk ?? '');
      body = { ...body, chunk: chunk.length > OUTPUT_MAX_CHARS ? chunk.slice(-OUTPUT_MAX_CHARS) : chunk };
    }
    const event: ProgressEvent = { seq: ++this.seq, name, payload: this.clean(body) };
    this.chain = this.chain
      .then(() => this.opts.send(event))
      .catch((err: unknown) => this.opts.onError?.(err));
  }

  /** Resolves once every progress event sent so far has reached Redis (or failed). */
  flush(): Promise<void> {
    return this.chain.then(() => undefined);
  }

  private outputAllowed(): boolean {
    const now = Date.now();
    this.outputTimes = this.outputTimes.filter((t) => now - t < 1_000);
    if (this.outputTimes.length >= OUTPUT_PER_SECOND) return false;
    this.outputTimes.push(now);
    return true;
  }

  private clean(payload: Record<string, unknown>): unknown {
    const text = redactLikelySecrets(redact(JSON.stringify(payload), this.opts.secrets));
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // Redaction broke the JSON (a secret spanning an escape): send the names only.
      return { taskId: this.opts.taskId, redacted: true };
    }
  }
}
