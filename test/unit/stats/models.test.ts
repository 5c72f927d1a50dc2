import { afterEach, describe, expect, it } from 'vitest';
import { HOUR, statsFixture } from './support.js';

const NOW = Date.parse('2026-03-10T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

describe('stats: per model, over the window, from the store', () => {
  let close: (() => void) | undefined;
  afterEach(() => close?.());

  it('counts attempts and successes per canonical model, with nearest-rank p50/p95 and tokens', async () => {
    const f = statsFixture(NOW);
    close = () => f.store.close();
    // Ten attempts of one model under two spellings (provider prefix, explicit tag): 100..1000 ms,
    // the 3rd and 7th failed. One attempt outside the 24 h window is left out.
    for (let i = 1; i <= 10; i++) {
      f.store.addAttempt({
        taskId: String(i),
        attemptNumber: 1,
        model: i % 2 === 0 ? 'ollama/coder:7b' : 'coder:7b',
        startedAt: iso(NOW - i * HOUR),
        durationMs: i * 100,
        ...(i === 3 || i === 7 ? { code: 'AGENT_NO_CHANGES' as const, error: 'no changes' } : {}),
      });
    }
    f.store.addAttempt({
      taskId: 'old',
      attemptNumber: 1,
      model: 'coder:7b',
      startedAt: iso(NOW - 25 * HOUR),
      durationMs: 99_999,
      code: 'AGENT_FAILED',
    });
    // An untagged name is `:latest`; an attempt without a duration counts but has no time.
    f.store.addAttempt({ taskId: '11', attemptNumber: 2, model: 'other', startedAt: iso(NOW - HOUR) });
    // Tokens: one run recorded under two kinds counts once; runs outside the window do not count.
    for (const kind of ['label:bug', 'size:small'])
      f.store.recordModelOutcome({
        taskId: '1',
        model: 'coder:7b',
        kind,
        ok: true,
        durationMs: 100,
        tokens: 1200,
        recordedAt: NOW - HOUR,
      });
    f.store.recordModelOutcome({
      taskId: '2',
      model: 'coder:7b',
      kind: 'label:bug',
      ok: false,
      durationMs: 200,
      tokens: 300,
      recordedAt: NOW - 2 * HOUR,
    });
    f.store.recordModelOutcome({
      taskId: '3',
      model: 'coder:7b',
      kind: 'label:bug',
      ok: true,
      durationMs: 300,
      tokens: 5000,
      recordedAt: NOW - 30 * HOUR,
    });

    const { models } = await f.stats.snapshot();
    expect(Object.keys(models).sort()).toEqual(['coder:7b', 'other:latest']);
    expect(models['coder:7b']).toEqual({
      attempts: 10,
      successes: 8,
      failures: 2,
      successRate: 0.8,
      // Nearest rank over 100..1000: the 5th and the 10th value.
      p50Ms: 500,
      p95Ms: 1000,
      tokens: 1500,
    });
    expect(models['other:latest']).toEqual({
      attempts: 1,
      successes: 1,
      failures: 0,
      successRate: 1,
      p50Ms: undefined,
      p95Ms: undefined,
      tokens: 0,
    });
  });

  it('a model with tokens but no attempt in the window still shows, with zero attempts', async () => {
    const f = statsFixture(NOW, { windowHours: 2 });
    close = () => f.store.close();
    f.store.addAttempt({
      taskId: '1',
      attemptNumber: 1,
      model: 'a:1b',
      startedAt: iso(NOW - 3 * HOUR),
      durationMs: 5,
    });
    f.store.recordModelOutcome({
      taskId: '1',
      model: 'a:1b',
      kind: 'k',
      ok: true,
      durationMs: 5,
      tokens: 7,
      recordedAt: NOW - HOUR,
    });
    const snap = await f.stats.snapshot();
    expect(snap.processing.windowHours).toBe(2);
    expect(snap.models).toEqual({
      'a:1b': {
        attempts: 0,
        successes: 0,
        failures: 0,
        successRate: 0,
        p50Ms: undefined,
        p95Ms: undefined,
        tokens: 7,
      },
    });
  });
});
