import type { Config } from '../../config/index.js';
import type { Store } from '../../store/types.js';
import type { Task } from '../../tasks/types.js';
import { type ModelChainOptions, modelChain } from '../fallback.js';
import { canonicalModel, stripProvider } from '../names.js';
import { type Classification, classifyTask, taskKinds } from './classifier.js';
import { type Evidence, formatDuration, History, type Prior } from './history.js';
import { previousFailures } from './outcomes.js';
import { TIER_ORDER, Tiers, uniqueModels } from './tiers.js';
import type { HostView, ModelSelector, Selection, SelectionContext, SizeBucket } from './types.js';

/** Most expected success a much faster model may lack and still go first (see `next`). */
export const NEAR_TIE = 0.35;
const DAY_MS = 86_400_000;

export interface SelectorOptions {
  /** `ollama` (the fixed chain's fields) and `modelSelection`. */
  config: { ollama: ModelChainOptions; modelSelection: Config['modelSelection'] };
  store: Pick<Store, 'modelOutcomeStats' | 'listAttempts' | 'getRun'>;
  /** Host health (the router); undefined for command agents: `speed` then orders by timings only. */
  hosts?: HostView | undefined;
  /** Uniform [0, 1) source for exploration; injectable so tests and the benchmark are repeatable. */
  random?: () => number;
  now?: () => number;
}

/** A strategy's answer before the explicit model, retries and escalation are applied. */
interface StrategyPick {
  first: string;
  /** Every candidate, most preferred first. */
  ranking: string[];
  because: string;
}

interface Scored {
  model: string;
  ev: Evidence;
  /** false: no available host serves it (goes last). */
  served: boolean | undefined;
}

/** Posterior means closer than this are equal. */
const EQUAL = 0.01;

/**
 * The next model by expected success, then time: the best posterior mean (the fastest of equal
 * ones) unless a faster model is within `NEAR_TIE × (1 − its p50 / the best's p50)` of it. The
 * tolerance grows with the time a faster model saves: with escalation behind the first try, a
 * fast model that is almost as good finishes most tasks sooner and loses little.
 */
function next(rest: readonly Scored[]): Scored {
  const best = Math.max(...rest.map((i) => i.ev.mean));
  const leaders = rest.filter((i) => i.ev.mean >= best - EQUAL);
  const lead = fastest(leaders) ?? leaders[0]!;
  const t = lead.ev.p50Ms;
  if (t === undefined) return lead;
  const near = rest.filter(
    (i) =>
      i.ev.p50Ms !== undefined &&
      i.ev.p50Ms < t &&
      i.ev.mean >= lead.ev.mean - NEAR_TIE * (1 - i.ev.p50Ms / t),
  );
  return fastest(near) ?? lead;
}

function fastest(items: readonly Scored[]): Scored | undefined {
  const timed = items.filter((i) => i.ev.p50Ms !== undefined);
  return timed.length === 0 ? undefined : timed.reduce((a, b) => (b.ev.p50Ms! < a.ev.p50Ms! ? b : a));
}

/** Candidates in the order `next` picks them; models no available host serves go last. */
function rank(items: readonly Scored[]): string[] {
  const out: string[] = [];
  for (const pool of [items.filter((i) => i.served !== false), items.filter((i) => i.served === false)]) {
    const rest = [...pool];
    while (rest.length > 0) {
      const n = next(rest);
      out.push(n.model);
      rest.splice(rest.indexOf(n), 1);
    }
  }
  return out;
}

/** The selector behind `modelSelection.strategy`; see docs/model-selection.md. */
export class DefaultModelSelector implements ModelSelector {
  private readonly tiers: Tiers;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(private readonly options: SelectorOptions) {
    const { tiers } = options.config.modelSelection;
    this.tiers = new Tiers(tiers);
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
  }

  choose(task: Task, ctx: SelectionContext = {}): Selection {
    const { strategy, historyDays } = this.options.config.modelSelection;
    const cls = classifyTask(task);
    const kinds = taskKinds(task, cls.size);
    const fixed = modelChain(task, this.options.config.ollama);
    const base = { strategy, kinds, size: cls.size };
    if (strategy === 'fixed') {
      const because = task.model ? 'explicit model in the task' : 'fixed order';
      return { ...base, chain: fixed, reason: `chose ${fixed[0] ?? 'no model'}: ${because}` };
    }
    const now = ctx.now ?? this.now();
    const history = new History(this.options.store.modelOutcomeStats(now - historyDays * DAY_MS));
    const pool = uniqueModels([...fixed, ...this.tiers.all(), ...this.profileModels(task)]);
    if (pool.length === 0) return { ...base, chain: [], reason: 'no model configured' };
    let pick: StrategyPick;
    if (strategy === 'complexity') pick = this.complexity(cls, pool);
    else if (strategy === 'history') pick = this.history(kinds, pool, history);
    else if (strategy === 'speed') pick = this.speed(kinds, pool, history);
    else pick = this.auto(task, cls, kinds, pool, history);

    if (task.model) {
      pick = { ...pick, first: stripProvider(task.model), because: 'explicit model in the task' };
    } else {
      const failed = ctx.failedModels ?? (ctx.retry ? previousFailures(this.options.store, task.id) : []);
      if (failed.length > 0) pick = this.afterFailure(pick, failed);
    }
    const chain = this.tiers.escalate(pick.first, pick.ranking);
    return { ...base, chain, reason: `chose ${pick.first}: ${pick.because}` };
  }

  /** Models of the task's `modelPreference` profile (unknown profile: none). */
  private profileModels(task: Task): string[] {
    const name = task.modelPreference;
    if (!name) return [];
    const { profiles } = this.options.config.modelSelection;
    return profiles[name] ?? [];
  }

  private complexity(cls: Classification, pool: string[]): StrategyPick {
    const tier = this.tiers.resolve(cls.size);
    const what = `complexity ${cls.size} (${cls.signals})`;
    if (!tier)
      return { first: pool[0]!, ranking: pool, because: `${what}; no tiers configured, fixed order` };
    const models = uniqueModels(this.options.config.modelSelection.tiers[tier]);
    const moved = tier === cls.size ? '' : `, tier ${cls.size} is empty: ${tier}`;
    return { first: models[0]!, ranking: uniqueModels([...models, ...pool]), because: `${what}${moved}` };
  }

  private history(kinds: string[], pool: string[], history: History): StrategyPick {
    const scored = pool.map((model) => ({ model, ev: history.evidence(model, kinds), served: undefined }));
    const ranking = rank(scored);
    const explored = this.explore(ranking, scored, kinds);
    if (explored) return explored;
    const first = ranking[0]!;
    return { first, ranking, because: describeHistory(first, kinds, history) };
  }

  private speed(kinds: string[], pool: string[], history: History): StrategyPick {
    const timed = pool.map((model) => ({
      model,
      p50: history.evidence(model, kinds).p50Ms ?? history.p50Overall(model),
      rank: this.tiers.rankOf(model) ?? TIER_ORDER.length,
      served: this.served(model),
    }));
    // Untimed models: smaller tiers first (they are the likely fast ones), pool order within.
    const order = (xs: typeof timed) => [
      ...xs.filter((x) => x.p50 !== undefined).sort((a, b) => a.p50! - b.p50!),
      ...xs.filter((x) => x.p50 === undefined).sort((a, b) => a.rank - b.rank),
    ];
    const ranked = [
      ...order(timed.filter((x) => x.served !== false)),
      ...order(timed.filter((x) => x.served === false)),
    ];
    const first = ranked[0]!;
    const health = this.options.hosts
      ? first.served === false
        ? ', no available host serves any candidate'
        : ''
      : ', no host health (command agent)';
    const because =
      first.p50 !== undefined
        ? `speed: fastest p50 ${formatDuration(first.p50)}${health}`
        : `speed: no timings yet, smallest tier first${health}`;
    return { first: first.model, ranking: ranked.map((x) => x.model), because };
  }

  private auto(
    task: Task,
    cls: Classification,
    kinds: string[],
    pool: string[],
    history: History,
  ): StrategyPick {
    const profile = this.profileModels(task);
    const preferred = uniqueModels([...profile, ...task.suggestedModels]);
    const score = (model: string): Scored => ({
      model,
      ev: history.evidence(model, kinds, this.tierPrior(model, cls.size)),
      served: this.served(model),
    });
    const isPreferred = (m: string) => preferred.some((p) => canonicalModel(p) === canonicalModel(m));
    const top = rank(preferred.map(score));
    const rest = rank(pool.filter((m) => !isPreferred(m)).map(score));
    // Preferred models lead unless no available host serves any of them.
    const ranking =
      top.length > 0 && score(top[0]!).served !== false ? [...top, ...rest] : rank(pool.map(score));
    const what = `complexity ${cls.size} (${cls.signals})`;
    const explored = this.explore(ranking, ranking.map(score), kinds);
    if (explored) return { ...explored, because: `auto: ${explored.because}` };
    const first = ranking[0]!;
    const source = isPreferred(first)
      ? profile.some((p) => canonicalModel(p) === canonicalModel(first))
        ? `profile ${task.modelPreference}, `
        : 'suggestedModels, '
      : '';
    return { first, ranking, because: `auto: ${source}${what}, ${describeHistory(first, kinds, history)}` };
  }

  /**
   * The complexity bucket as a prior: a model of the bucket's tier starts as if it had two
   * successes, a more capable one one success, a less capable one two failures. Real outcomes
   * soon outweigh it.
   */
  private tierPrior(model: string, size: SizeBucket): Prior {
    const r = this.tiers.rankOf(model);
    if (r === undefined) return { successes: 0, failures: 0 };
    const b = TIER_ORDER.indexOf(size);
    if (r === b) return { successes: 2, failures: 0 };
    return r > b ? { successes: 1, failures: 0 } : { successes: 0, failures: 2 };
  }

  /**
   * With probability `explorationRate`, the least-tried other candidate (on these kinds) goes
   * first, so that a model the history has never seen gets outcomes.
   */
  private explore(ranking: string[], scored: readonly Scored[], kinds: string[]): StrategyPick | undefined {
    const rate = this.options.config.modelSelection.explorationRate;
    if (ranking.length < 2 || rate <= 0 || this.random() >= rate) return undefined;
    const tries = (m: string) => {
      const ev = scored.find((s) => s.model === m)?.ev;
      return ev ? ev.successes + ev.failures : 0;
    };
    const others = ranking.slice(1).filter((m) => scored.find((s) => s.model === m)?.served !== false);
    if (others.length === 0) return undefined;
    const first = others.reduce((a, b) => (tries(b) < tries(a) ? b : a));
    return {
      first,
      ranking: uniqueModels([first, ...ranking]),
      because: `exploring (${tries(first)} outcomes on ${kinds.join(', ')}; best known ${ranking[0]})`,
    };
  }

  /** Retry: start one tier above the most capable model that failed; failed models go last. */
  private afterFailure(pick: StrategyPick, failed: string[]): StrategyPick {
    const bad = new Set(failed.map(canonicalModel));
    const fresh = pick.ranking.filter((m) => !bad.has(canonicalModel(m)));
    const ranking = [...fresh, ...pick.ranking.filter((m) => bad.has(canonicalModel(m)))];
    const ranks = failed.map((m) => this.tiers.rankOf(m)).filter((r): r is number => r !== undefined);
    const names = uniqueModels(failed).join(', ');
    if (ranks.length === 0) {
      const first = fresh[0] ?? pick.first;
      return { first, ranking, because: `retry after ${names} failed` };
    }
    const start = Math.min(Math.max(...ranks) + 1, TIER_ORDER.length - 1);
    const first =
      fresh.find((m) => (this.tiers.rankOf(m) ?? -1) >= start) ??
      fresh.find((m) => this.tiers.rankOf(m) !== undefined) ??
      fresh[0] ??
      pick.first;
    return { first, ranking, because: `retry after ${names} failed: tier ${TIER_ORDER[start]} or above` };
  }

  /** false when no available host serves the model; undefined when unknown (or no hosts). */
  private served(model: string): boolean | undefined {
    const hosts = this.options.hosts?.hostClients();
    if (!hosts || hosts.length === 0) return undefined;
    const up = hosts.filter((h) => h.available);
    if (up.length === 0) return undefined;
    const answers = up.map((h) => h.serves(model));
    if (answers.some((a) => a === true)) return true;
    return answers.every((a) => a === false) ? false : undefined;
  }
}

/** "history 14/16 on label:bug, p50 41 s" (the kind with the most outcomes), or the prior. */
function describeHistory(model: string, kinds: string[], history: History): string {
  const ev = history.evidence(model, kinds);
  if (!ev.topKind) return `history: no outcomes on ${kinds.join(', ')} yet (prior mean 0.5)`;
  const k = history.onKind(model, ev.topKind);
  const p50 = ev.p50Ms !== undefined ? `, p50 ${formatDuration(ev.p50Ms)}` : '';
  return `history ${k.successes}/${k.successes + k.failures} on ${ev.topKind}${p50}`;
}
