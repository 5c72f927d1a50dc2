import { Gauge, type Registry } from 'prom-client';
import type { StatsService, StatsSnapshot } from './types.js';

/**
 * Gauges read from the stats module at scrape time, so `/metrics` shows the numbers of
 * `/api/stats`. One snapshot serves all gauges of a scrape: it is reused for `shareMs`
 * (default 1 s), as the gauges are collected one after another.
 */
export function registerStatsGauges(
  registry: Registry,
  stats: StatsService,
  options: { shareMs?: number } = {},
): void {
  const shareMs = options.shareMs ?? 1000;
  let shared: { at: number; value: Promise<StatsSnapshot> } | undefined;
  const snapshot = () => {
    const now = Date.now();
    if (!shared || now - shared.at > shareMs) shared = { at: now, value: stats.snapshot() };
    return shared.value;
  };
  const gauge = (
    name: string,
    help: string,
    labelNames: string[],
    fill: (g: Gauge, s: StatsSnapshot) => void,
  ) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const s = await snapshot();
        // Labels of models or queues that left the window must not linger.
        this.reset();
        fill(this, s);
      },
    });
  const perModel = (
    name: string,
    help: string,
    pick: (m: StatsSnapshot['models'][string]) => number | undefined,
  ) =>
    gauge(name, `${help} (stats window).`, ['model'], (g, s) => {
      for (const [model, m] of Object.entries(s.models)) {
        const v = pick(m);
        if (v !== undefined) g.set({ model }, v);
      }
    });
  perModel('tp_model_attempts', 'Agent attempts per model', (m) => m.attempts);
  perModel(
    'tp_model_success_ratio',
    'Share of attempts that produced a change, per model',
    (m) => m.successRate,
  );
  perModel('tp_model_attempt_duration_p50_seconds', 'Median attempt time per model', (m) =>
    m.p50Ms === undefined ? undefined : m.p50Ms / 1000,
  );
  perModel('tp_model_attempt_duration_p95_seconds', '95th percentile attempt time per model', (m) =>
    m.p95Ms === undefined ? undefined : m.p95Ms / 1000,
  );
  perModel('tp_model_tokens', 'Tokens used per model', (m) => m.tokens);
  gauge('tp_queue_depth', 'Tasks waiting in todo/.', [], (g, s) => g.set(s.system.queueDepth));
  gauge('tp_queue_waiting', 'Tasks waiting per queue.', ['queue'], (g, s) => {
    for (const q of s.queues) g.set({ queue: q.name }, q.waiting);
  });
  gauge('tp_tasks_running', 'Tasks being processed now.', [], (g, s) => g.set(s.running.length));
  gauge('tp_tasks_failed_waiting', 'Tasks in failed/ waiting for a person.', [], (g, s) =>
    g.set(s.failures.length),
  );
  gauge('tp_processing_success_ratio', 'Finished tasks that reached review (stats window).', [], (g, s) =>
    g.set(s.processing.successRate),
  );
  // Distributed mode only (`queue.backend: bullmq`): nothing is exported under the memory backend.
  gauge(
    'tp_cluster_jobs',
    'BullMQ jobs per model queue and state (waiting, active, delayed, failed, completed).',
    ['queue', 'model', 'state'],
    (g, s) => {
      for (const q of s.cluster?.queues ?? [])
        for (const state of ['waiting', 'active', 'delayed', 'failed', 'completed'] as const)
          g.set({ queue: q.queue, model: q.model, state }, q[state]);
    },
  );
  // Per worker, so a memory backend exports no series at all (count them for the worker total).
  gauge('tp_cluster_worker_active', 'Jobs each live worker runs now.', ['worker'], (g, s) => {
    for (const w of s.cluster?.workers ?? []) g.set({ worker: w.name }, w.active);
  });
  gauge('tp_processing_avg_seconds', 'Mean seconds from claim to review (stats window).', [], (g, s) =>
    g.set(s.processing.avgProcessingTime),
  );
}
