import { ExponentialBackoff, type GeneratorFn, type IBackoff } from 'cockatiel';
import { classify, TpError } from '../errors/index.js';

export interface RetryOptions {
  /** Attempts per model, the first one included (≥ 1). */
  maxAttempts: number;
  /** Delay before the first retry, before jitter. */
  baseDelayMs: number;
  /** Ceiling of any single delay. */
  maxDelayMs: number;
  /** Multiplier between consecutive delays. */
  factor: number;
  /**
   * Share of each delay that is randomised: the delay lies in `[d·(1−jitter), d]`. Default 0.5
   * ("equal jitter"), which spreads clients apart yet never retries immediately.
   */
  jitter?: number;
  /** Random source in [0, 1); injectable for tests. */
  random?: () => number;
}

/** The configuration sections this module reads (structural, so callers need not pass Config). */
export interface RetryConfigInput {
  retry: {
    maxAttempts?: number | undefined;
    baseDelayMs?: number | undefined;
    maxDelayMs: number;
    factor: number;
  };
  ollama: { retryAttempts: number; retryDelay: number };
}

/**
 * Retry options from the configuration: `retry.*` wins, the original tool's
 * `ollama.retryAttempts` / `ollama.retryDelay` fill what it leaves unset.
 */
export function retryOptionsFrom(config: RetryConfigInput): RetryOptions {
  return {
    maxAttempts: Math.max(1, config.retry.maxAttempts ?? config.ollama.retryAttempts),
    baseDelayMs: config.retry.baseDelayMs ?? config.ollama.retryDelay,
    maxDelayMs: config.retry.maxDelayMs,
    factor: config.retry.factor,
  };
}

/** The un-jittered delay before retry number `retry` (1-based): base·factor^(retry−1), capped. */
export function nominalDelay(retry: number, options: RetryOptions): number {
  const raw = options.baseDelayMs * options.factor ** Math.max(0, retry - 1);
  return Math.min(options.maxDelayMs, Number.isFinite(raw) ? raw : options.maxDelayMs);
}

/**
 * A generator for cockatiel's `ExponentialBackoff`. Cockatiel's own jitter generators use a
 * fixed exponent of 2 (they ignore `exponent`), and the configuration has a `factor`.
 */
export function jitteredGenerator(options: RetryOptions): GeneratorFn<number> {
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 0.5));
  const random = options.random ?? Math.random;
  return (state = 0) => {
    const retry = state + 1;
    const nominal = nominalDelay(retry, options);
    return [Math.round(nominal * (1 - jitter) + random() * nominal * jitter), retry];
  };
}

/** An iterator of backoff delays (ms) for one sequence of retries. */
export function backoffSchedule(options: RetryOptions): () => number {
  const factory = new ExponentialBackoff({
    generator: jitteredGenerator(options),
    initialDelay: options.baseDelayMs,
    maxDelay: options.maxDelayMs,
    exponent: options.factor,
  });
  let current: IBackoff<unknown> | undefined;
  return () => {
    current = current ? current.next(undefined) : factory.next();
    return current.duration;
  };
}

/** Resolves after `ms`, or rejects with an `ABORTED` error as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function abortError(signal: AbortSignal): TpError {
  if (TpError.isInstance(signal.reason)) return signal.reason;
  return new TpError('Cancelled', { code: 'ABORTED', retryable: true, cause: signal.reason });
}

export interface RetryEvent {
  /** The attempt that failed (1-based). */
  attempt: number;
  delayMs: number;
  error: TpError;
}

/**
 * Runs `fn` until it succeeds, fails permanently, or `maxAttempts` is used up, sleeping a
 * jittered exponential backoff (cockatiel's `ExponentialBackoff`) between attempts.
 *
 * Why not cockatiel's `RetryPolicy`: its backoff sleep ignores the abort signal, so a shutdown
 * would hang for up to `maxDelayMs`; this loop's sleep aborts at once.
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions & {
    signal?: AbortSignal;
    shouldRetry?: (err: TpError) => boolean;
    onRetry?: (e: RetryEvent) => void;
  },
): Promise<T> {
  const next = backoffSchedule(options);
  const shouldRetry = options.shouldRetry ?? ((e: TpError) => e.retryable);
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const error = classify(err);
      if (options.signal?.aborted || attempt >= options.maxAttempts || !shouldRetry(error)) throw error;
      const delayMs = next();
      options.onRetry?.({ attempt, delayMs, error });
      await sleep(delayMs, options.signal);
    }
  }
}
