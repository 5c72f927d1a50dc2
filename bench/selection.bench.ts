import { modelSelectionSchema } from '../src/config/schema-runs.js';
import {
  DefaultModelSelector,
  recordOutcome,
  type SelectionStrategy,
} from '../src/models/selection/index.js';
import { SqliteStore } from '../src/store/index.js';
import type { Task } from '../src/tasks/types.js';
import { makeTask } from '../test/helpers/task.js';
import { type BenchResult, round } from './lib.js';

/*
 * Model selection benchmark (issue 10, "Must show"): a simulation, not the pipeline. A stream of
 * tasks of mixed kinds goes through each strategy with the real selector and a real in-memory
 * SqliteStore that learns as it goes; three fake models succeed with different probabilities
 * and take different times per kind. Each task gets up to 3 tries along the strategy's chain
 * (escalation), within a budget of model time per task.
 *
 * Why a budget: with 3 models and 3 tries every strategy ends up trying every model on a hard
 * task, so without a limit the number of tasks succeeded would not depend on the order at all.
 * A run has a deadline in practice (agent timeouts, a queue behind it); the budget stands for it.
 *
 * Fairness: outcomes use common random numbers. Whether model m succeeds on task t, and how
 * long it takes, is drawn once per (t, m) and is the same for every strategy; strategies differ
 * only in which models they try, in what order.
 */

const TASKS = Number(process.env.BENCH_TASKS ?? 240);
/** Independent task streams (each its own tasks, outcomes and store); results are summed. */
const SEEDS = (process.env.BENCH_SEEDS ?? '1,2,3,4,5').split(',').map(Number);
const BUDGET_S = Number(process.env.BENCH_BUDGET_S ?? 240);
const MAX_TRIES = 3;

const SMALL = 'small-fast:1b';
const MEDIUM = 'medium:7b';
const LARGE = 'large-slow:33b';
const MODELS = [SMALL, MEDIUM, LARGE] as const;
type Model = (typeof MODELS)[number];

const LABELS = ['typo', 'docs', 'bug', 'feature', 'refactor'] as const;
type Label = (typeof LABELS)[number];
type Size = 'small' | 'medium' | 'large';

/** Success probability on a task of medium size. */
const SUCCESS: Record<Label, Record<Model, number>> = {
  typo: { [SMALL]: 0.92, [MEDIUM]: 0.94, [LARGE]: 0.95 },
  docs: { [SMALL]: 0.85, [MEDIUM]: 0.9, [LARGE]: 0.93 },
  bug: { [SMALL]: 0.35, [MEDIUM]: 0.72, [LARGE]: 0.85 },
  feature: { [SMALL]: 0.15, [MEDIUM]: 0.5, [LARGE]: 0.8 },
  refactor: { [SMALL]: 0.1, [MEDIUM]: 0.45, [LARGE]: 0.78 },
};
/** Size shifts every model's success probability. */
const SIZE_SHIFT: Record<Size, number> = { small: 0.05, medium: 0, large: -0.15 };
/** Seconds per run on a medium task; failures take as long (the model works, then fails). */
const LATENCY_S: Record<Model, number> = { [SMALL]: 15, [MEDIUM]: 45, [LARGE]: 120 };
const SIZE_FACTOR: Record<Size, number> = { small: 0.6, medium: 1, large: 1.6 };

/** mulberry32: small, seedable, good enough for a simulation. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface SimTask {
  task: Task;
  label: Label;
  size: Size;
  /** Per model: does it succeed, and how many seconds it takes. */
  draw: Record<Model, { ok: boolean; seconds: number }>;
}

function pickWeighted<T>(r: () => number, items: readonly [T, number][]): T {
  let x = r() * items.reduce((s, [, w]) => s + w, 0);
  for (const [item, w] of items) {
    x -= w;
    if (x <= 0) return item;
  }
  return items.at(-1)![0];
}

function makeTasks(n: number, seed: number): SimTask[] {
  const r = rng(seed);
  const out: SimTask[] = [];
  for (let i = 1; i <= n; i++) {
    const label = pickWeighted<Label>(r, [
      ['typo', 2],
      ['docs', 2],
      ['bug', 3],
      ['feature', 1.5],
      ['refactor', 1.5],
    ]);
    const size = pickWeighted<Size>(r, [
      ['small', 1],
      ['medium', 2],
      ['large', 1],
    ]);
    // What the classifier sees follows the true size loosely: text length, criteria, files.
    const chars = { small: 60, medium: 400, large: 1500 }[size] + Math.floor(r() * 300);
    const criteria = { small: 0, medium: 2, large: 5 }[size] + Math.floor(r() * 2);
    const files = { small: 0, medium: 1, large: 3 }[size] + Math.floor(r() * 2);
    const fileText = Array.from({ length: files }, (_, k) => `src/mod${k}/file${i}.ts`).join(' ');
    const description = `${fileText} ${'x'.repeat(Math.max(0, chars - fileText.length - 1))}`.trim();
    const task = makeTask({
      id: String(i),
      title: `${label} task ${i}`,
      priority: pickWeighted(r, [
        ['low' as const, 1],
        ['medium' as const, 2],
        ['high' as const, 1],
      ]),
      description,
      acceptanceCriteria: Array.from({ length: criteria }, (_, k) => `criterion ${k + 1}`),
      labels: [label],
    });
    const draw = {} as SimTask['draw'];
    for (const m of MODELS) {
      const p = Math.min(0.98, Math.max(0.02, SUCCESS[label][m] + SIZE_SHIFT[size]));
      // Log-normal-ish noise around the nominal time (Box-Muller).
      const z = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
      draw[m] = { ok: r() < p, seconds: LATENCY_S[m] * SIZE_FACTOR[size] * Math.exp(0.25 * z) };
    }
    out.push({ task, label, size, draw });
  }
  return out;
}

interface StrategyResult {
  succeeded: number;
  modelSeconds: number;
  tries: number;
  firstTry: number;
  outOfBudget: number;
  perLabel: Record<Label, number>;
}

function simulate(strategy: SelectionStrategy, tasks: readonly SimTask[], seed: number): StrategyResult {
  const store = new SqliteStore(':memory:');
  let now = Date.parse('2026-01-01T00:00:00Z');
  const selector = new DefaultModelSelector({
    config: {
      // "Today's order" as a typical config writes it: a mid-size default, the big model as fallback.
      ollama: { defaultModel: MEDIUM, fallbackModels: [LARGE], availableModels: [...MODELS] },
      modelSelection: modelSelectionSchema.parse({
        strategy,
        tiers: { small: [SMALL], medium: [MEDIUM], large: [LARGE] },
        explorationRate: 0.05,
        historyDays: 30,
      }),
    },
    store,
    random: rng(seed ^ 0x5eed),
    now: () => now,
  });
  const res: StrategyResult = {
    succeeded: 0,
    modelSeconds: 0,
    tries: 0,
    firstTry: 0,
    outOfBudget: 0,
    perLabel: { typo: 0, docs: 0, bug: 0, feature: 0, refactor: 0 },
  };
  for (const t of tasks) {
    const { chain, kinds } = selector.choose(t.task, { now });
    let spent = 0;
    for (const [i, name] of chain.slice(0, MAX_TRIES).entries()) {
      const d = t.draw[name as Model];
      if (!d) throw new Error(`the selector chose ${name}, which the simulation does not know`);
      if (spent >= BUDGET_S) {
        res.outOfBudget++;
        break;
      }
      // A try that would overrun the budget is cut off at it and fails.
      const seconds = Math.min(d.seconds, BUDGET_S - spent);
      const ok = d.ok && seconds === d.seconds;
      spent += seconds;
      res.tries++;
      now += seconds * 1000;
      recordOutcome(store, {
        taskId: t.task.id,
        model: name,
        kinds,
        ok,
        durationMs: seconds * 1000,
        recordedAt: now,
      });
      if (ok) {
        res.succeeded++;
        res.perLabel[t.label]++;
        if (i === 0) res.firstTry++;
        break;
      }
    }
    res.modelSeconds += spent;
  }
  store.close();
  return res;
}

function add(a: StrategyResult, b: StrategyResult): StrategyResult {
  const perLabel = { ...a.perLabel };
  for (const l of LABELS) perLabel[l] += b.perLabel[l];
  return {
    succeeded: a.succeeded + b.succeeded,
    modelSeconds: a.modelSeconds + b.modelSeconds,
    tries: a.tries + b.tries,
    firstTry: a.firstTry + b.firstTry,
    outOfBudget: a.outOfBudget + b.outOfBudget,
    perLabel,
  };
}

export default async function run(): Promise<BenchResult> {
  const strategies: SelectionStrategy[] = ['fixed', 'speed', 'complexity', 'history', 'auto'];
  const zero = (): StrategyResult => ({
    succeeded: 0,
    modelSeconds: 0,
    tries: 0,
    firstTry: 0,
    outOfBudget: 0,
    perLabel: { typo: 0, docs: 0, bug: 0, feature: 0, refactor: 0 },
  });
  const total = new Map(strategies.map((s) => [s, zero()] as const));
  /** Per strategy: streams in which it beat fixed on succeeded / on model time. */
  const wins = new Map(strategies.map((s) => [s, { succeeded: 0, time: 0 }]));
  const labelCount: Record<Label, number> = { typo: 0, docs: 0, bug: 0, feature: 0, refactor: 0 };
  let taskCount = 0;
  for (const seed of SEEDS) {
    const tasks = makeTasks(TASKS, seed);
    taskCount += tasks.length;
    for (const t of tasks) labelCount[t.label]++;
    const fixed = simulate('fixed', tasks, seed);
    for (const s of strategies) {
      const r = s === 'fixed' ? fixed : simulate(s, tasks, seed);
      total.set(s, add(total.get(s)!, r));
      const w = wins.get(s)!;
      if (r.succeeded > fixed.succeeded) w.succeeded++;
      if (r.modelSeconds < fixed.modelSeconds) w.time++;
    }
  }
  const fixed = total.get('fixed')!;
  const rows = strategies.map((s) => {
    const r = total.get(s)!;
    const w = wins.get(s)!;
    const diff = r.succeeded - fixed.succeeded;
    return {
      strategy: s,
      succeeded: `${r.succeeded}/${taskCount}`,
      'vs fixed': s === 'fixed' ? '-' : `${diff >= 0 ? '+' : ''}${diff}`,
      'first-try ok': r.firstTry,
      'model time (h)': round(r.modelSeconds / 3600, 2),
      'time / fixed': round(r.modelSeconds / fixed.modelSeconds, 3),
      'mean tries': round(r.tries / taskCount, 2),
      'streams better than fixed (succ / time)':
        s === 'fixed' ? '-' : `${w.succeeded}/${SEEDS.length} / ${w.time}/${SEEDS.length}`,
      'succeeded typo/docs/bug/feature/refactor': LABELS.map((l) => r.perLabel[l]).join('/'),
    };
  });
  const beat = (['history', 'auto'] as const).map((s) => {
    const r = total.get(s)!;
    return `${s} beats fixed on both (all streams): ${r.succeeded > fixed.succeeded && r.modelSeconds < fixed.modelSeconds ? 'yes' : 'NO'}`;
  });
  return {
    name: `Model selection simulation (${SEEDS.length} streams × ${TASKS} tasks, 3 models, ≤ ${MAX_TRIES} tries, budget ${BUDGET_S} s model time per task)`,
    rows,
    notes: [
      `tasks per label typo/docs/bug/feature/refactor: ${LABELS.map((l) => labelCount[l]).join('/')}; seeds ${SEEDS.join(',')}`,
      `models: ${SMALL} (${LATENCY_S[SMALL]} s), ${MEDIUM} (${LATENCY_S[MEDIUM]} s), ${LARGE} (${LATENCY_S[LARGE]} s) nominal per medium task; ×0.6 / ×1 / ×1.6 by size`,
      'fixed order: medium, large, small (defaultModel medium, fallbackModels [large]); tiers: one model each; explorationRate 0.05',
      'outcomes: common random numbers per (task, model); each stream learns from its own in-memory SqliteStore',
      ...beat,
    ],
  };
}
