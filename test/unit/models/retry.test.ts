import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TpError } from '../../../src/errors/index.js';
import {
  backoffSchedule,
  nominalDelay,
  type RetryOptions,
  retryOptionsFrom,
  withRetry,
} from '../../../src/models/index.js';

const base: RetryOptions = { maxAttempts: 4, baseDelayMs: 1_000, maxDelayMs: 5_000, factor: 3 };
const transient = () => new TpError('refused', { code: 'NETWORK', retryable: true });

describe('backoff schedule', () => {
  it('grows by factor from baseDelayMs and stops at maxDelayMs', () => {
    expect([1, 2, 3, 4].map((n) => nominalDelay(n, base))).toEqual([1_000, 3_000, 5_000, 5_000]);
  });

  it('without jitter the schedule equals the nominal delays', () => {
    const next = backoffSchedule({ ...base, jitter: 0 });
    expect([next(), next(), next(), next()]).toEqual([1_000, 3_000, 5_000, 5_000]);
  });

  it('jitter keeps every delay within [d·(1−jitter), d]', () => {
    for (const r of [0, 0.25, 0.999999]) {
      const next = backoffSchedule({ ...base, factor: 2, maxDelayMs: 60_000, jitter: 0.5, random: () => r });
      const delays = [next(), next(), next(), next(), next()];
      delays.forEach((d, i) => {
        const nominal = 1_000 * 2 ** i;
        expect(d).toBeGreaterThanOrEqual(nominal / 2);
        expect(d).toBeLessThanOrEqual(nominal);
      });
    }
    const low = backoffSchedule({ ...base, random: () => 0 });
    const high = backoffSchedule({ ...base, random: () => 0.999999 });
    expect(low()).toBe(500);
    expect(high()).toBe(1_000);
  });

  it('Math.random jitter stays inside the bounds over many draws', () => {
    for (let i = 0; i < 200; i++) {
      const next = backoffSchedule({ ...base, factor: 2, maxDelayMs: 8_000 });
      const [a, b, c] = [next(), next(), next()];
      expect(a).toBeGreaterThanOrEqual(500);
      expect(a).toBeLessThanOrEqual(1_000);
      expect(b).toBeGreaterThanOrEqual(1_000);
      expect(b).toBeLessThanOrEqual(2_000);
      expect(c).toBeGreaterThanOrEqual(2_000);
      expect(c).toBeLessThanOrEqual(4_000);
    }
  });
});

describe('retryOptionsFrom', () => {
  const ollama = { retryAttempts: 3, retryDelay: 5_000 };
  it('falls back to the original ollama.retryAttempts / retryDelay', () => {
    expect(retryOptionsFrom({ retry: { maxDelayMs: 60_000, factor: 2 }, ollama })).toEqual({
      maxAttempts: 3,
      baseDelayMs: 5_000,
      maxDelayMs: 60_000,
      factor: 2,
    });
  });
  it('prefers retry.* when set, and never allows fewer than one attempt', () => {
    const r = retryOptionsFrom({
      retry: { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1_000, factor: 3 },
      ollama,
    });
    expect(r).toMatchObject({ maxAttempts: 5, baseDelayMs: 100, factor: 3 });
    expect(
      retryOptionsFrom({ retry: { maxDelayMs: 1, factor: 2 }, ollama: { retryAttempts: 0, retryDelay: 0 } })
        .maxAttempts,
    ).toBe(1);
  });
});

describe('withRetry', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('waits the backoff schedule between attempts', async () => {
    const calls: number[] = [];
    const start = Date.now();
    const done = withRetry(
      async (attempt) => {
        calls.push(Date.now() - start);
        if (attempt < 4) throw transient();
        return 'ok';
      },
      { ...base, jitter: 0 },
    );
    await vi.runAllTimersAsync();
    await expect(done).resolves.toBe('ok');
    expect(calls).toEqual([0, 1_000, 4_000, 9_000]);
  });

  it('does not retry permanent errors', async () => {
    const fn = vi.fn(async () => {
      throw new TpError('404', { code: 'MODEL_NOT_FOUND', retryable: false });
    });
    await expect(withRetry(fn, base)).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('gives up after maxAttempts and reports each retry', async () => {
    const onRetry = vi.fn();
    const fn = vi.fn(async () => {
      throw transient();
    });
    const done = withRetry(fn, { ...base, jitter: 0, onRetry });
    const check = expect(done).rejects.toMatchObject({ code: 'NETWORK' });
    await vi.runAllTimersAsync();
    await check;
    expect(fn).toHaveBeenCalledTimes(4);
    expect(onRetry.mock.calls.map((c) => c[0].delayMs)).toEqual([1_000, 3_000, 5_000]);
  });

  it('an abort during the backoff sleep ends the wait at once', async () => {
    const ctrl = new AbortController();
    const fn = vi.fn(async () => {
      throw transient();
    });
    const done = withRetry(fn, { ...base, signal: ctrl.signal });
    const check = expect(done).rejects.toMatchObject({ code: 'ABORTED' });
    await vi.advanceTimersByTimeAsync(10);
    ctrl.abort();
    await check;
    expect(fn).toHaveBeenCalledTimes(1);
  });
});
