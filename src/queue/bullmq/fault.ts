/*
 * Deterministic crash windows for the kill-a-worker tests: with NODE_ENV=test and
 * TP_FAULT=<point>, the worker SIGKILLs itself when it reaches that point, exactly like a
 * `kill -9` at the worst moment. Outside tests the variable is ignored.
 */

/** Where a worker may be made to die. */
export type FaultPoint = 'after-checkpoint' | 'after-push' | 'after-pr';

const POINTS: readonly FaultPoint[] = ['after-checkpoint', 'after-push', 'after-pr'];

/** The fault point in force for `env`, if any (only under NODE_ENV=test). */
export function faultPoint(env: Record<string, string | undefined>): FaultPoint | undefined {
  if (env.NODE_ENV !== 'test') return undefined;
  const want = env.TP_FAULT;
  return POINTS.find((p) => p === want);
}

/** Kills this process with SIGKILL when `at` is the configured fault point. */
export function maybeCrash(env: Record<string, string | undefined>, at: FaultPoint): void {
  if (faultPoint(env) === at) process.kill(process.pid, 'SIGKILL');
}
