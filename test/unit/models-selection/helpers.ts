import { modelSelectionSchema } from '../../../src/config/schema-runs.js';
import { DefaultModelSelector, type SelectorOptions } from '../../../src/models/selection/index.js';
import { SqliteStore } from '../../../src/store/index.js';
import type { Task } from '../../../src/tasks/types.js';
import { makeTask } from '../../helpers/task.js';

export const SMALL = 'small:1b';
export const MEDIUM = 'medium:7b';
export const LARGE = 'large:33b';
export const NOW = Date.parse('2026-06-01T00:00:00Z');

export function task(over: Partial<Task> = {}): Task {
  return makeTask({
    id: '1',
    description: 'Change something in a way that takes a few words to describe, but not many more than that.',
    acceptanceCriteria: ['It works'],
    ...over,
  });
}

export interface Setup {
  store: SqliteStore;
  selector: DefaultModelSelector;
}

/** A selector over a real in-memory store, three tiers of one model each, fixed order medium → large → small. */
export function setup(
  selection: Record<string, unknown> = {},
  opts: Partial<Omit<SelectorOptions, 'config' | 'store'>> & { store?: SqliteStore } = {},
): Setup {
  const store = opts.store ?? new SqliteStore(':memory:');
  const selector = new DefaultModelSelector({
    config: {
      ollama: { defaultModel: MEDIUM, fallbackModels: [LARGE], availableModels: [SMALL, MEDIUM, LARGE] },
      modelSelection: modelSelectionSchema.parse({
        tiers: { small: [SMALL], medium: [MEDIUM], large: [LARGE] },
        explorationRate: 0,
        ...selection,
      }),
    },
    store,
    random: opts.random ?? (() => 0.5),
    now: opts.now ?? (() => NOW),
    hosts: opts.hosts,
  });
  return { store, selector };
}

/** Records `ok` successes and `failed` failures of `model` on `kind`, each taking `ms`. */
export function record(
  store: SqliteStore,
  model: string,
  kind: string,
  ok: number,
  failed: number,
  ms = 40_000,
) {
  for (let i = 0; i < ok + failed; i++)
    store.recordModelOutcome({
      taskId: `h${i}`,
      model,
      kind,
      ok: i < ok,
      durationMs: ms,
      recordedAt: NOW - 60_000,
    });
}
