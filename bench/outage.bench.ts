import { type OutageScenario, runOutageScenario } from '../test/integration/outage/scenario.js';
import type { BenchResult } from './lib.js';

const TASKS = Number(process.env.BENCH_TASKS ?? 60);
const DOWN_MS = Number(process.env.BENCH_OUTAGE_MS ?? 8_000);

/**
 * The outage benchmark (issue 6, "Must show"): ≥ 50 tickets through the real pipeline — createApp
 * with the built-in agent, the model router's breaker and health checks, real git — against a fake
 * Ollama whose chats take `chatLatencyMs`. Once a third of the tasks are in review the only host
 * goes down for `DOWN_MS` (cutting a chat in flight), then comes back. Measured: tasks failed,
 * breaker transitions, recovery time, requests sent to the host while the breaker was OPEN, and
 * task time before / during / after the outage.
 */
export default async function run(): Promise<BenchResult> {
  const scenario: OutageScenario = {
    tasks: TASKS,
    concurrency: 4,
    downAfterPublished: Math.floor(TASKS / 3),
    downForMs: DOWN_MS,
    chatLatencyMs: 400,
    healthCheck: {
      interval: 1_000,
      timeout: 500,
      failureThreshold: 3,
      successThreshold: 2,
      halfOpenRequests: 1,
      cooldownMs: 2_000,
      maxWaitMs: 120_000,
    },
    retry: { maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 2_000 },
    deadlineMs: 300_000,
  };
  const r = await runOutageScenario(scenario);
  const hc = scenario.healthCheck;
  const row = (measure: string, value: string | number, target = '') => ({ measure, value, target });
  return {
    name: `Ollama outage (${r.tasks} tasks, concurrency ${scenario.concurrency}, only host down ${r.outageMs} ms)`,
    rows: [
      row('tasks total', r.tasks),
      row('tasks in review', r.inReview, String(r.tasks)),
      row('tasks failed', r.failed, '0'),
      row(
        'breaker opened / half-open / closed',
        `${r.opened} / ${r.halfOpened} / ${r.closed}`,
        '≥1 / - / ≥1',
      ),
      row('breaker state at the end', r.finalState, 'CLOSED'),
      row('host back → breaker CLOSED (ms)', r.recovery.closedMs),
      row('host back → first chat answered (ms)', r.recovery.firstChatMs),
      row(
        'host back → first task in review (ms)',
        r.recovery.publishedMs,
        `≤ cooldown ${hc.cooldownMs} + a task`,
      ),
      row(
        'requests reaching the host while OPEN',
        `${r.reachedWhileOpen.length} (${r.summary.reachedWhileOpen})`,
        `≤ ${r.probesAllowed}`,
      ),
      row(
        'requests sent to the host while OPEN',
        `${r.sentWhileOpen.length} (${r.summary.sentWhileOpen})`,
        `≤ ${r.probesAllowed}`,
      ),
      row('HALF_OPEN periods (probes allowed)', `${r.halfOpened} (${r.probesAllowed})`),
      row(
        'probe calls per failed HALF_OPEN period',
        r.probesInFailedHalfOpen.join(', ') || 'none',
        `each ≤ ${hc.halfOpenRequests}`,
      ),
      row(
        'probe calls in the HALF_OPEN period that closed',
        r.probesInClosingHalfOpen.join(', ') || 'none',
        String(hc.successThreshold),
      ),
      row(
        'HALF_OPEN probes that were agent runs / health checks',
        `${r.sentWhileHalfOpen.filter((q) => q.path === '/api/show').length} / ${r.sentWhileHalfOpen.filter((q) => q.path === '/api/version').length}`,
      ),
      row('requests sent while HALF_OPEN', `${r.sentWhileHalfOpen.length} (${r.summary.sentWhileHalfOpen})`),
      row('requests sent while the host was down', `${r.sentWhileDown.length} (${r.summary.sentWhileDown})`),
      row('failed attempts / counted retries / waits', `${r.failedAttempts} / ${r.retries} / ${r.waits}`),
      ...(['before', 'during', 'after'] as const).map((p) =>
        row(
          `task time ${p} the outage: n, p50, p95 (ms)`,
          `${r.phases[p].n}, ${r.phases[p].p50}, ${r.phases[p].p95}`,
        ),
      ),
      row('wall time (ms)', r.wallMs),
    ],
    notes: [
      `Health check every ${hc.interval} ms (timeout ${hc.timeout} ms); breaker opens after ${hc.failureThreshold} failures, cool-down ${hc.cooldownMs} ms, ${hc.halfOpenRequests} probe at a time, closes after ${hc.successThreshold} successful probes. Each chat answer takes ${scenario.chatLatencyMs} ms; a task is /api/show + 2 chats (write_file, finish).`,
      '"Sent" counts every request the Ollama clients issued (refused ones included, observed at fetch); "reaching" counts what the fake received. A probe is one breaker permit: a health check or a whole agent run (show + chats), so one probe can be several requests.',
      '"during" = tasks claimed before the host came back and finished after it went down; task time = claimed → in review.',
      ...r.failures.map((f) => `failed: ${f}`),
    ],
  };
}
