import { describe, expect, it } from 'vitest';
import { type OutageReport, runOutageScenario } from './scenario.js';

/**
 * The outage benchmark in small: 8 tickets through the real pipeline (built-in agent, model
 * router, real git) while the only Ollama host is down for 3 s in the middle.
 */
describe('Ollama outage through the real pipeline', () => {
  let report: OutageReport;

  it('waits the outage out: no task fails, the breaker opens and closes, a dead host gets no traffic', async () => {
    report = await runOutageScenario({
      tasks: 8,
      concurrency: 2,
      downAfterPublished: 2,
      downForMs: 3_000,
      chatLatencyMs: 150,
      healthCheck: {
        interval: 250,
        timeout: 500,
        failureThreshold: 2,
        successThreshold: 2,
        halfOpenRequests: 1,
        cooldownMs: 1_000,
        maxWaitMs: 60_000,
      },
      retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1_000 },
      deadlineMs: 90_000,
    });

    expect(report.failures).toEqual([]);
    expect(report.failed).toBe(0);
    expect(report.inReview).toBe(8);
    // The outage happened while work was in flight, and the router noticed it.
    expect(report.outageMs).toBeGreaterThanOrEqual(3_000);
    expect(report.sentWhileDown.length).toBeGreaterThan(0);
    expect(report.opened).toBeGreaterThanOrEqual(1);
    expect(report.closed).toBeGreaterThanOrEqual(1);
    expect(report.finalState).toBe('CLOSED');
    // While OPEN nothing may reach the host. Requests sent in that state can only come from calls
    // admitted before it opened, and stay within the probes allowed.
    expect(report.reachedWhileOpen).toEqual([]);
    expect(report.sentWhileOpen.length).toBeLessThanOrEqual(report.probesAllowed);
    // Each cool-down admits halfOpenRequests (1) probe to the dead host, and that one re-opens it.
    expect(report.probesInFailedHalfOpen.length).toBeGreaterThanOrEqual(1);
    for (const calls of report.probesInFailedHalfOpen) expect(calls).toBe(1);
    // Closing takes successThreshold (2) successful probes.
    expect(report.probesInClosingHalfOpen).toEqual([2]);
    expect(report.recovery.publishedMs).toBeGreaterThanOrEqual(0);
    expect(report.phases.before.n + report.phases.during.n + report.phases.after.n).toBe(8);
  }, 120_000);
});
