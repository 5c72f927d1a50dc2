/** How long opening the store keeps trying while other processes hold the database's locks. */
const OPEN_DEADLINE_MS = 15_000;

const pause = new Int32Array(new SharedArrayBuffer(4));

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/**
 * Runs one step of opening the database again while SQLite answers SQLITE_BUSY. `busy_timeout`
 * does not cover every case: SQLite skips the busy handler where waiting could deadlock, and
 * switching a new database to WAL (a shared lock raised to an exclusive one) while other
 * processes open it too is such a case, so one of several coordinators and workers started
 * together failed at once. Each step given here must be safe to repeat (a pragma, or one
 * transaction). Written here, not with cockatiel: its policies are async, and the store's
 * constructor is synchronous; `Atomics.wait` sleeps the thread without a busy loop.
 */
export function retryWhileBusy<T>(step: () => T, deadlineMs = OPEN_DEADLINE_MS): T {
  const until = Date.now() + deadlineMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return step();
    } catch (err) {
      if (!isBusy(err) || Date.now() >= until) throw err;
      // 5, 10, 20, 40 ms, then 50 ms, with jitter so that the waiting processes do not collide again.
      const base = Math.min(50, 5 * 2 ** attempt);
      Atomics.wait(pause, 0, 0, base / 2 + Math.random() * base);
    }
  }
}
