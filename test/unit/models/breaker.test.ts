import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type BreakerTransition, CircuitBreaker } from '../../../src/models/index.js';

const opts = { failureThreshold: 3, successThreshold: 2, halfOpenRequests: 1, cooldownMs: 10_000 };

function failTimes(b: CircuitBreaker, n: number): void {
  for (let i = 0; i < n; i++) b.tryAcquire()!.failure(new Error(`boom ${i}`));
}

describe('CircuitBreaker', () => {
  let transitions: BreakerTransition[];
  let breaker: CircuitBreaker;

  beforeEach(() => {
    vi.useFakeTimers();
    breaker = new CircuitBreaker(opts);
    transitions = [];
    breaker.onTransition((t) => transitions.push(t));
  });
  afterEach(() => {
    breaker.dispose();
    vi.useRealTimers();
  });

  it('stays CLOSED below the failure threshold and a success resets the count', () => {
    failTimes(breaker, 2);
    breaker.tryAcquire()!.success();
    failTimes(breaker, 2);
    expect(breaker.state).toBe('CLOSED');
    expect(transitions).toEqual([]);
  });

  it('CLOSED → OPEN after failureThreshold consecutive failures', () => {
    failTimes(breaker, 3);
    expect(breaker.state).toBe('OPEN');
    expect(transitions).toHaveLength(1);
    expect(transitions[0]).toMatchObject({ from: 'CLOSED', to: 'OPEN', failures: 3 });
    expect((transitions[0]!.error as Error).message).toBe('boom 2');
  });

  it('OPEN rejects without calling the function', async () => {
    failTimes(breaker, 3);
    const fn = vi.fn(async () => 'called');
    expect(breaker.tryAcquire()).toBeUndefined();
    await expect(breaker.execute(fn)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN', retryable: true });
    expect(fn).not.toHaveBeenCalled();
  });

  it('OPEN → HALF_OPEN after the cool-down, not before', () => {
    failTimes(breaker, 3);
    vi.advanceTimersByTime(9_999);
    expect(breaker.state).toBe('OPEN');
    expect(breaker.msUntilHalfOpen).toBe(1);
    vi.advanceTimersByTime(1);
    expect(breaker.state).toBe('HALF_OPEN');
    expect(transitions.map((t) => t.to)).toEqual(['OPEN', 'HALF_OPEN']);
  });

  it('admits only halfOpenRequests probes at once while HALF_OPEN', () => {
    const b = new CircuitBreaker({ ...opts, halfOpenRequests: 2 });
    failTimes(b, 3);
    vi.advanceTimersByTime(10_000);
    const p1 = b.tryAcquire();
    const p2 = b.tryAcquire();
    expect(p1?.probe).toBe(true);
    expect(p2?.probe).toBe(true);
    expect(b.tryAcquire()).toBeUndefined();
    expect(b.available).toBe(false);
    p1!.release();
    expect(b.available).toBe(true);
    b.dispose();
  });

  it('HALF_OPEN → CLOSED only after successThreshold successful probes', () => {
    failTimes(breaker, 3);
    vi.advanceTimersByTime(10_000);
    breaker.tryAcquire()!.success();
    expect(breaker.state).toBe('HALF_OPEN');
    breaker.tryAcquire()!.success();
    expect(breaker.state).toBe('CLOSED');
    expect(transitions.map((t) => t.to)).toEqual(['OPEN', 'HALF_OPEN', 'CLOSED']);
    // Closed again: the failure count starts from zero.
    failTimes(breaker, 2);
    expect(breaker.state).toBe('CLOSED');
  });

  it('HALF_OPEN → OPEN on a probe failure, with a fresh cool-down', () => {
    failTimes(breaker, 3);
    vi.advanceTimersByTime(10_000);
    breaker.tryAcquire()!.success();
    breaker.tryAcquire()!.failure(new Error('still down'));
    expect(breaker.state).toBe('OPEN');
    expect(transitions.at(-1)).toMatchObject({ from: 'HALF_OPEN', to: 'OPEN', failures: 1 });
    vi.advanceTimersByTime(9_999);
    expect(breaker.state).toBe('OPEN');
    vi.advanceTimersByTime(1);
    expect(breaker.state).toBe('HALF_OPEN');
  });

  it('ignores outcomes of calls admitted before the breaker opened', () => {
    const late = breaker.tryAcquire()!;
    failTimes(breaker, 3);
    vi.advanceTimersByTime(10_000);
    late.success();
    expect(breaker.state).toBe('HALF_OPEN');
    const probe = breaker.tryAcquire()!;
    late.failure(new Error('late'));
    expect(breaker.state).toBe('HALF_OPEN');
    probe.success();
    breaker.tryAcquire()!.success();
    expect(breaker.state).toBe('CLOSED');
  });

  it('a permit settles once: a second report is ignored', () => {
    const p = breaker.tryAcquire()!;
    p.failure();
    p.failure();
    p.failure();
    failTimes(breaker, 1);
    expect(breaker.state).toBe('CLOSED');
  });

  it('execute() counts only failures the predicate accepts', async () => {
    const notHost = () => false;
    for (let i = 0; i < 5; i++) {
      await expect(breaker.execute(() => Promise.reject(new Error('404')), notHost)).rejects.toThrow('404');
    }
    expect(breaker.state).toBe('CLOSED');
    for (let i = 0; i < 3; i++) {
      await expect(breaker.execute(() => Promise.reject(new Error('down')))).rejects.toThrow('down');
    }
    expect(breaker.state).toBe('OPEN');
  });

  it('reaches HALF_OPEN lazily when the timer was disposed', () => {
    failTimes(breaker, 3);
    breaker.dispose();
    vi.setSystemTime(Date.now() + 10_000);
    expect(breaker.state).toBe('HALF_OPEN');
  });

  it('notifies change listeners when a probe slot frees up', () => {
    failTimes(breaker, 3);
    vi.advanceTimersByTime(10_000);
    const onChange = vi.fn();
    breaker.onChange(onChange);
    breaker.tryAcquire()!.release();
    expect(onChange).toHaveBeenCalledTimes(1);
  });

  it('rejects thresholds below 1', () => {
    expect(() => new CircuitBreaker({ ...opts, successThreshold: 0 })).toThrow(/at least 1/);
  });
});
