/**
 * The timers of the notifier (batch windows, retry backoff, host-down delays, the digest) go
 * through this seam, so tests drive them with a manual clock while real sockets stay real.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * The process clock. Timers are unref'd: a pending batch or tomorrow's digest must not keep a
 * finished CLI command alive (close() flushes what is pending). Globals are read at call time
 * so that vitest's fake timers apply too.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = globalThis.setTimeout(fn, ms);
    if (typeof t === 'object' && t && 'unref' in t) t.unref();
    return t;
  },
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};
