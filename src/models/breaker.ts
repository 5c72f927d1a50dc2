import { TpError } from '../errors/index.js';
import type { BreakerState } from './types.js';

export interface BreakerOptions {
  /** Consecutive failures (while CLOSED) that open the breaker. */
  failureThreshold: number;
  /** Consecutive successful probes (while HALF_OPEN) that close it. */
  successThreshold: number;
  /** Probes allowed in flight at once while HALF_OPEN. */
  halfOpenRequests: number;
  /** How long the breaker stays OPEN before admitting probes. */
  cooldownMs: number;
}

export interface BreakerTransition {
  from: BreakerState;
  to: BreakerState;
  /** Failures counted when the breaker opened. */
  failures: number;
  /** The failure that caused an opening, if any. */
  error?: unknown;
}

/** Admission to run one call; report its outcome exactly once. */
export interface BreakerPermit {
  /** True when this call is a HALF_OPEN probe. */
  readonly probe: boolean;
  success(): void;
  failure(error?: unknown): void;
  /** The call ended without telling anything about the host (e.g. aborted by the caller). */
  release(): void;
}

/**
 * A circuit breaker for one Ollama host: CLOSED → OPEN after `failureThreshold` consecutive
 * failures → HALF_OPEN after `cooldownMs` → CLOSED after `successThreshold` consecutive probe
 * successes, or back to OPEN on any probe failure.
 *
 * Why not cockatiel's `CircuitBreakerPolicy`: its HALF_OPEN state admits exactly one test call,
 * makes every other caller wait on it and closes after that single success, so neither
 * `successThreshold` nor `halfOpenRequests` from the configuration can be expressed, and its
 * OPEN rejection only happens inside `execute()`, while the router must ask "is this host
 * usable?" before choosing it. This small state machine is cockatiel's model plus those two
 * knobs, with an explicit permit so health probes and real calls share one breaker.
 *
 * Time comes from `Date.now()` and `setTimeout`, so fake timers drive it in tests.
 */
export class CircuitBreaker {
  private current: BreakerState = 'CLOSED';
  private failures = 0;
  private successes = 0;
  private inFlightProbes = 0;
  private openedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(t: BreakerTransition) => void>();
  private readonly releaseListeners = new Set<() => void>();

  constructor(private readonly options: BreakerOptions) {
    if (options.failureThreshold < 1 || options.successThreshold < 1 || options.halfOpenRequests < 1) {
      throw new TpError('Circuit breaker thresholds must be at least 1', {
        code: 'CONFIG_INVALID',
        hint: 'Set ollama.healthCheck.failureThreshold, successThreshold and halfOpenRequests to 1 or more.',
      });
    }
  }

  get state(): BreakerState {
    this.refresh();
    return this.current;
  }

  /** Milliseconds until an OPEN breaker admits probes (0 when not OPEN). */
  get msUntilHalfOpen(): number {
    if (this.current !== 'OPEN') return 0;
    return Math.max(0, this.openedAt + this.options.cooldownMs - Date.now());
  }

  /** True when `tryAcquire()` would succeed right now. */
  get available(): boolean {
    this.refresh();
    if (this.current === 'CLOSED') return true;
    if (this.current === 'HALF_OPEN') return this.inFlightProbes < this.options.halfOpenRequests;
    return false;
  }

  /** Listen to state changes; returns an unsubscribe function. */
  onTransition(listener: (t: BreakerTransition) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Listen for anything that may make the breaker available again (transitions, released probes). */
  onChange(listener: () => void): () => void {
    this.releaseListeners.add(listener);
    return () => this.releaseListeners.delete(listener);
  }

  /** Admits a call, or returns undefined when the breaker is OPEN or its probes are all taken. */
  tryAcquire(): BreakerPermit | undefined {
    if (!this.available) return undefined;
    const probe = this.current === 'HALF_OPEN';
    if (probe) this.inFlightProbes++;
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      if (probe) this.inFlightProbes--;
      fn();
      this.notify();
    };
    return {
      probe,
      success: () => settle(() => this.onSuccess(probe)),
      failure: (error?: unknown) => settle(() => this.onFailure(probe, error)),
      release: () => settle(() => {}),
    };
  }

  /** Runs `fn` if admitted; otherwise throws a retryable `CIRCUIT_OPEN` error without calling it. */
  async execute<T>(fn: () => Promise<T>, isFailure: (err: unknown) => boolean = () => true): Promise<T> {
    const permit = this.tryAcquire();
    if (!permit) {
      throw new TpError(`Circuit ${this.current}; next probe in ${Math.ceil(this.msUntilHalfOpen / 1000)}s`, {
        code: 'CIRCUIT_OPEN',
        retryable: true,
        details: { state: this.current, retryInMs: this.msUntilHalfOpen },
      });
    }
    try {
      const value = await fn();
      permit.success();
      return value;
    } catch (err) {
      if (isFailure(err)) permit.failure(err);
      else permit.success();
      throw err;
    }
  }

  /** Stops the cool-down timer (the breaker keeps working, lazily, without it). */
  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private onSuccess(probe: boolean): void {
    if (this.current === 'CLOSED') {
      this.failures = 0;
      return;
    }
    // A success reported while OPEN comes from a call admitted before the breaker opened; it
    // says nothing about the host now.
    if (this.current !== 'HALF_OPEN' || !probe) return;
    this.successes++;
    if (this.successes >= this.options.successThreshold) this.transition('CLOSED', 0);
  }

  private onFailure(probe: boolean, error: unknown): void {
    if (this.current === 'CLOSED') {
      this.failures++;
      if (this.failures >= this.options.failureThreshold) this.open(error, this.failures);
      return;
    }
    if (this.current === 'HALF_OPEN' && probe) this.open(error, 1);
  }

  private open(error: unknown, failures: number): void {
    this.openedAt = Date.now();
    this.transition('OPEN', failures, error);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.toHalfOpen(), this.options.cooldownMs);
    this.timer.unref?.();
  }

  private toHalfOpen(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.current === 'OPEN') this.transition('HALF_OPEN', 0);
  }

  /** The timer normally moves OPEN → HALF_OPEN; this covers a disposed or delayed timer. */
  private refresh(): void {
    if (this.current === 'OPEN' && Date.now() >= this.openedAt + this.options.cooldownMs) this.toHalfOpen();
  }

  private transition(to: BreakerState, failures: number, error?: unknown): void {
    const from = this.current;
    if (from === to) return;
    this.current = to;
    this.successes = 0;
    this.failures = 0;
    const event: BreakerTransition = { from, to, failures, ...(error !== undefined ? { error } : {}) };
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // A listener (logger, metrics) must not break the breaker.
      }
    }
    this.notify();
  }

  private notify(): void {
    for (const l of this.releaseListeners) {
      try {
        l();
      } catch {
        // see transition()
      }
    }
  }
}
