import { describe, expect, it } from 'vitest';
import { modelSelectionSchema } from '../../../src/config/schema-runs.js';
import { DefaultModelSelector, recordOutcome } from '../../../src/models/selection/index.js';
import { SqliteStore } from '../../../src/store/index.js';
import { LARGE, MEDIUM, NOW, record, SMALL, setup, task } from './helpers.js';

const typo = task({ labels: ['typo'], description: 'Fix a typo.', acceptanceCriteria: [] });
const bug = task({ labels: ['bug'], description: 'Crash on empty input.' });

describe('fixed', () => {
  it("keeps today's order: task model or defaultModel, suggestedModels, fallbackModels, availableModels", () => {
    const { selector } = setup({ strategy: 'fixed' });
    const s = selector.choose(task({ suggestedModels: ['ollama/other:3b'] }));
    expect(s.chain).toEqual([MEDIUM, 'other:3b', LARGE, SMALL]);
    expect(s.reason).toBe(`chose ${MEDIUM}: fixed order`);
    expect(s.kinds).toEqual(['size:medium']);
  });
});

describe('complexity', () => {
  it('a typo goes to the small tier, escalating to medium then large, and says why', () => {
    const { selector } = setup({ strategy: 'complexity' });
    const s = selector.choose(typo);
    expect(s.chain).toEqual([SMALL, MEDIUM, LARGE]);
    expect(s.reason).toBe(`chose ${SMALL}: complexity small (11 chars, 0 criteria, label typo)`);
  });

  it('an empty tier maps to the next larger non-empty one', () => {
    const { selector } = setup({
      strategy: 'complexity',
      tiers: { small: [], medium: [MEDIUM], large: [LARGE] },
    });
    const s = selector.choose(typo);
    expect(s.chain[0]).toBe(MEDIUM);
    expect(s.reason).toContain('tier small is empty: medium');
  });

  it('without tiers it falls back to the fixed order', () => {
    const { selector } = setup({ strategy: 'complexity', tiers: {} });
    const s = selector.choose(typo);
    expect(s.chain).toEqual([MEDIUM, LARGE, SMALL]);
    expect(s.reason).toContain('no tiers configured, fixed order');
  });

  it('escalation puts every more capable tier before the rest, whatever the list order', () => {
    const { selector } = setup({
      strategy: 'complexity',
      tiers: { small: [SMALL, 'tiny:1b'], medium: [MEDIUM], large: [LARGE, 'huge:70b'] },
    });
    expect(selector.choose(typo).chain).toEqual([SMALL, MEDIUM, LARGE, 'huge:70b', 'tiny:1b']);
    expect(selector.choose(task({ labels: ['feature'] })).chain).toEqual([
      LARGE,
      'huge:70b',
      MEDIUM,
      SMALL,
      'tiny:1b',
    ]);
  });
});

describe('history', () => {
  it('picks the model with the best record on the task kind, and explains it', () => {
    const { store, selector } = setup({ strategy: 'history' });
    record(store, SMALL, 'label:bug', 14, 2, 41_000);
    record(store, MEDIUM, 'label:bug', 3, 9, 20_000);
    const s = selector.choose(bug);
    expect(s.chain[0]).toBe(SMALL);
    expect(s.reason).toBe(`chose ${SMALL}: history 14/16 on label:bug, p50 41 s`);
    // Escalation after a small model: the more capable tiers next.
    expect(s.chain).toEqual([SMALL, MEDIUM, LARGE]);
  });

  it('the Beta prior makes an untried model beat one with a poor record', () => {
    const { store, selector } = setup({ strategy: 'history' });
    record(store, MEDIUM, 'label:bug', 1, 4);
    record(store, SMALL, 'label:bug', 1, 5);
    // LARGE has no outcomes: posterior mean 0.5 > MEDIUM's 2/7.
    expect(selector.choose(bug).chain[0]).toBe(LARGE);
    expect(selector.choose(bug).reason).toBe(
      `chose ${LARGE}: history: no outcomes on label:bug, size:medium yet (prior mean 0.5)`,
    );
  });

  it('a much faster model that is nearly as good goes first; a clearly worse one does not', () => {
    const { store, selector } = setup({ strategy: 'history' });
    record(store, LARGE, 'label:bug', 20, 0, 120_000);
    record(store, SMALL, 'label:bug', 18, 2, 15_000);
    expect(selector.choose(bug).chain[0]).toBe(SMALL);
    record(store, MEDIUM, 'label:typo', 1, 0);
    const { store: s2, selector: sel2 } = setup({ strategy: 'history' });
    record(s2, LARGE, 'label:bug', 20, 0, 120_000);
    record(s2, SMALL, 'label:bug', 8, 12, 15_000);
    expect(sel2.choose(bug).chain[0]).toBe(LARGE);
  });

  it('only outcomes within historyDays count', () => {
    const { store, selector } = setup({ strategy: 'history', historyDays: 1 });
    for (let i = 0; i < 10; i++)
      store.recordModelOutcome({
        taskId: 'old',
        model: SMALL,
        kind: 'label:bug',
        ok: true,
        durationMs: 1,
        recordedAt: NOW - 3 * 86_400_000,
      });
    record(store, MEDIUM, 'label:bug', 3, 0);
    expect(selector.choose(bug).chain[0]).toBe(MEDIUM);
  });

  it('explores the least-tried other model with probability explorationRate', () => {
    const rolls: number[] = [];
    const random = () => rolls.shift() ?? 0.99;
    const { store, selector } = setup({ strategy: 'history', explorationRate: 0.1 }, { random });
    record(store, MEDIUM, 'label:bug', 10, 0);
    record(store, LARGE, 'label:bug', 2, 1);
    rolls.push(0.05);
    const explored = selector.choose(bug);
    expect(explored.chain[0]).toBe(SMALL);
    expect(explored.reason).toBe(
      `chose ${SMALL}: exploring (0 outcomes on label:bug, size:medium; best known ${MEDIUM})`,
    );
    rolls.push(0.5);
    expect(selector.choose(bug).chain[0]).toBe(MEDIUM);
  });

  it('learns from recordOutcome, which writes every kind of the task', () => {
    const { store, selector } = setup({ strategy: 'history' });
    for (let i = 0; i < 5; i++)
      recordOutcome(store, {
        taskId: String(i),
        model: `ollama/${SMALL}`,
        kinds: ['label:bug', 'size:medium'],
        ok: true,
        durationMs: 9_000,
      });
    const stats = store.modelOutcomeStats(0);
    expect(stats.map((s) => [s.model, s.kind, s.successes]).sort()).toEqual([
      [SMALL, 'label:bug', 5],
      [SMALL, 'size:medium', 5],
    ]);
    expect(selector.choose(bug, { now: Date.now() }).chain[0]).toBe(SMALL);
  });
});

describe('speed', () => {
  it('fastest p50 first; without timings the smallest tier first; no host health for command agents', () => {
    const { store, selector } = setup({ strategy: 'speed' });
    expect(selector.choose(bug).chain[0]).toBe(SMALL);
    expect(selector.choose(bug).reason).toBe(
      `chose ${SMALL}: speed: no timings yet, smallest tier first, no host health (command agent)`,
    );
    record(store, LARGE, 'label:bug', 2, 0, 5_000);
    record(store, SMALL, 'label:bug', 2, 0, 30_000);
    const s = selector.choose(bug);
    expect(s.chain).toEqual([LARGE, SMALL, MEDIUM]);
    expect(s.reason).toBe(`chose ${LARGE}: speed: fastest p50 5 s, no host health (command agent)`);
  });

  it('a model that no available host serves goes last', () => {
    const hosts = {
      hostClients: () => [
        { available: true, serves: (m: string) => !m.startsWith('small') },
        { available: false, serves: () => true },
      ],
    };
    const { store, selector } = setup({ strategy: 'speed' }, { hosts });
    record(store, SMALL, 'label:bug', 3, 0, 1_000);
    record(store, MEDIUM, 'label:bug', 3, 0, 9_000);
    const s = selector.choose(bug);
    expect(s.chain[0]).toBe(MEDIUM);
    expect(s.chain.at(-1)).toBe(SMALL);
    expect(s.reason).toBe(`chose ${MEDIUM}: speed: fastest p50 9 s`);
  });
});

describe('auto', () => {
  it('the complexity bucket is the prior: a typo starts on the small tier, a feature on the large', () => {
    const { selector } = setup({ strategy: 'auto' });
    expect(selector.choose(typo).chain[0]).toBe(SMALL);
    const f = selector.choose(task({ labels: ['feature'] }));
    expect(f.chain[0]).toBe(LARGE);
    expect(f.reason).toContain('auto: complexity large (');
  });

  it('history outweighs the prior once there are outcomes', () => {
    const { store, selector } = setup({ strategy: 'auto' });
    record(store, SMALL, 'label:typo', 1, 9);
    record(store, MEDIUM, 'label:typo', 9, 0);
    const s = selector.choose(typo);
    expect(s.chain[0]).toBe(MEDIUM);
    expect(s.reason).toContain('history 9/9 on label:typo');
  });

  it("the task's modelPreference profile comes first and is named", () => {
    const { selector } = setup({ strategy: 'auto', profiles: { 'security-focused': ['sec-coder:6.7b'] } });
    const s = selector.choose(task({ labels: ['typo'], modelPreference: 'security-focused' }));
    expect(s.chain[0]).toBe('sec-coder:6.7b');
    expect(s.reason).toMatch(/^chose sec-coder:6\.7b: auto: profile security-focused, complexity/);
  });

  it('suggestedModels lead when there is no profile', () => {
    const { selector } = setup({ strategy: 'auto' });
    const s = selector.choose(
      task({ labels: ['typo'], suggestedModels: ['ollama/helper:3b'], modelPreference: 'unknown' }),
    );
    expect(s.chain[0]).toBe('helper:3b');
    expect(s.reason).toContain('suggestedModels');
  });
});

describe('every strategy', () => {
  it.each(['fixed', 'complexity', 'history', 'speed', 'auto'] as const)(
    '%s: an explicit model in the task wins',
    (strategy) => {
      const { store, selector } = setup({ strategy });
      record(store, SMALL, 'label:bug', 20, 0, 1_000);
      const s = selector.choose(task({ labels: ['bug'], model: `ollama/${LARGE}` }));
      expect(s.chain[0]).toBe(LARGE);
      expect(s.reason).toBe(`chose ${LARGE}: explicit model in the task`);
    },
  );

  it.each(['complexity', 'history', 'speed', 'auto'] as const)(
    '%s: a retry starts one tier above the model that failed',
    (strategy) => {
      const { store, selector } = setup({ strategy });
      store.upsertRun({ taskId: '1', state: 'running' });
      store.addAttempt({
        taskId: '1',
        attemptNumber: 1,
        model: SMALL,
        startedAt: new Date().toISOString(),
        code: 'AGENT_NO_CHANGES',
      });
      // A host failure says nothing about the model.
      store.addAttempt({
        taskId: '1',
        attemptNumber: 2,
        model: MEDIUM,
        startedAt: new Date().toISOString(),
        code: 'NETWORK',
      });
      const s = selector.choose(typo, { retry: true });
      expect(s.chain[0]).toBe(MEDIUM);
      expect(s.chain.at(-1)).toBe(SMALL);
      expect(s.reason).toBe(`chose ${MEDIUM}: retry after ${SMALL} failed: tier medium or above`);
      // The model whose change failed later (the run's modelUsed) counts too.
      store.upsertRun({ taskId: '1', modelUsed: MEDIUM });
      expect(selector.choose(typo, { retry: true }).chain[0]).toBe(LARGE);
      // Not a retry: earlier failures are not looked up.
      expect(selector.choose(typo).chain[0]).not.toBe(LARGE);
    },
  );
});

describe('no models at all', () => {
  it.each(['complexity', 'history', 'speed', 'auto'] as const)(
    '%s: an empty chain with a reason, not a crash',
    (strategy) => {
      const selector = new DefaultModelSelector({
        config: {
          ollama: { defaultModel: '', fallbackModels: [], availableModels: [] },
          modelSelection: modelSelectionSchema.parse({ strategy }),
        },
        store: new SqliteStore(':memory:'),
      });
      expect(selector.choose(task())).toMatchObject({ chain: [], reason: 'no model configured' });
    },
  );
});
