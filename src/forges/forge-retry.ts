import {
  ExponentialBackoff,
  handleWhen,
  type IBackoff,
  type IBackoffFactory,
  type RetryPolicy,
  retry,
} from 'cockatiel';
import { TpError } from '../errors/index.js';

/** Retry tuning for transient forge API failures (429, 5xx, network, timeouts). */
export interface ForgeRetryOptions {
  /** Retries after the first attempt. Default 3. */
  maxRetries?: number;
  /** First backoff delay in ms. Default 500. */
  initialDelayMs?: number;
  /** Backoff ceiling in ms (also caps a server's Retry-After). Default 10 000. */
  maxDelayMs?: number;
}

/**
 * Exponential backoff with jitter that stretches to the server's hint (`details.retryAfterMs`
 * on the `TpError`, from Retry-After or a rate-limit reset header), bounded by the ceiling so
 * a hostile header cannot park the pipeline.
 */
class HintAwareBackoff implements IBackoffFactory<{ result: unknown }> {
  constructor(
    private readonly inner: IBackoffFactory<unknown>,
    private readonly maxDelayMs: number,
  ) {}

  next(context: { result: unknown }): IBackoff<{ result: unknown }> {
    const step = this.inner.next(context);
    const err = (context.result as { error?: unknown }).error;
    const hinted = TpError.isInstance(err) ? err.details.retryAfterMs : undefined;
    const duration =
      hinted !== undefined ? Math.min(Math.max(step.duration, hinted), this.maxDelayMs) : step.duration;
    return { duration, next: (ctx) => new HintAwareBackoff(step, this.maxDelayMs).next(ctx) };
  }
}

/** A cockatiel retry policy that retries only `TpError`s marked retryable. */
export function forgeRetryPolicy(options: ForgeRetryOptions = {}): RetryPolicy {
  const maxDelay = options.maxDelayMs ?? 10_000;
  return retry(
    handleWhen((err) => TpError.isInstance(err) && err.retryable),
    {
      maxAttempts: options.maxRetries ?? 3,
      backoff: new HintAwareBackoff(
        new ExponentialBackoff({ initialDelay: options.initialDelayMs ?? 500, maxDelay }),
        maxDelay,
      ),
    },
  );
}

/** Milliseconds to wait from a Retry-After header (seconds or an HTTP date). */
export function retryAfterMs(header: string | null | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
