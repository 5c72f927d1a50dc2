import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AgentResult } from '../../agents/types.js';
import { classify, TpError } from '../../errors/index.js';
import { stripProvider } from '../../models/index.js';
import {
  DefaultModelSelector,
  MODEL_FAULT_CODES,
  recordOutcome,
  type Selection,
} from '../../models/selection/index.js';
import { redact } from '../../secrets/index.js';
import { buildPrompt } from '../prompt.js';
import type { RunContext } from '../run-context.js';
import { checkGitLink, gitLinkError } from './guard.js';

/** One model call's coordinates, as the attempt runner hands them out. */
export interface AttemptAt {
  model: string;
  host: string;
  attemptNumber: number;
  signal: AbortSignal;
}

/** What the agent is told besides the ticket: the reviewer's comment (follow-ups), then `extra` (check output). */
export function followUpText(ctx: RunContext, extra?: string): string | undefined {
  const comment = ctx.followUp
    ? `Review comment by ${ctx.followUp.author} on pull request #${ctx.followUp.prNumber}:\n${ctx.followUp.text}`
    : undefined;
  const parts = [comment, extra].filter((p): p is string => Boolean(p));
  return parts.length > 0 ? parts.join('\n\n') : undefined;
}

/** Writes the prompt file and runs the agent once in the run's worktree (first call or a verify round). */
export async function callAgent(ctx: RunContext, at: AttemptAt, followUp?: string): Promise<AgentResult> {
  const { config, agent, events, promptDir } = ctx.deps;
  const { task } = ctx;
  const prompt = buildPrompt(task, followUp);
  await mkdir(promptDir, { recursive: true });
  const promptFile = path.join(promptDir, `task-${task.id}.md`);
  await writeFile(promptFile, prompt);
  return agent.run({
    task,
    workdir: ctx.wt!.dir,
    model: stripProvider(at.model),
    ollamaHost: at.host,
    taskFile: path.resolve(ctx.file),
    promptFile,
    prompt,
    ...(followUp ? { followUp } : {}),
    budget: {
      timeoutMs: config.agent.timeoutMs ?? config.ollama.timeout,
      maxIterations: config.agent.maxIterations,
      maxTokens: config.agent.maxTokens,
    },
    signal: at.signal,
    onOutput: (chunk) =>
      events.emit('attempt.output', { taskId: task.id, attemptNumber: at.attemptNumber, chunk }),
  });
}

/** The model that produced a run's change, waiting for the run's end to be scored. */
interface PendingOutcome {
  model: string;
  kinds: readonly string[];
  durationMs: number;
  /** Prompt + completion tokens, where the agent reported them. */
  tokens: number | undefined;
  /** Scored already (see scoreModel): the run's end only stores its attempts. */
  scored?: boolean;
}

// Keyed on the run's context so nothing outlives the run (follow-up runs never settle theirs).
const pending = new WeakMap<RunContext, PendingOutcome>();

/** Orders the models for this run (`modelSelection`), explains the choice in the log and an event. */
function selectModels(ctx: RunContext): Selection {
  const { config, store, events } = ctx.deps;
  const selector = ctx.deps.selector ?? new DefaultModelSelector({ config, store });
  const selection = selector.choose(ctx.task, { retry: ctx.kind === 'retry' });
  ctx.selectionReason = selection.reason;
  // The event log writes this as the one info line of the choice (taskId, reason, chain).
  events.emit('model.selected', {
    taskId: ctx.task.id,
    file: path.basename(ctx.file),
    strategy: selection.strategy,
    model: selection.chain[0] ?? '',
    chain: selection.chain,
    reason: selection.reason,
  });
  return selection;
}

/**
 * Settles the model's part of a run: stores the attempts of a run that reached review, scores
 * the model if the commit stage has not (a run that failed before it), and records the model on
 * a failed run, so that a retry starts one tier above it. A success needs the change standing,
 * its verify commands passing and no open critical review finding (failing checks and findings
 * do not fail a task, but they say the change was not good).
 */
export function recordRunOutcome(ctx: RunContext, reachedReview: boolean): void {
  const p = pending.get(ctx);
  if (!p) return;
  pending.delete(ctx);
  const { store } = ctx.deps;
  // The attempts that failed before the one that worked; a failed run's are stored with its failure.
  if (reachedReview)
    for (const a of ctx.attempts)
      store.addAttempt({
        ...a,
        taskId: ctx.task.id,
        startedAt: new Date().toISOString(),
        error: redact(a.error, ctx.deps.secrets),
      });
  if (!p.scored) storeScore(ctx, p, reachedReview);
  if (!reachedReview && ctx.kind !== 'follow-up')
    store.upsertRun({ taskId: ctx.task.id, modelUsed: p.model });
}

/**
 * Scores the model as soon as its change is judged (checks run, review done), before commit,
 * push and PR: what fails after this point is git or forge I/O, not the model's doing, and the
 * next task of the same kind, which may start now (the slot is released at commit), already
 * learns from this one.
 */
export function scoreModel(ctx: RunContext): void {
  const p = pending.get(ctx);
  if (!p || p.scored) return;
  p.scored = true;
  storeScore(ctx, p, true);
}

function storeScore(ctx: RunContext, p: PendingOutcome, changeStands: boolean): void {
  const verified = ctx.verify?.every((r) => r.ok) ?? true;
  const blocked = ctx.review?.counted.some((f) => f.severity === 'critical') ?? false;
  recordOutcome(ctx.deps.store, {
    taskId: ctx.task.id,
    model: p.model,
    kinds: p.kinds,
    ok: changeStands && verified && !blocked,
    durationMs: p.durationMs,
    tokens: p.tokens,
  });
}

/**
 * Runs the agent over the model chain (retry and fallback through the attempt runner). Each
 * attempt's change is staged and diffed at once: an empty diff fails the attempt (the next
 * model gets a clean tree), a non-empty one is kept in `ctx.diff` for the later stages.
 */
export async function runAgent(ctx: RunContext): Promise<void> {
  ctx.enter('agent');
  const { agent, events, workspace, runner } = ctx.deps;
  const { task } = ctx;
  const wt = ctx.wt!;
  let first = true;
  const selection = selectModels(ctx);
  let producedIn = 0;
  const outcome = await runner.run(
    selection.chain,
    async (at) => {
      // Nothing more runs in a worktree whose `.git` an attempt replaced: not git, not another model.
      if (ctx.gitLinkReplaced) return undefined;
      // A fallback starts from a clean tree: nothing a failed attempt wrote survives.
      if (!first) await workspace.reset(wt);
      first = false;
      const started = Date.now();
      events.emit('attempt.started', {
        taskId: task.id,
        attemptNumber: at.attemptNumber,
        model: at.model,
        agent: agent.name,
      });
      let result: AgentResult;
      let diff: string;
      try {
        try {
          result = await callAgent(ctx, at, followUpText(ctx));
        } finally {
          await checkGitLink(ctx);
        }
        if (ctx.gitLinkReplaced) return undefined;
        diff = await workspace.diff(wt);
        if (diff.trim() === '') {
          throw new TpError(
            `Agent made no changes (${result.stopReason}: ${result.summary || 'no summary'}).`,
            {
              code: result.stopReason === 'budget' ? 'AGENT_BUDGET' : 'AGENT_NO_CHANGES',
              retryable: false,
              details: { outputTail: result.outputTail },
            },
          );
        }
      } catch (err) {
        // Only failures that are the model's doing teach the selector (not a host that is down).
        if (MODEL_FAULT_CODES.has(classify(err).code))
          recordOutcome(ctx.deps.store, {
            taskId: task.id,
            model: at.model,
            kinds: selection.kinds,
            ok: false,
            durationMs: Date.now() - started,
          });
        throw err;
      }
      producedIn = Date.now() - started;
      events.emit('attempt.succeeded', {
        taskId: task.id,
        attemptNumber: at.attemptNumber,
        model: at.model,
        durationMs: producedIn,
      });
      // A success is an attempt too: per-model stats count attempts without an error code as
      // successes (failed attempts are stored with the run's failure, or after its success).
      ctx.deps.store.addAttempt({
        taskId: task.id,
        attemptNumber: at.attemptNumber,
        model: at.model,
        host: at.host,
        startedAt: new Date(started).toISOString(),
        durationMs: producedIn,
      });
      return { result, host: at.host, attemptNumber: at.attemptNumber, diff };
    },
    { taskId: task.id, signal: ctx.signal },
  );
  ctx.attempts = outcome.attempts;
  ctx.model = outcome.modelUsed;
  if (!outcome.result) throw gitLinkError();
  ctx.agentResult = outcome.result.result;
  ctx.host = outcome.result.host;
  ctx.attemptNumber = outcome.result.attemptNumber;
  ctx.diff = outcome.result.diff;
  const tokens = ctx.agentResult.tokens;
  pending.set(ctx, {
    model: outcome.modelUsed,
    kinds: selection.kinds,
    durationMs: producedIn,
    tokens: tokens ? tokens.prompt + tokens.completion : undefined,
  });
}
