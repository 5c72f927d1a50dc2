import { Counter, Histogram, type Registry } from 'prom-client';
import type { EventBus } from '../events/index.js';

/** Metrics of code review, model selection, the response cache, warm-up and SLAs, from their events. */
export function registerRunMetrics(events: EventBus, registry: Registry): void {
  const reviews = new Counter({
    name: 'tp_reviews_total',
    help: 'Code reviews, by status (ok, unavailable).',
    labelNames: ['status'],
    registers: [registry],
  });
  const findings = new Counter({
    name: 'tp_review_findings_total',
    help: 'Review findings, by severity.',
    labelNames: ['severity'],
    registers: [registry],
  });
  const reviewTokens = new Counter({
    name: 'tp_review_tokens_total',
    help: 'Tokens spent on code review, by kind (prompt, completion).',
    labelNames: ['kind'],
    registers: [registry],
  });
  const reviewSeconds = new Histogram({
    name: 'tp_review_duration_seconds',
    help: 'Time of one code review.',
    buckets: [0.1, 1, 5, 15, 30, 60, 120, 300],
    registers: [registry],
  });
  const selected = new Counter({
    name: 'tp_model_selected_total',
    help: 'Runs started per chosen model and strategy.',
    labelNames: ['model', 'strategy'],
    registers: [registry],
  });
  const cache = new Counter({
    name: 'tp_cache_lookups_total',
    help: 'Response cache lookups, by purpose and result (hit, miss).',
    labelNames: ['purpose', 'result'],
    registers: [registry],
  });
  const warmed = new Counter({
    name: 'tp_models_warmed_total',
    help: 'Model preloads, by result.',
    labelNames: ['result'],
    registers: [registry],
  });
  const sla = new Counter({
    name: 'tp_sla_breaches_total',
    help: 'Tasks raised a priority step after waiting past their SLA, by original priority.',
    labelNames: ['priority'],
    registers: [registry],
  });
  events.on('review.completed', (e) => {
    reviews.inc({ status: e.status });
    for (const [severity, n] of Object.entries(e.findings)) if (n > 0) findings.inc({ severity }, n);
    reviewTokens.inc({ kind: 'prompt' }, e.promptTokens);
    reviewTokens.inc({ kind: 'completion' }, e.completionTokens);
    reviewSeconds.observe(e.durationMs / 1000);
  });
  events.on('model.selected', (e) => selected.inc({ model: e.model, strategy: e.strategy }));
  events.on('cache.lookup', (e) => cache.inc({ purpose: e.purpose, result: e.hit ? 'hit' : 'miss' }));
  events.on('model.warmed', (e) => warmed.inc({ result: e.ok ? 'ok' : 'failed' }));
  events.on('task.sla_breached', (e) => sla.inc({ priority: e.from }));
}
