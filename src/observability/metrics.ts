import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { EventBus } from '../events/index.js';
import { registerModelMetrics } from './model-metrics.js';
import { registerRunMetrics } from './run-metrics.js';

/**
 * Prometheus metrics fed by the lifecycle events (one source of truth). A registry per app,
 * not prom-client's global one, so two apps in one process (tests) never share counters.
 */
export function createMetrics(
  events: EventBus,
  opts: { counts: () => Promise<Record<string, number>> },
): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tp_process_' });
  const published = new Counter({
    name: 'tp_tasks_published_total',
    help: 'Tasks that reached review with a PR.',
    registers: [registry],
  });
  const failed = new Counter({
    name: 'tp_tasks_failed_total',
    help: 'Tasks moved to failed, by error code.',
    labelNames: ['code'],
    registers: [registry],
  });
  const completed = new Counter({
    name: 'tp_tasks_completed_total',
    help: 'Tasks completed (PR merged), by how.',
    labelNames: ['via'],
    registers: [registry],
  });
  const attempts = new Counter({
    name: 'tp_attempts_failed_total',
    help: 'Failed agent attempts, by model and error code.',
    labelNames: ['model', 'code'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'tp_task_duration_seconds',
    help: 'Claim to PR, per published task.',
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [registry],
  });
  new Gauge({
    name: 'tp_tasks',
    help: 'Tasks per state (folder).',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      for (const [state, n] of Object.entries(await opts.counts())) this.set({ state }, n);
    },
  });
  events.on('task.published', (e) => {
    published.inc();
    duration.observe(e.elapsedMs / 1000);
  });
  events.on('task.failed', (e) => failed.inc({ code: e.code }));
  events.on('task.invalid', () => failed.inc({ code: 'TASK_INVALID' }));
  events.on('task.completed', (e) => completed.inc({ via: e.via }));
  events.on('attempt.failed', (e) => attempts.inc({ model: e.model, code: e.code }));
  registerRunMetrics(events, registry);
  registerModelMetrics(events, registry);
  return registry;
}
