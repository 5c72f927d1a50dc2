import { EventBus } from '../../../src/events/index.js';
import { redact } from '../../../src/secrets/index.js';
import type { DashboardDeps } from '../../../src/server/index.js';
import type { StatsService, StatsSnapshot, TrendPoint } from '../../../src/stats/index.js';

export const EVIL = '<script>alert("x")</script>&\'';
export const SECRET = 'sekret-api-key-value-42';

/** A snapshot with hostile strings in every free-text field the page shows. */
export function sampleSnapshot(): StatsSnapshot {
  return {
    system: {
      uptime: 93,
      ollamaHealthy: true,
      queueDepth: 2,
      version: '0.1.0',
      generatedAt: '2026-01-01T00:00:00.000Z',
    },
    processing: {
      total: 4,
      successful: 3,
      failed: 1,
      successRate: 0.75,
      avgProcessingTime: 12.5,
      folders: { todo: 2, doing: 1, review: 3, failed: 1, completed: 0 },
      windowHours: 24,
    },
    models: {
      'qwen2.5-coder:7b': {
        attempts: 4,
        successes: 3,
        failures: 1,
        successRate: 0.75,
        p50Ms: 850,
        p95Ms: 12_300,
        tokens: 12_345,
      },
    },
    queues: [
      {
        name: 'default',
        concurrency: 2,
        running: 1,
        waiting: 2,
        oldestWaitMs: 65_000,
        pastSla: 0,
        raised: 0,
      },
    ],
    hosts: [
      {
        url: 'http://127.0.0.1:11434',
        state: 'OPEN',
        healthy: false,
        latencyMs: 40,
        lastError: EVIL,
        models: ['qwen2.5-coder:7b'],
      },
    ],
    review: { reviews: 0, unavailable: 0, findings: { critical: 0, major: 0, minor: 0, info: 0 } },
    running: [
      {
        taskId: '5',
        file: `task-5 - ${EVIL}.md`,
        stage: 'agent',
        elapsedMs: 4200,
        model: 'qwen2.5-coder:7b',
        attempt: 1,
      },
    ],
    failures: [
      {
        taskId: '7',
        file: `task-7 - ${EVIL}.md`,
        code: 'AGENT_NO_CHANGES',
        reason: `agent made no changes ${EVIL}`,
        hint: 'Make the task more specific.',
        retryable: false,
        retryCount: 0,
        failedAt: '2026-01-01T00:00:00.000Z',
      },
    ],
    notifications: { sent: 5, failed: 2, pending: 0 },
  };
}

/** A stats service over a fixed snapshot (server tests check the HTTP layer, not the numbers). */
export function fixedStats(snapshot = sampleSnapshot()): StatsService & { ranges: string[] } {
  const ranges: string[] = [];
  return {
    ranges,
    snapshot: async () => snapshot,
    trends: async (range) => {
      ranges.push(range);
      const points: TrendPoint[] = [{ t: Date.UTC(2026, 0, 1), done: 3, failed: 1, meanSeconds: 12.5 }];
      return points;
    },
  };
}

export function dashboardDeps(over: Partial<DashboardDeps> = {}): DashboardDeps & { bus: EventBus } {
  const bus = new EventBus();
  return {
    bus,
    enabled: true,
    heartbeatMs: 15_000,
    stats: fixedStats(),
    subscribe: (l) => bus.onAny((name, payload) => l(name, payload)),
    redact: (t) => redact(t, [SECRET]),
    ...over,
  };
}
