import { canonicalModel, stripProvider } from '../names.js';
import type { SizeBucket } from './types.js';

/** Tiers from least to most capable. */
export const TIER_ORDER: readonly SizeBucket[] = ['small', 'medium', 'large'];

/** `modelSelection.tiers`. */
export type TierConfig = Record<SizeBucket, readonly string[]>;

/** Models in first-seen order, one spelling each (`x`, `x:latest`, `ollama/x` are one model). */
export function uniqueModels(models: Iterable<string | undefined>): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of models) {
    if (!raw?.trim()) continue;
    const key = canonicalModel(raw);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(stripProvider(raw));
  }
  return out;
}

/** Which tier a model is in (its rank in TIER_ORDER), from the configured lists. */
export class Tiers {
  private readonly rank = new Map<string, number>();

  constructor(readonly config: TierConfig) {
    // A model listed in two tiers counts as the more capable one: escalation must not skip it.
    TIER_ORDER.forEach((tier, i) => {
      for (const m of config[tier]) this.rank.set(canonicalModel(m), i);
    });
  }

  /** Rank 0 (small) … 2 (large); undefined for a model in no tier. */
  rankOf(model: string): number | undefined {
    return this.rank.get(canonicalModel(model));
  }

  tierOf(model: string): SizeBucket | undefined {
    const r = this.rankOf(model);
    return r === undefined ? undefined : TIER_ORDER[r];
  }

  /** Every tiered model, small tier first. */
  all(): string[] {
    return uniqueModels(TIER_ORDER.flatMap((t) => this.config[t]));
  }

  get empty(): boolean {
    return this.rank.size === 0;
  }

  /**
   * The tier a bucket maps to: its own when it has models, else the next larger non-empty
   * one, else the next smaller one; undefined when every tier is empty.
   */
  resolve(bucket: SizeBucket): SizeBucket | undefined {
    const at = TIER_ORDER.indexOf(bucket);
    const order = [...TIER_ORDER.slice(at), ...TIER_ORDER.slice(0, at).reverse()];
    return order.find((t) => this.config[t].length > 0);
  }

  /**
   * The chain after `first`: models of more capable tiers (next tier first, each tier in
   * `preference` order), then everything else in `preference` order. An untiered first model
   * has no "more capable": the rest follows in preference order.
   */
  escalate(first: string, preference: readonly string[]): string[] {
    const pool = uniqueModels([first, ...preference]);
    const firstRank = this.rankOf(first);
    const above: string[] = [];
    if (firstRank !== undefined) {
      for (let r = firstRank + 1; r < TIER_ORDER.length; r++)
        above.push(...pool.filter((m) => this.rankOf(m) === r));
    }
    return uniqueModels([first, ...above, ...pool]);
  }
}
