import type { ModelOutcomeStats } from '../../store/types.js';
import { canonicalModel } from '../names.js';

/** What the outcomes say about one model on one task's kinds. */
export interface Evidence {
  successes: number;
  failures: number;
  /** Posterior mean of the success rate under a Beta(1 + prior successes, 1 + prior failures) prior. */
  mean: number;
  /** Median duration of its successful runs on these kinds (ms); undefined without one. */
  p50Ms: number | undefined;
  /** The kind with the most outcomes for this model (for the explanation). */
  topKind: string | undefined;
}

/** A Beta prior beyond the uniform Beta(1, 1): pseudo-successes and pseudo-failures. */
export interface Prior {
  successes: number;
  failures: number;
}

function median(sorted: number[]): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/**
 * Model outcomes from the store, indexed by model (canonical name) and kind. Each outcome is
 * recorded once per kind of its task, so the kinds of one task are summed: a model's evidence
 * on a `bug` task of size `small` is its record on `label:bug` plus that on `size:small`.
 */
export class History {
  private readonly byModel = new Map<string, Map<string, ModelOutcomeStats>>();

  constructor(stats: readonly ModelOutcomeStats[]) {
    for (const s of stats) {
      const key = canonicalModel(s.model);
      let kinds = this.byModel.get(key);
      if (!kinds) {
        kinds = new Map();
        this.byModel.set(key, kinds);
      }
      kinds.set(s.kind, s);
    }
  }

  evidence(model: string, kinds: readonly string[], prior: Prior = { successes: 0, failures: 0 }): Evidence {
    const mine = this.byModel.get(canonicalModel(model));
    let successes = 0;
    let failures = 0;
    let durations: number[] = [];
    let topKind: string | undefined;
    let topCount = 0;
    for (const kind of kinds) {
      const s = mine?.get(kind);
      if (!s) continue;
      successes += s.successes;
      failures += s.failures;
      durations = durations.concat(s.durationsMs);
      if (s.successes + s.failures > topCount) {
        topCount = s.successes + s.failures;
        topKind = kind;
      }
    }
    durations.sort((a, b) => a - b);
    const a = 1 + prior.successes + successes;
    const b = 1 + prior.failures + failures;
    return { successes, failures, mean: a / (a + b), p50Ms: median(durations), topKind };
  }

  /** Record on one kind (the explanation's "14/16 on label:bug"). */
  onKind(model: string, kind: string): { successes: number; failures: number } {
    const s = this.byModel.get(canonicalModel(model))?.get(kind);
    return { successes: s?.successes ?? 0, failures: s?.failures ?? 0 };
  }

  /** Median duration of the model's successful runs over every kind; undefined without one. */
  p50Overall(model: string): number | undefined {
    const mine = this.byModel.get(canonicalModel(model));
    if (!mine) return undefined;
    const all = [...mine.values()].flatMap((s) => s.durationsMs).sort((a, b) => a - b);
    return median(all);
  }
}

/** "41 s" / "850 ms" */
export function formatDuration(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms)} ms`;
}
