import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { EventBus, type TpEvents } from '../../../src/events/index.js';
import type { ModelEvent } from '../../../src/models/index.js';
import { createMetrics } from '../../../src/observability/index.js';
import { registerModelMetrics } from '../../../src/observability/model-metrics.js';

async function value(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const v = (metric?.values as Array<{ value: number; labels: Record<string, string> }> | undefined)?.find(
    (x) => Object.entries(labels).every(([k, l]) => x.labels[k] === l),
  );
  return v?.value ?? Number.NaN;
}

describe('model metrics', () => {
  it('follow the breaker of each host through the events the router emits', async () => {
    const events = new EventBus();
    const registry = new Registry();
    registerModelMetrics(events, registry);
    const router: ModelEvent[] = [
      { type: 'breaker.opened', host: 'http://a:11434', failures: 3, error: 'refused', code: 'NETWORK' },
      { type: 'breaker.opened', host: 'http://b:11434', failures: 3, error: 'refused', code: 'NETWORK' },
      { type: 'breaker.half_open', host: 'http://a:11434' },
      { type: 'breaker.closed', host: 'http://a:11434' },
    ];
    for (const e of router) events.emitTagged(e);
    expect(await value(registry, 'tp_model_breaker_state', { host: 'http://a:11434' })).toBe(0);
    expect(await value(registry, 'tp_model_breaker_state', { host: 'http://b:11434' })).toBe(2);
    expect(
      await value(registry, 'tp_model_breaker_transitions_total', { host: 'http://a:11434', state: 'open' }),
    ).toBe(1);
    expect(
      await value(registry, 'tp_model_breaker_transitions_total', {
        host: 'http://a:11434',
        state: 'half_open',
      }),
    ).toBe(1);
  });

  it('count retries, fallbacks and host health', async () => {
    const events = new EventBus();
    const registry = createMetrics(events, { counts: async () => ({}) });
    events.emitTagged({
      type: 'model.retry',
      model: 'm',
      host: 'h',
      attempt: 1,
      delayMs: 10,
      code: 'TIMEOUT',
      error: 't',
    });
    events.emitTagged({ type: 'model.fallback', from: 'a', to: 'b', code: 'MODEL_NOT_FOUND', error: 'x' });
    events.emitTagged({ type: 'host.unhealthy', host: 'h', error: 'down', code: 'NETWORK' });
    expect(await value(registry, 'tp_model_retries_total', { code: 'TIMEOUT' })).toBe(1);
    expect(await value(registry, 'tp_model_fallbacks_total', { code: 'MODEL_NOT_FOUND' })).toBe(1);
    expect(await value(registry, 'tp_model_host_up', { host: 'h' })).toBe(0);
    events.emitTagged({ type: 'host.healthy', host: 'h', latencyMs: 3, models: undefined });
    expect(await value(registry, 'tp_model_host_up', { host: 'h' })).toBe(1);
  });
});

describe('EventBus.emitTagged', () => {
  it('delivers the payload without its tag under the tag as name', () => {
    const events = new EventBus();
    const seen: Array<TpEvents['model.skipped']> = [];
    events.on('model.skipped', (p) => seen.push(p));
    events.emitTagged({ type: 'model.skipped', model: 'x', reason: 'no host has it' });
    expect(seen).toEqual([{ model: 'x', reason: 'no host has it' }]);
  });
});
