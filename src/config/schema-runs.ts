import { z } from 'zod';

/*
 * The sections that make runs smarter (the original tool's improvement plan): LLM code review,
 * model selection, warm-up and the response cache, and named queues. Kept apart from
 * schema.ts so that neither file grows past a screenful of sections.
 */

const ms = (d: number, text: string) => z.number().int().nonnegative().default(d).describe(text);

/** Severities a review finding can have, most severe first. */
export const SEVERITIES = ['critical', 'major', 'minor', 'info'] as const;
/** What a review looks at; `acceptance` asks whether the change does what the task asks. */
export const REVIEW_CATEGORIES = ['security', 'bugs', 'performance', 'style', 'acceptance'] as const;

export const codeReviewSchema = z
  .object({
    enabled: z
      .boolean()
      .default(false)
      .describe('Review every change with a model before the pull request is opened.'),
    model: z
      .string()
      .optional()
      .describe(
        'Review model; default `ollama.defaultModel`. Falls back along `ollama.fallbackModels` through the same hosts and breakers as the agent.',
      ),
    strictness: z
      .enum(['low', 'medium', 'high'])
      .default('medium')
      .describe(
        'Which findings count (act on `onCritical`): `low` critical only, `medium` critical and major, `high` critical, major and minor. `info` never counts.',
      ),
    blockOnCritical: z
      .boolean()
      .default(false)
      .describe(
        'Never open a pull request with an open critical finding: the task goes to failed/ with the findings (errorType "review").',
      ),
    checkFor: z
      .array(z.enum(REVIEW_CATEGORIES))
      .default([...REVIEW_CATEGORIES])
      .describe('Categories the review looks for.'),
    onCritical: z
      .enum(['comment', 'hold', 'fix'])
      .default('fix')
      .describe(
        'What counted findings do: `comment` opens the PR with them (body and line comments); `hold` also labels it `needs-attention` and never auto-merges; `fix` sends them back to the agent first (up to `maxFixRounds`), then comments on what is still open.',
      ),
    maxFixRounds: z
      .number()
      .int()
      .nonnegative()
      .default(2)
      .describe('Agent rounds spent fixing findings when `onCritical` is `fix`.'),
    timeoutMs: ms(
      300_000,
      'Longest a review (all its model calls) may take; then it is "review unavailable".',
    ),
    dependencyAudit: z
      .boolean()
      .default(true)
      .describe(
        'Run `npm audit --json` (sandboxed) when a change touches package.json or a lockfile, and add high/critical advisories to the findings. An unreachable registry is reported, not failed.',
      ),
  })
  .prefault({});

const tiersSchema = z
  .object({
    small: z.array(z.string()).default([]).describe('Fast models for small tasks (typos, docs).'),
    medium: z.array(z.string()).default([]).describe('Models for ordinary tasks.'),
    large: z
      .array(z.string())
      .default([])
      .describe('The most capable models (features, refactors); escalation ends here.'),
  })
  .prefault({});

export const modelSelectionSchema = z
  .object({
    strategy: z
      .enum(['fixed', 'complexity', 'history', 'speed', 'auto'])
      .default('fixed')
      .describe(
        'How the model chain of a task is ordered. `fixed`: task model, suggestedModels, fallbackModels, availableModels. `complexity`: a classifier of the task picks a tier. `history`: success rate and time per model and task kind from the store. `speed`: fastest healthy model first. `auto`: all of these. A task’s explicit `model:` always wins.',
      ),
    tiers: tiersSchema.describe('Models per task size; escalation after a failure moves to a larger tier.'),
    profiles: z
      .record(z.string(), z.array(z.string()))
      .default({})
      .describe(
        'Model lists named by a task’s `modelPreference` (e.g. `"security-focused": ["deepseek-coder"]`).',
      ),
    explorationRate: z
      .number()
      .min(0)
      .max(1)
      .default(0.05)
      .describe('Share of `history`/`auto` choices that try a model other than the best known one.'),
    historyDays: z
      .number()
      .int()
      .positive()
      .default(30)
      .describe('How far back the outcomes used by `history` and `speed` go.'),
  })
  .prefault({});

export const performanceSchema = z
  .object({
    warmUp: z
      .object({
        enabled: z
          .boolean()
          .default(true)
          .describe('Preload the models the queue needs at start and when a host recovers.'),
        maxModels: z.number().int().nonnegative().default(2).describe('Most models loaded per warm-up.'),
        keepAlive: z
          .string()
          .default('30m')
          .describe('How long Ollama keeps a warmed model loaded (`keep_alive`).'),
      })
      .prefault({}),
    cache: z
      .object({
        enabled: z
          .boolean()
          .default(true)
          .describe(
            'Cache deterministic model calls (temperature 0, fixed seed) in the store: reviews and context summaries, never agent runs.',
          ),
        ttlMs: ms(7 * 24 * 3_600_000, 'How long a cached reply is used.'),
        maxEntries: z
          .number()
          .int()
          .positive()
          .default(2_000)
          .describe('Cache size cap; oldest entries go first.'),
      })
      .prefault({}),
  })
  .prefault({});

export const queueSchema = z.object({
  name: z.string().min(1).describe('Queue name (shown in `status`).'),
  concurrency: z.number().int().positive().default(1).describe('Tasks of this queue run at the same time.'),
  priorities: z
    .array(z.enum(['critical', 'high', 'medium', 'low']))
    .default([])
    .describe('Task priorities routed here.'),
  labels: z.array(z.string()).default([]).describe('Task labels routed here (any one matches).'),
});

/** Named queues and SLAs, part of `processing`. */
export const queueFields = {
  queues: z
    .array(queueSchema)
    .default([])
    .superRefine((queues, ctx) => {
      const seen = new Set<string>();
      queues.forEach((q, i) => {
        if (seen.has(q.name))
          ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `queue "${q.name}" is declared twice` });
        seen.add(q.name);
        // `default` takes whatever matches no other queue; any other queue would never get a task.
        if (q.name !== 'default' && q.labels.length === 0 && q.priorities.length === 0)
          ctx.addIssue({
            code: 'custom',
            path: [i],
            message: `queue "${q.name}" has neither labels nor priorities, so no task would be routed to it`,
          });
      });
    })
    .describe(
      'Named queues with their own concurrency, routed by label (first match) then priority; tasks matching none go to `default` (concurrency `processing.concurrency`). Empty: one queue.',
    ),
  slaMinutes: z
    .object({
      critical: z.number().positive().optional(),
      high: z.number().positive().optional(),
      medium: z.number().positive().optional(),
      low: z.number().positive().optional(),
    })
    .default({})
    .describe(
      'Per priority: minutes a task may wait before its priority is raised one step (reported in `status`).',
    ),
};
