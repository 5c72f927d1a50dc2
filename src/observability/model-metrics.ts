import { Counter, Gauge, type Registry } from 'prom-client';
import type { EventBus } from '../events/index.js';

/** Gauge values of `tp_model_breaker_state`: higher is worse, so an alert can use `> 0`. */
export const BREAKER_STATE_VALUE = { closed: 0, half_open: 1, open: 2 } as const;

/**
 * Metrics of the models domain (breakers, host health, retries, fallbacks), from the router's
 * events that the composition root forwards to the bus.
 */
export function registerModelMetrics(events: EventBus, registry: Registry): void {
  const breakerState = new Gauge({
    name: 'tp_model_breaker_state',
    help: 'Circuit breaker state per Ollama host: 0 closed, 1 half-open, 2 open.',
    labelNames: ['host'],
    registers: [registry],
  });
  const transitions = new Counter({
    name: 'tp_model_breaker_transitions_total',
    help: 'Circuit breaker transitions per Ollama host, by the state entered.',
    labelNames: ['host', 'state'],
    registers: [registry],
  });
  const hostUp = new Gauge({
    name: 'tp_model_host_up',
    help: 'Last health probe per Ollama host: 1 healthy, 0 unhealthy.',
    labelNames: ['host'],
    registers: [registry],
  });
  const retries = new Counter({
    name: 'tp_model_retries_total',
    help: 'Model calls tried again after a retryable failure, by error code.',
    labelNames: ['code'],
    registers: [registry],
  });
  const fallbacks = new Counter({
    name: 'tp_model_fallbacks_total',
    help: 'Moves to the next model of the chain, by the error code that caused them.',
    labelNames: ['code'],
    registers: [registry],
  });
  const enter = (host: string, state: keyof typeof BREAKER_STATE_VALUE) => {
    breakerState.set({ host }, BREAKER_STATE_VALUE[state]);
    transitions.inc({ host, state });
  };
  events.on('breaker.opened', (e) => enter(e.host, 'open'));
  events.on('breaker.half_open', (e) => enter(e.host, 'half_open'));
  events.on('breaker.closed', (e) => enter(e.host, 'closed'));
  events.on('host.healthy', (e) => hostUp.set({ host: e.host }, 1));
  events.on('host.unhealthy', (e) => hostUp.set({ host: e.host }, 0));
  events.on('model.retry', (e) => retries.inc({ code: e.code }));
  events.on('model.fallback', (e) => fallbacks.inc({ code: e.code }));
}
