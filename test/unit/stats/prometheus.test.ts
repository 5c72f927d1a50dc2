import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { registerStatsGauges } from '../../../src/stats/index.js';
import { writeTask } from '../../helpers/project.js';
import { HOUR, statsFixture } from './support.js';

const NOW = Date.parse('2026-03-10T12:00:00.000Z');

describe('stats: Prometheus gauges read the same snapshot', () => {
  let close: (() => void) | undefined;
  afterEach(() => close?.());

  it('per-model ratio and percentiles, queue depth and running tasks, labels of models gone are dropped', async () => {
    const f = statsFixture(NOW);
    close = () => f.store.close();
    for (const [i, ms] of [1200, 800, 400].entries())
      f.store.addAttempt({
        taskId: String(i),
        attemptNumber: 1,
        model: 'coder:7b',
        startedAt: new Date(NOW - HOUR).toISOString(),
        durationMs: ms,
        ...(i === 0 ? { code: 'AGENT_FAILED' as const } : {}),
      });
    writeTask(f.root, '5');
    f.events.emit('task.claimed', { taskId: '9', attempt: 1 });
    const registry = new Registry();
    registerStatsGauges(registry, f.stats, { shareMs: 0 });
    const text = await registry.metrics();
    const snap = await f.stats.snapshot();
    const m = snap.models['coder:7b']!;
    expect(text).toContain(`tp_model_success_ratio{model="coder:7b"} ${m.successRate}`);
    expect(text).toContain(`tp_model_attempts{model="coder:7b"} 3`);
    expect(text).toContain(`tp_model_attempt_duration_p50_seconds{model="coder:7b"} ${m.p50Ms! / 1000}`);
    expect(text).toContain(`tp_model_attempt_duration_p95_seconds{model="coder:7b"} 1.2`);
    expect(text).toMatch(/^tp_queue_depth 1$/m);
    expect(text).toMatch(/^tp_tasks_running 1$/m);
    expect(text).toContain('tp_queue_waiting{queue="default"} 0');

    // A day on, the model left the window: its series go.
    const fresh = new Registry();
    registerStatsGauges(fresh, f.stats, { shareMs: 0 });
    expect(await fresh.metrics()).toContain('model="coder:7b"');
    f.clock.advance(25 * HOUR);
    const later = await fresh.metrics();
    expect(later).not.toContain('model="coder:7b"');
    expect(later).toMatch(/^tp_tasks_running 1$/m);
  });
});
