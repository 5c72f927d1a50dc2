import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AgentResult } from '../../agents/types.js';
import { TpError } from '../../errors/index.js';
import { modelChain, stripProvider } from '../../models/index.js';
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

/**
 * Runs the agent over the model chain (retry and fallback through the attempt runner). Each
 * attempt's change is staged and diffed at once: an empty diff fails the attempt (the next
 * model gets a clean tree), a non-empty one is kept in `ctx.diff` for the later stages.
 */
export async function runAgent(ctx: RunContext): Promise<void> {
  ctx.enter('agent');
  const { config, agent, events, workspace, runner } = ctx.deps;
  const { task } = ctx;
  const wt = ctx.wt!;
  let first = true;
  const outcome = await runner.run(
    modelChain(task, config.ollama),
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
      try {
        result = await callAgent(ctx, at, followUpText(ctx));
      } finally {
        await checkGitLink(ctx);
      }
      if (ctx.gitLinkReplaced) return undefined;
      const diff = await workspace.diff(wt);
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
      events.emit('attempt.succeeded', {
        taskId: task.id,
        attemptNumber: at.attemptNumber,
        model: at.model,
        durationMs: Date.now() - started,
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
}
