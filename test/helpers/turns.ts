import { performance } from 'node:perf_hooks';

/**
 * Waits, one event-loop turn at a time, until `cond` holds. For tests with fake timers:
 * `setImmediate` and `performance.now()` are never faked there, so I/O callbacks still run and
 * the deadline is real time. A count of turns was not enough: under a loaded CI, a claim's file
 * and SQLite I/O outlasted 5,000 turns.
 */
export async function untilTurn(cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((r) => setImmediate(r));
  }
}
